package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bad DANE option, or an unsafe combination, stops Keycloak at start with a message that names the option (not a
 * failure at first login).
 */
class BadOptionIT {

    @Test
    void keycloakRefusesToStartWithAMalformedDaneOption() {
        KeycloakServer.Builder keycloak = KeycloakServer.builder("bad-option")
                .provider(ItConfig.daneJar())
                .option("--spi-dane--default--timeout=soon")
                .startTimeout(Duration.ofSeconds(240));

        assertThatThrownBy(keycloak::start)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exited")
                .satisfies(e -> assertThat(e.getMessage())
                        .contains("ERROR: --spi-dane--default--timeout: must be a whole number >= 0, not 'soon'"));
    }

    @Test
    void keycloakRefusesToStartWithAProxyIdentityHeaderAnyoneCouldSend() {
        KeycloakServer.Builder keycloak = KeycloakServer.builder("bad-option")
                .provider(ItConfig.daneJar())
                .option("--proxy-headers=xforwarded", "--spi-dane--default--proxy-identity-header=X-Dane-Authenticated")
                .startTimeout(Duration.ofSeconds(240));

        assertThatThrownBy(keycloak::start)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("exited")
                .satisfies(e -> assertThat(e.getMessage()).contains("ERROR: --spi-dane--default--proxy-identity-header"
                        + " needs --proxy-trusted-addresses (the DANE-aware proxy's addresses)"));
    }
}
