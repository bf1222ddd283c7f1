package io.github.keycloakdane.dns;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DnssecSignaturesTest {

    @Test
    void theSettingProductionRecommendsIsTheOneTheCodeAndTheBenchmarkUse() throws Exception {
        assertThat(Files.readString(Path.of("..", "docs", "PRODUCTION.md"))).contains(DnssecSignatures.PREFERRED);
        assertThat(Files.readString(Path.of("..", "benchmarks", "dnssec-bc.security")))
                .contains(DnssecSignatures.PREFERRED);
    }

    @Test
    void theProviderIsNamed() {
        assertThat(DnssecSignatures.provider()).isNotBlank().isNotEqualTo("none");
    }
}
