package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.keycloak.DaneUserAuthenticatorConfig.IdentitySource;
import io.github.keycloakdane.keycloak.DaneUserAuthenticatorConfig.UserMapping;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.keycloak.models.AuthenticatorConfigModel;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DaneUserAuthenticatorConfigTest {

    @Test
    void anExecutionWithoutConfigurationUsesTheDocumentedDefaults() throws Exception {
        DaneUserAuthenticatorConfig config = DaneUserAuthenticatorConfig.from(null);

        assertThat(config.identitySource()).isEqualTo(IdentitySource.REQUEST_PARAMETER);
        assertThat(config.identityHeader()).isEqualTo("X-Dane-Clientid");
        assertThat(config.userMapping()).isEqualTo(UserMapping.USER_ATTRIBUTE);
        assertThat(config.userAttribute()).isEqualTo("dane_clientid");
        assertThat(config.confirmationPage()).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("any.example.com"))).isTrue();
    }

    @Test
    void theAdminConsolesValuesAreRead() throws Exception {
        DaneUserAuthenticatorConfig config = DaneUserAuthenticatorConfig.from(model(Map.of(
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
        DaneUserAuthenticatorConfig config = DaneUserAuthenticatorConfig.from(
                model(Map.of("dane.allow-list", "good.example.com##bad/name.example")));

        assertThat(config.allowList().admits(DaneName.parse("good.example.com"))).isFalse();
        assertThat(config.allowList().admits(DaneName.parse("any.example.com"))).isFalse();
        assertThat(config.invalidBecause()).contains("Allow list (dane.allow-list)", "bad/name.example");
    }

    @Test
    void usernameMappingWithoutAnAllowListAdmitsNobodyAndSaysWhy() {
        Map<String, String> unsafe = Map.of("dane.user-mapping", "username");

        assertThat(DaneUserAuthenticatorConfig.problems(unsafe)).singleElement().asString()
                .contains("User mapping (dane.user-mapping)", "Allow list (dane.allow-list)", "john.green");
        DaneUserAuthenticatorConfig config = DaneUserAuthenticatorConfig.from(model(unsafe));
        assertThat(config.isInvalid()).isTrue();
        assertThat(config.allowList().isEmpty()).isTrue();

        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.user-mapping", "username",
                "dane.allow-list", "*._user.example.com"))).isEmpty();
    }

    @Test
    void domainUserMappingNeedsAnAllowListAndProvisioningNeedsDomainUsers() throws Exception {
        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.user-mapping", "domain-user")))
                .singleElement().asString().contains("'domain-user' needs an Allow list (dane.allow-list)");
        assertThat(DaneUserAuthenticatorConfig.from(model(Map.of("dane.user-mapping", "domain-user",
                "dane.provision-users", "true"))).isInvalid()).isTrue();
        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.provision-users", "true")))
                .singleElement().asString().contains("applies to user mapping 'domain-user' only");

        DaneUserAuthenticatorConfig config = DaneUserAuthenticatorConfig.from(model(Map.of(
                "dane.user-mapping", "domain-user", "dane.allow-list", "_user.partner.example",
                "dane.provision-users", "true")));
        assertThat(config.isInvalid()).isFalse();
        assertThat(config.userMapping()).isEqualTo(UserMapping.DOMAIN_USER);
        assertThat(config.provisionUsers()).isTrue();
        assertThat(config.allowList().admits(DaneName.parse("_user.partner.example"))).isTrue();
        assertThat(DaneUserAuthenticatorConfig.from(null).provisionUsers()).isFalse();
    }

    @ParameterizedTest(name = "[{index}] {0}={1}")
    @CsvSource(delimiter = '|', value = {
            "dane.identity-source  | request-body      | Identity source (dane.identity-source): 'request-body' is not one of request-parameter, header, certificate-san",
            "dane.user-mapping     | email             | User mapping (dane.user-mapping): 'email' is not one of user-attribute, username, domain-user",
            "dane.identity-header  | 'X Dane'          | Identity header (dane.identity-header): 'X Dane' is not a header name",
            "dane.user-attribute   | 'dane id'         | User attribute (dane.user-attribute): 'dane id' is not an attribute name",
            "dane.confirmation-page| yes               | Confirmation page (dane.confirmation-page): must be true or false, not 'yes'",
            "dane.provision-users  | always            | Provision users (dane.provision-users): must be true or false, not 'always'",
            "dane.allow-list       | '*.*.example.com' | Allow list (dane.allow-list): "})
    void everyInvalidSettingIsRefusedWithAMessageNamingItsField(String key, String value, String message) {
        List<String> problems = DaneUserAuthenticatorConfig.problems(Map.of(key, value));

        assertThat(problems).singleElement().asString().startsWith(message);
        assertThat(DaneUserAuthenticatorConfig.from(model(Map.of(key, value))).allowList().isEmpty())
                .as("an invalid stored configuration admits nobody, never a silent default").isTrue();
    }

    @Test
    void aHeaderOrAttributeClearedWhileInUseIsRefusedButBlankUnusedOnesAreFine() {
        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.identity-source", "header",
                "dane.identity-header", " "))).singleElement().asString().startsWith("Identity header");
        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.user-attribute", ""))).singleElement().asString()
                .startsWith("User attribute");
        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.identity-header", "", "dane.user-mapping", "username",
                "dane.user-attribute", "", "dane.allow-list", ".example.com"))).isEmpty();
    }

    @Test
    void severalProblemsAreAllReported() {
        assertThat(DaneUserAuthenticatorConfig.problems(Map.of("dane.identity-source", "x", "dane.user-mapping", "y",
                "dane.confirmation-page", "z"))).hasSize(3);
    }

    private static AuthenticatorConfigModel model(Map<String, String> config) {
        AuthenticatorConfigModel model = new AuthenticatorConfigModel();
        model.setConfig(config);
        return model;
    }
}
