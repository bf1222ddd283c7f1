package io.github.keycloakdane.settings;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.dns.DnsSettings;
import io.github.keycloakdane.testing.DocTables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ServerSettingsTest {

    @TempDir
    Path dir;

    @Test
    void defaultsAreLocalValidationToTheRootWithTheDocumentedBounds() throws Exception {
        ServerSettings config = ServerSettings.parse(o -> null);

        assertThat(config.dns().trustAnchors()).isNull();
        assertThat(config.dns().trustAd()).isFalse();
        assertThat(config.dns().timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.dns().maxTtl()).isEqualTo(Duration.ofSeconds(300));
        assertThat(config.dns().negativeTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.dns().cacheSize()).isEqualTo(10_000);
        assertThat(config.dns().maxConcurrentLookups()).isEqualTo(32);
        assertThat(config.dns().minTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.dns().maxWaitersPerName()).isEqualTo(4);
        assertThat(config.matchPolicy().eeNameCheck()).isFalse();
        assertThat(config.matchPolicy().pkixEnabled()).isFalse();
        assertThat(config.allowList().admits(DaneName.parse("any.example.com"))).isTrue();
        assertThat(config.headerlessCertificateLookups()).isEmpty();
    }

    @Test
    void everyOptionIsRead() throws Exception {
        Path anchors = Files.writeString(dir.resolve("anchors.zone"), DnsSettings.IANA_ROOT_ANCHORS);
        Map<String, String> options = new HashMap<>(Map.of(
                "resolver", "127.0.0.1:5353", "trust-anchors", anchors.toString(), "trust-ad", "true",
                "timeout", "750", "cache-max-ttl", "60", "cache-negative-ttl", "0", "cache-size", "5",
                "allow-list", "*._device.example.com,.example.org", "ee-name-check", "TRUE"));
        options.put("proxy-identity-header", " X-Dane-Authenticated ");
        options.put("trust-proxy-identity", "true");
        options.put("max-concurrent-lookups", "3");
        options.put("cache-min-ttl", "0");
        options.put("max-waiters-per-name", "9");
        options.put("headerless-certificate-lookups", " acme-tls, spiffe.x509 ");

        ServerSettings config = ServerSettings.parse(o -> options.get(o.key));

        assertThat(config.dns().resolver().getPort()).isEqualTo(5353);
        assertThat(config.dns().resolver().getAddress().isLoopbackAddress()).isTrue();
        assertThat(config.dns().trustAnchors()).isEqualTo(DnsSettings.IANA_ROOT_ANCHORS);
        assertThat(config.dns().trustAd()).isTrue();
        assertThat(config.dns().timeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(config.dns().maxTtl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.dns().negativeTtl()).isZero();
        assertThat(config.dns().cacheSize()).isEqualTo(5);
        assertThat(config.matchPolicy().eeNameCheck()).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("sensor7._device.example.com"))).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("a.b.example.org"))).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("example.org"))).isFalse();
        assertThat(config.allowList().admits(DaneName.parse("sensor7._device.example.net"))).isFalse();
        assertThat(config.proxyIdentityHeader()).isEqualTo("X-Dane-Authenticated");
        assertThat(config.trustProxyIdentity()).isTrue();
        assertThat(config.dns().maxConcurrentLookups()).isEqualTo(3);
        assertThat(config.dns().minTtl()).isZero();
        assertThat(config.dns().maxWaitersPerName()).isEqualTo(9);
        assertThat(config.headerlessCertificateLookups()).containsExactlyInAnyOrder("acme-tls", "spiffe.x509");
    }

    @Test
    void diagnosticsHaveTheirOwnSmallBudgetByDefaultAndTakeTheirOptions() {
        assertThat(ServerSettings.parse(o -> null).diagnostics()).isEqualTo(new DiagnosticsSettings(2, 60, 30));
        Map<ServerOption, String> values = Map.of(ServerOption.DIAGNOSTICS_MAX_CONCURRENT_LOOKUPS, "1",
                ServerOption.DIAGNOSTICS_PER_MINUTE, "6", ServerOption.DIAGNOSTICS_BURST, "3");
        assertThat(ServerSettings.parse(values::get).diagnostics()).isEqualTo(new DiagnosticsSettings(1, 6, 3));
    }

    @Test
    void withoutTheOptionsNoProxyIdentityIsRead() {
        ServerSettings config = ServerSettings.parse(o -> null);

        assertThat(config.proxyIdentityHeader()).isNull();
        assertThat(config.trustProxyIdentity()).isFalse();
    }

    @Test
    void believingAProxyIdentityNeedsTheHeaderItComesIn() {
        assertThatThrownBy(() -> ServerSettings.parse(o -> o == ServerOption.TRUST_PROXY_IDENTITY ? "true" : null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--spi-dane--default--trust-proxy-identity: needs --spi-dane--default--proxy-identity-header"
                        + " (the header whose identity it believes)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "resolver|host:notaport",
            "trust-anchors|/nonexistent/anchors.zone",
            "trust-ad|yes",
            "timeout|0",
            "timeout|-5",
            "timeout|2s",
            "cache-max-ttl|-1",
            "cache-size|many",
            "max-concurrent-lookups|0",
            "cache-min-ttl|-1",
            "max-waiters-per-name|four",
            "diagnostics-max-concurrent-lookups|0",
            "diagnostics-per-minute|0",
            "diagnostics-burst|-1",
            "allow-list|bad/entry.example.com",
            "ee-name-check|1",
            "proxy-identity-header|X Dane",
            "proxy-identity-header|X-Dane:",
            "trust-proxy-identity|yes",
            "pkix-trust|/nonexistent/ca.pem",
            "headerless-certificate-lookups|acme tls",
            "headerless-certificate-lookups|acme-tls,,other"})
    void aBadValueIsRejectedNamingTheOption(String option, String value) {
        assertThatThrownBy(() -> ServerSettings.parse(o -> o.key.equals(option) ? value : null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--spi-dane--default--" + option + ": ");
    }

    @Test
    void theCliSpellingNamesTheOptionAsTheCliTakesIt() {
        assertThatThrownBy(() -> ServerSettings.parse(o -> o == ServerOption.TIMEOUT ? "soon" : null,
                ServerOption::cliFlag)).hasMessage("--timeout: must be a whole number >= 0, not 'soon'");
    }

    @Test
    void theConfigurationOptionTableIsTheOneTheOptionsMake() throws Exception {
        DocTables.assertTable(DocTables.configurationDoc(), ServerOption.markdownTable());
    }

    @Test
    void everyOptionHasHelpAndEitherADefaultOrWordsForItsAbsence() {
        for (ServerOption o : ServerOption.values()) {
            assertThat(o.help).as(o.key).isNotBlank();
            assertThat(o.defaultText()).as(o.key).isNotBlank();
            assertThat(o.syntax()).as(o.key).isNotBlank();
        }
    }
}
