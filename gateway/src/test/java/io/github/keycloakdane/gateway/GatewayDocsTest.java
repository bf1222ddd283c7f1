package io.github.keycloakdane.gateway;

import io.github.keycloakdane.testing.DocTables;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** docs/TLS-NATIVE.md's option table is {@link GatewayOption#markdownTable()}; bad values stop the gateway by name. */
class GatewayDocsTest {

    @Test
    void theOptionTableIsMadeFromTheCode() throws Exception {
        DocTables.assertTable(Path.of("..", "docs", "TLS-NATIVE.md"), GatewayOption.markdownTable());
    }

    @Test
    void badValuesNameTheirOption() {
        assertThatThrownBy(() -> GatewayConfig.parse("--cert", "x")).hasMessageStartingWith("--upstream");
        assertThatThrownBy(() -> GatewayConfig.parse("--upstream", "ftp://x", "--cert", "x"))
                .hasMessageStartingWith("--upstream");
        assertThatThrownBy(() -> GatewayConfig.parse("--proxy-identity-header", "X"))
                .hasMessageContaining("unknown option --proxy-identity-header");
        assertThatThrownBy(() -> GatewayConfig.parse("--timeout", "0")).hasMessageStartingWith("--timeout");
        assertThatThrownBy(() -> GatewayConfig.parse("--allow-list", "bad name!")).hasMessageStartingWith("--allow-list");
    }

    @Test
    void theClientIdExtensionIsOneLengthPrefixedName() throws Exception {
        assertThat(DaneClientId.decode(DaneClientId.encode("a.example"))).isEqualTo("a.example");
        assertThat(DaneClientId.OFFER).containsExactly(0);
        assertThatThrownBy(() -> DaneClientId.decode(new byte[]{0})).hasMessageContaining("zero-length");
        assertThatThrownBy(() -> DaneClientId.decode(new byte[]{5, 'a'})).hasMessageContaining("not one ClientName");
        assertThatThrownBy(() -> DaneClientId.decode(new byte[0])).hasMessageContaining("not one ClientName");
    }
}
