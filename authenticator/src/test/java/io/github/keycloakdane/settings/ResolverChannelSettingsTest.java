package io.github.keycloakdane.settings;

import io.github.keycloakdane.dns.ResolverChannel;
import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The resolver-transport options: parsed, checked against each other, and named in every refusal. */
class ResolverChannelSettingsTest {

    @TempDir
    Path dir;

    private static ServerSettings parse(Map<String, String> options) {
        return ServerSettings.parse(o -> options.get(o.key));
    }

    @Test
    void theDefaultIsUdpToPort53() {
        ServerSettings settings = parse(Map.of("resolver", "127.0.0.1"));

        assertThat(settings.channel().transport()).isEqualTo(ResolverChannel.Transport.UDP);
        assertThat(settings.channel().secure()).isFalse();
        assertThat(settings.dns().resolver().getPort()).isEqualTo(53);
    }

    @Test
    void tlsReadsNameCaAndPinsAndDefaultsToPort853() throws Exception {
        TestPki.Issued ca = TestPki.ca("resolver CA").build();
        Path caFile = TestPki.writePem(dir.resolve("ca.pem"), List.of(ca.cert()));
        byte[] pin = MessageDigest.getInstance("SHA-256").digest(ca.cert().getPublicKey().getEncoded());
        Map<String, String> options = new HashMap<>(Map.of("resolver", "192.0.2.53", "resolver-transport", "TLS",
                "resolver-tls-name", "dns.example.net", "resolver-tls-ca", caFile.toString(),
                "resolver-tls-pin", "sha256/" + Base64.getEncoder().encodeToString(pin) + ", "
                        + Base64.getEncoder().encodeToString(new byte[32])));

        ServerSettings settings = parse(options);

        assertThat(settings.channel().transport()).isEqualTo(ResolverChannel.Transport.TLS);
        assertThat(settings.channel().secure()).isTrue();
        assertThat(settings.dns().resolver().getPort()).isEqualTo(853);
        assertThat(settings.channel().tlsName()).isEqualTo("dns.example.net");
        assertThat(settings.channel().tlsCa()).containsExactly(ca.cert());
        assertThat(settings.channel().tlsPins()).hasSize(2);
        assertThat(settings.channel().tlsPins().get(0)).isEqualTo(pin);
        assertThat(settings.channel().describe()).contains("over TLS", "1 configured CA", "dns.example.net",
                "2 pin(s)");
    }

    @Test
    void anExplicitPortWinsOverTlssDefault() {
        ServerSettings settings = parse(Map.of("resolver", "127.0.0.1:8853", "resolver-transport", "tls"));

        assertThat(settings.dns().resolver().getPort()).isEqualTo(8853);
        assertThat(settings.channel().describe()).contains("the JVM's trust store");
    }

    @Test
    void tlsNeedsAConfiguredResolver() {
        assertThatThrownBy(() -> parse(Map.of("resolver-transport", "tls")))
                .hasMessage("--spi-dane--default--resolver-transport: tls needs --spi-dane--default--resolver"
                        + " (the system's resolver has no certificate to check)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"resolver-tls-name|dns.example.net", "resolver-tls-ca|/tmp/ca.pem",
            "resolver-tls-pin|AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})
    void tlsSettingsWithoutTlsAreRefused(String option, String value) {
        assertThatThrownBy(() -> parse(Map.of("resolver", "127.0.0.1", option, value)))
                .hasMessage("--spi-dane--default--" + option + ": needs --spi-dane--default--resolver-transport=tls");
    }

    /** docs/PRODUCTION.md's resolver set-up: every node option it shows, with its values, is accepted as written. */
    @Test
    void theProductionGuidesResolverLineParses() throws Exception {
        String doc = java.nio.file.Files.readString(Path.of("..", "docs", "PRODUCTION.md"));
        String section = doc.substring(doc.indexOf("## The resolver: validating, and over TLS"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("--spi-dane--default--([a-z-]+)=([^\\s`]+)")
                .matcher(section);
        Map<String, String> options = new HashMap<>();
        while (m.find()) {
            options.put(m.group(1), m.group(2));
        }
        assertThat(options).containsKeys("resolver", "resolver-transport", "resolver-tls-name", "resolver-tls-ca",
                "resolver-tls-pin", "trust-ad");
        TestPki.Issued ca = TestPki.ca("resolver CA").build();
        options.put("resolver-tls-ca", TestPki.writePem(dir.resolve("resolver-ca.pem"), List.of(ca.cert())).toString());
        options.put("resolver-tls-pin", Base64.getEncoder().encodeToString(new byte[32]));

        ServerSettings settings = parse(options);

        assertThat(settings.channel().secure()).isTrue();
        assertThat(settings.dns().resolver().getPort()).isEqualTo(ResolverChannel.TLS_PORT);
        assertThat(settings.dns().trustAd()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "resolver-transport|https",
            "resolver-tls-name|dns example",
            "resolver-tls-name|*.example.net",
            "resolver-tls-ca|/nonexistent/ca.pem",
            "resolver-tls-pin|not base64!",
            "resolver-tls-pin|AAAA",
            "resolver-tls-pin|,"})
    void aBadValueIsRefusedNamingTheOption(String option, String value) {
        Map<String, String> options = new HashMap<>(Map.of("resolver", "127.0.0.1", "resolver-transport", "tls"));
        options.put(option, value);

        assertThatThrownBy(() -> parse(options)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--spi-dane--default--" + option + ": ");
    }
}
