package io.github.keycloakdane.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CLI's {@code request} command: its usage checks and the response parsing (the TLS side: GatewayTest/IT). */
class RequestCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return new DaneCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run(args);
    }

    @Test
    void badUsageIsExitTwoWithTheReason() {
        assertThat(run("request", "--name", "a.example", "http://127.0.0.1/")).isEqualTo(DaneCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("https://");
        err.reset();
        assertThat(run("request", "--name", "not a name", "https://127.0.0.1/")).isEqualTo(DaneCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("invalid name");
        err.reset();
        assertThat(run("request", "--name", "a.example", "--cert", "/nonexistent.pem", "https://127.0.0.1/"))
                .isEqualTo(DaneCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("/nonexistent.pem");
        err.reset();
        assertThat(run("request", "--name", "a.example", "--bogus", "x", "https://127.0.0.1/")).isEqualTo(DaneCli.USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option --bogus");
    }

    @Test
    void theHelpNamesTheCommand() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("request --key KEY.pem --cert CERT.pem --name NAME URL");
    }

    @Test
    void responsesWithContentLengthOrChunkedBodiesAreRead() throws IOException {
        DaneTlsClient.Response plain = DaneTlsClient.parse(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nokEXTRA".getBytes());
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.body()).isEqualTo("ok");
        assertThat(plain.headers()).containsEntry("content-type", "text/plain");

        DaneTlsClient.Response chunked = DaneTlsClient.parse(
                "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".getBytes());
        assertThat(chunked.status()).isEqualTo(401);
        assertThat(chunked.body()).isEqualTo("abcde");

        assertThatThrownBy(() -> DaneTlsClient.parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nok".getBytes()))
                .hasMessageContaining("truncated");
        assertThatThrownBy(() -> DaneTlsClient.parse(new byte[0])).hasMessageContaining("not an HTTP/1.1 response");
    }

    @Test
    void theNameIsOneLengthPrefixedString() {
        assertThat(DaneTlsClient.encodeName("ab")).containsExactly(2, 'a', 'b');
        assertThat(DaneTlsClient.encodeName("")).containsExactly(0);
    }
}
