package io.github.keycloakdane.keycloak;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class AuthenticatorConfigCheckTest {

    private static byte[] body(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAuthDaneConfigurationIsCheckedAsTheAdminConsoleSendsIt() {
        assertThat(AuthenticatorConfigCheck.problems(body(
                "{\"alias\":\"x\",\"config\":{\"dane.user-mapping\":\"username\",\"dane.allow-list\":\"\"}}")))
                .singleElement().asString().contains("User mapping (dane.user-mapping)");
        assertThat(AuthenticatorConfigCheck.problems(body(
                "{\"alias\":\"x\",\"config\":{\"dane.user-mapping\":\"username\",\"dane.allow-list\":\".example.com\"}}")))
                .isEmpty();
    }

    @Test
    void otherAuthenticatorsConfigurationsAndOtherBodiesPassUntouched() {
        assertThat(AuthenticatorConfigCheck.problems(body("{\"alias\":\"otp\",\"config\":{\"otpType\":\"totp\"}}")))
                .isEmpty();
        assertThat(AuthenticatorConfigCheck.problems(body("{\"alias\":\"x\"}"))).isEmpty();
        assertThat(AuthenticatorConfigCheck.problems(body("not json"))).isEmpty();
        assertThat(AuthenticatorConfigCheck.problems(body("[1,2]"))).isEmpty();
    }
}
