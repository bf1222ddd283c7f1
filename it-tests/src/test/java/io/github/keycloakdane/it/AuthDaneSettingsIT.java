package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.representations.idm.UserRepresentation;

import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.authDaneFlow;
import static io.github.keycloakdane.it.DaneScenarios.createClient;
import static io.github.keycloakdane.it.DaneScenarios.createdId;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.events;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * auth-dane with the other settings an admin can choose: the identity from a header set by the trusted proxy, and
 * the user found by username. Built through the admin REST API the way the admin console does it: a flow of its own
 * with one configured execution, bound to one client as its direct-grant override.
 */
@ExtendWith(SharedStack.class)
class AuthDaneSettingsIT {

    private static final String CAROL = "carol-laptop._user.example.test";
    private static final String FLOW = "dane-header-grant";
    private static final String CLIENT = "dane-header-app";
    private static final String HEADER = "X-Dane-Clientid";

    private static Stack stack;
    private static Issued laptop;

    @BeforeAll
    static void flowClientAndUser(Stack shared) {
        stack = shared;
        Keycloak admin = stack.admin();
        laptop = TestPki.leaf("carol-laptop").build();
        publish(stack, CAROL, daneEe(laptop.cert()));

        String flowId = authDaneFlow(admin, FLOW, "REQUIRED", Map.of(
                "dane.identity-source", "header",
                "dane.identity-header", HEADER,
                "dane.user-mapping", "username",
                "dane.allow-list", "*._user.example.test")).flowId();
        createClient(admin.realm(REALM), Map.of("clientId", CLIENT, "publicClient", true, "directAccessGrantsEnabled", true,
                "standardFlowEnabled", false, "authenticationFlowBindingOverrides", Map.of("direct_grant", flowId),
                "defaultClientScopes", List.of("basic", "profile", "dane")));
        createdId(admin.realm(REALM).users().create(representation(Map.of("username", CAROL, "enabled", true,
                "email", "carol@example.test", "emailVerified", true, "firstName", "Carol", "lastName", "Example"),
                UserRepresentation.class)));
    }

    @Test
    void theNameInTheTrustedProxysHeaderMapsToTheUserOfThatUsername() {
        TlsHttp http = device(stack, laptop);

        TlsHttp.Response response = http.postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "password", "client_id", CLIENT), HEADER, CAROL);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(response.json().path("access_token").asText(), http, stack.realmUri(REALM));
        assertThat(claims.getClaim("dane_clientid")).isEqualTo(CAROL);
        assertThat(claims.getClaim("preferred_username")).isEqualTo(CAROL);
    }

    @Test
    void theHeadersAreIgnoredFromAnAddressThatIsNotATrustedProxy() throws Exception {
        // straight to Keycloak from 127.0.0.2 (proxy-trusted-addresses is 127.0.0.1), header and certificate forged:
        // Keycloak's lookup ignores the certificate header, and auth-dane checks the certificate before the name
        String pem = URLEncoder.encode(TestPki.pem(List.of(laptop.cert())), StandardCharsets.UTF_8);
        Instant since = Instant.now();

        TlsHttp.Response response = TlsHttp.postFormFrom(InetAddress.getByName("127.0.0.2"),
                URI.create(stack.keycloak().realmUri(REALM) + "/protocol/openid-connect/token"),
                Map.of("grant_type", "password", "client_id", CLIENT),
                Map.of(HEADER, CAROL, "ssl-client-cert", pem));

        assertThat(response.status()).as(response.toString()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_grant");
        JsonNode error = null;
        for (JsonNode e : events(stack.admin().realm(REALM), "LOGIN_ERROR")) {
            if (CLIENT.equals(e.path("clientId").asText()) && e.path("time").asLong() >= since.toEpochMilli()) {
                error = e;
                break;
            }
        }
        assertThat(error).as("LOGIN_ERROR event").isNotNull();
        assertThat(error.path("details").path("dane_reason").asText()).isEqualTo("NO_CERTIFICATE");
        assertThat(error.path("details").path("dane_clientid").isMissingNode()).isTrue();
    }

    @Test
    void aNameOutsideTheExecutionsAllowListIsRefused() throws Exception {
        String outsider = "dave._device.example.test"; // not *._user.example.test
        Instant since = Instant.now();

        TlsHttp.Response response = device(stack, laptop).postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "password", "client_id", CLIENT), HEADER, outsider);

        assertThat(response.status()).isEqualTo(401);
        assertThat(event(stack, "LOGIN_ERROR", outsider, since).orElseThrow().path("details").path("dane_reason").asText())
                .isEqualTo("NOT_ALLOWED");
    }
}
