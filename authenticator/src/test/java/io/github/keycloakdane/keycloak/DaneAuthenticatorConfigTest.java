package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.keycloak.DaneAuthenticatorConfig.IdentitySource;
import io.github.keycloakdane.keycloak.DaneAuthenticatorConfig.UserMapping;
import org.junit.jupiter.api.Test;
import org.keycloak.models.AuthenticatorConfigModel;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DaneAuthenticatorConfigTest {

    @Test
    void anExecutionWithoutConfigurationUsesTheDocumentedDefaults() throws Exception {
        DaneAuthenticatorConfig config = DaneAuthenticatorConfig.from(null);

        assertThat(config.identitySource()).isEqualTo(IdentitySource.REQUEST_PARAMETER);
        assertThat(config.identityHeader()).isEqualTo("X-Dane-Clientid");
        assertThat(config.userMapping()).isEqualTo(UserMapping.USER_ATTRIBUTE);
        assertThat(config.userAttribute()).isEqualTo("dane_clientid");
        assertThat(config.confirmationPage()).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("any.example.com"))).isTrue();
    }

    @Test
    void theAdminConsolesValuesAreRead() throws Exception {
        DaneAuthenticatorConfig config = DaneAuthenticatorConfig.from(model(Map.of(
                "dane.allow-list", "*._user.example.com##.example.org",
                "dane.identity-source", "certificate-san",
                "dane.identity-header", "X-Device",
                "dane.user-mapping", "username",
                "dane.user-attribute", "device",
                "dane.confirmation-page", "false")));

        assertThat(config.identitySource()).isEqualTo(IdentitySource.CERTIFICATE_SAN);
        assertThat(config.identityHeader()).isEqualTo("X-Device");
        assertThat(config.userMapping()).isEqualTo(UserMapping.USERNAME);
        assertThat(config.userAttribute()).isEqualTo("device");
        assertThat(config.confirmationPage()).isFalse();
        assertThat(config.allowList().admits(DaneName.parse("alice._user.example.com"))).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("a.b.example.org"))).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("alice._user.example.net"))).isFalse();
    }

    @Test
    void aMalformedAllowListClosesTheDoorInsteadOfOpeningIt() throws Exception {
        DaneAuthenticatorConfig config = DaneAuthenticatorConfig.from(
                model(Map.of("dane.allow-list", "good.example.com##bad/name.example")));

        assertThat(config.allowList().admits(DaneName.parse("good.example.com"))).isFalse();
        assertThat(config.allowList().admits(DaneName.parse("any.example.com"))).isFalse();
    }

    private static AuthenticatorConfigModel model(Map<String, String> config) {
        AuthenticatorConfigModel model = new AuthenticatorConfigModel();
        model.setConfig(config);
        return model;
    }
}
