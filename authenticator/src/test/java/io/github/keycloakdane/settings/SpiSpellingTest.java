package io.github.keycloakdane.settings;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SpiSpellingTest {

    @ParameterizedTest
    @CsvSource({"26.2.5, SINGLE_DASH", "26.2.0, SINGLE_DASH", "25.0.6, SINGLE_DASH", "26.3.0, DOUBLE_DASH",
            "26.4.7, DOUBLE_DASH", "26.7.3, DOUBLE_DASH", "27.0.0, DOUBLE_DASH", "999.0.0-SNAPSHOT, DOUBLE_DASH",
            "nightly, DOUBLE_DASH"})
    void theLineDecidesTheSpelling(String version, SpiSpelling expected) {
        assertThat(SpiSpelling.forKeycloak(version)).isEqualTo(expected);
    }

    @Test
    void eachSourceSpellsAnOptionItsOwnWay() {
        assertThat(SpiSpelling.DOUBLE_DASH.option(ServerOption.RESOLVER)).isEqualTo("--spi-dane--default--resolver")
                .isEqualTo(ServerOption.RESOLVER.spiOption());
        assertThat(SpiSpelling.SINGLE_DASH.option(ServerOption.TRUST_ANCHORS)).isEqualTo("--spi-dane-default-trust-anchors");
        assertThat(SpiSpelling.DOUBLE_DASH.env(ServerOption.CACHE_MAX_TTL)).isEqualTo("KC_SPI_DANE__DEFAULT__CACHE_MAX_TTL");
        assertThat(SpiSpelling.SINGLE_DASH.env(ServerOption.CACHE_MAX_TTL)).isEqualTo("KC_SPI_DANE_DEFAULT_CACHE_MAX_TTL");
        assertThat(SpiSpelling.SINGLE_DASH.confKey(ServerOption.RESOLVER)).isEqualTo("spi-dane-default-resolver");
        assertThat(SpiSpelling.DOUBLE_DASH.confKey(ServerOption.RESOLVER)).isEqualTo("spi-dane--default--resolver");
    }

    @Test
    void otherProvidersOptionsAreRespeltForOldLines() {
        assertThat(SpiSpelling.SINGLE_DASH.respell("--spi-x509cert-lookup--nginx--ssl-client-cert=ssl-client-cert"))
                .isEqualTo("--spi-x509cert-lookup-nginx-ssl-client-cert=ssl-client-cert");
        assertThat(SpiSpelling.SINGLE_DASH.respell("--spi-x509cert-lookup--provider=nginx"))
                .isEqualTo("--spi-x509cert-lookup-provider=nginx");
        // a value keeps its dashes; other options stay as they are
        assertThat(SpiSpelling.SINGLE_DASH.respell("--spi-dane--default--allow-list=a--b.example"))
                .isEqualTo("--spi-dane-default-allow-list=a--b.example");
        assertThat(SpiSpelling.SINGLE_DASH.respell("--proxy-headers=xforwarded")).isEqualTo("--proxy-headers=xforwarded");
        assertThat(SpiSpelling.DOUBLE_DASH.respell("--spi-dane--default--timeout=5")).isEqualTo("--spi-dane--default--timeout=5");
    }

    @Test
    void scanFindsBothSpellingsInEverySource() {
        List<SpiSpelling.Found> found = SpiSpelling.scan(
                List.of("start-dev", "--spi-dane--default--resolver=127.0.0.1:53", "--spi-dane-default-timeout=5",
                        "--spi-dane--default--no-such-option=1", "--spi-x509cert-lookup--provider=nginx"),
                Map.of("KC_SPI_DANE__DEFAULT__TRUST_AD", "true", "KC_SPI_DANE_DEFAULT_CACHE_SIZE", "9", "PATH", "/bin"),
                Map.of("kc.spi-dane--default--ee-name-check", "true", "java.home", "/jdk"),
                List.of("# spi-dane--default--pkix-trust=/x.pem", "spi-dane--default--allow-list = .example.com",
                        "db=postgres"));

        assertThat(found).extracting(f -> f.option() + " " + f.spelling() + " " + f.source()).containsExactlyInAnyOrder(
                "RESOLVER DOUBLE_DASH the command line", "TIMEOUT SINGLE_DASH the command line",
                "TRUST_AD DOUBLE_DASH the environment", "CACHE_SIZE SINGLE_DASH the environment",
                "EE_NAME_CHECK DOUBLE_DASH the system property", "ALLOW_LIST DOUBLE_DASH conf/keycloak.conf");
    }

    @Test
    void onAnOldLineUnreadDoubleDashOptionsAreNamedWithTheSpellingToUse() {
        List<SpiSpelling.Found> found = SpiSpelling.scan(
                List.of("--spi-dane--default--resolver=127.0.0.1:53", "--spi-dane-default-timeout=5"),
                Map.of("KC_SPI_DANE__DEFAULT__TRUST_AD", "true"), Map.of(),
                List.of("spi-dane--default--allow-list=.example.com"));
        // 26.2 read the single-dash timeout and nothing else
        Set<ServerOption> read = Set.of(ServerOption.TIMEOUT);

        Map<SpiSpelling.Found, String> misspelled = SpiSpelling.misspelled("26.2.5", found, read::contains);
        String message = SpiSpelling.misspellingMessage("26.2.5", misspelled);

        assertThat(misspelled.values()).containsExactlyInAnyOrder("--spi-dane-default-resolver",
                "KC_SPI_DANE_DEFAULT_TRUST_AD", "spi-dane-default-allow-list");
        assertThat(message).startsWith("DANE: Keycloak 26.2.5 reads SPI options spelt with single dashes only")
                .contains("--spi-dane--default--resolver (the command line): write --spi-dane-default-resolver")
                .contains("KC_SPI_DANE__DEFAULT__TRUST_AD (the environment): write KC_SPI_DANE_DEFAULT_TRUST_AD")
                .contains("spi-dane--default--allow-list (conf/keycloak.conf): write spi-dane-default-allow-list")
                .doesNotContain("timeout");
    }

    @Test
    void onANewLineTheReadLegacySpellingIsNoError() {
        List<SpiSpelling.Found> found = SpiSpelling.scan(List.of("--spi-dane-default-resolver=127.0.0.1:53",
                "--spi-dane--default--timeout=5"), Map.of(), Map.of(), List.of());

        // 26.3 and later read both spellings
        assertThat(SpiSpelling.misspelled("26.7.3", found, o -> true)).isEmpty();
        assertThat(SpiSpelling.misspellingMessage("26.7.3", Map.of())).isNull();
        // were a legacy one ever left unread, the double-dash form is the one to write
        assertThat(SpiSpelling.misspelled("26.7.3", found, o -> o != ServerOption.RESOLVER).values())
                .containsExactly("--spi-dane--default--resolver");
    }

    @Test
    void theRightSpellingIsNeverReportedEvenWhenUnread() {
        List<SpiSpelling.Found> found = SpiSpelling.scan(List.of("--spi-dane-default-resolver="), Map.of(), Map.of(),
                List.of());
        assertThat(SpiSpelling.misspelled("26.2.5", found, o -> false)).isEmpty();
    }
}
