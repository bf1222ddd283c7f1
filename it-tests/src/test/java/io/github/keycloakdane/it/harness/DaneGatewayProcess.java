package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS-native gateway (gateway module) as an operator runs it: {@code java -jar keycloak-dane-gateway.jar} on
 * 127.0.0.1 in front of Keycloak's plain-HTTP port, serving {@code serverCertificate}. Its directory holds the
 * certificate, the key and {@code gateway.out} (the log, where every refusal is named).
 */
public final class DaneGatewayProcess extends ManagedProcess {

    private final URI upstream;
    private final Issued serverCertificate;
    private final List<String> options;
    private int port;

    private DaneGatewayProcess(Path dir, URI upstream, Issued serverCertificate, List<String> options) {
        super("gateway", dir, "gateway.out", Duration.ofSeconds(60));
        this.upstream = upstream;
        this.serverCertificate = serverCertificate;
        this.options = options;
    }

    /** Starts the gateway with {@code options} (its own and the DANE ones, {@code --KEY VALUE}). */
    public static DaneGatewayProcess start(Path dir, URI upstream, Issued serverCertificate, String... options)
            throws IOException {
        DaneGatewayProcess p = new DaneGatewayProcess(dir, upstream, serverCertificate, List.of(options));
        p.start();
        return p;
    }

    /** The jar under test ({@code dane.gateway.jar}). */
    public static Path jar() {
        Path jar = Path.of(System.getProperty("dane.gateway.jar", "../gateway/target/keycloak-dane-gateway.jar"))
                .toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the gateway jar is missing: " + jar + " (run mvn verify from the root)");
        }
        return jar;
    }

    @Override
    protected void prepare() throws IOException {
        TestPki.writePem(dir().resolve("gateway.pem"), List.of(serverCertificate.cert()));
        TestPki.writePem(dir().resolve("gateway.key"), serverCertificate.keyPair().getPrivate());
    }

    @Override
    protected List<String> command() {
        port = freePort();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-jar", jar().toString(),
                "--listen", "127.0.0.1:" + port, "--upstream", upstream.toString(),
                "--cert", dir().resolve("gateway.pem").toString(), "--key", dir().resolve("gateway.key").toString()));
        command.addAll(options);
        return command;
    }

    @Override
    protected String notReady() {
        return accepts(port) ? null : "not listening on " + port;
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of();
    }

    public int port() {
        return port;
    }

    /** {@code https://127.0.0.1:PORT}. */
    public URI baseUri() {
        return URI.create("https://127.0.0.1:" + port);
    }

    /** The gateway's log so far. */
    public String log() {
        return read(output());
    }
}
