package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import jakarta.ws.rs.NotFoundException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.RealmRepresentation;

import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.awaitEvents;
import static io.github.keycloakdane.it.DaneScenarios.createX509Client;
import static io.github.keycloakdane.it.DaneScenarios.enableEvents;
import static io.github.keycloakdane.it.DaneScenarios.events;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Smoke test of the shared stack (nginx -> Keycloak) with Keycloak's own client-x509 authenticator standing in for
 * the DANE one: proves that nginx forwards the client certificate and X-Forwarded-*, that the nginx lookup accepts
 * the header only from the trusted proxy address, and that nginx strips a header a client forges.
 */
@ExtendWith(SharedStack.class)
class StackIT {

    private static final String REALM = "stack-it";
    private static final String CLIENT = "x509-smoke";

    static Stack stack;
    static RealmResource realm;
    static Issued device;

    @BeforeAll
    static void realm(Stack shared) {
        stack = shared;
        realm = stack.admin().realm(REALM);
        device = TestPki.leaf("smoke-device").build();
        dropRealm();
        stack.admin().realms().create(representation(Map.of("realm", REALM, "enabled", true),
                RealmRepresentation.class));
        createX509Client(realm, CLIENT, "CN=smoke-device");
        enableEvents(realm);
    }

    @AfterAll
    static void dropRealm() {
        try {
            if (realm != null) {
                realm.remove();
            }
        } catch (NotFoundException e) {
            // not there
        }
    }

    @BeforeEach
    void clearEvents() {
        realm.clearEvents();
    }

    @Test
    void discoveryThroughNginxNamesTheNginxOrigin() {
        TlsHttp http = stack.https().withClientCertificate(device);
        int before = stack.nginx().requestCount();

        TlsHttp.Response r = http.get(URI.create(stack.baseUri() + "/realms/master/.well-known/openid-configuration"));

        assertThat(r.status()).isEqualTo(200);
        JsonNode discovery = r.json();
        assertThat(discovery.get("issuer").asText()).isEqualTo(stack.baseUri() + "/realms/master");
        assertThat(discovery.get("token_endpoint").asText())
                .isEqualTo(stack.baseUri() + "/realms/master/protocol/openid-connect/token");
        List<String> log = stack.nginx().awaitAccessLogLines(before + 1, Duration.ofSeconds(5));
        assertThat(log).hasSizeGreaterThan(before);
        assertThat(log.get(log.size() - 1))
                .contains("/.well-known/openid-configuration").contains("subject=\"CN=smoke-device\"");
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void clientCertificateForwardedByNginxAuthenticatesTheClient(KeyType keyType) {
        Issued device = TestPki.leaf("smoke-device").keyType(keyType).build();
        TlsHttp http = stack.https().withClientCertificate(device);

        TlsHttp.Response r = http.postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "client_credentials", "client_id", CLIENT));

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(r.json().get("access_token").asText(), http, stack.realmUri(REALM));
        assertThat(claims.getIssuer()).isEqualTo(stack.realmUri(REALM).toString());
        assertThat(claims.getClaim("azp")).isEqualTo(CLIENT);
        List<JsonNode> events = awaitEvents(realm, 1, Duration.ofSeconds(5), "CLIENT_LOGIN");
        assertThat(events).hasSize(1);
        assertThat(events.get(0).get("clientId").asText()).isEqualTo(CLIENT);
        assertThat(events.get(0).get("ipAddress").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void anotherCertificateOrNoneIsRejected() {
        Issued other = TestPki.leaf("someone-else").build();
        Map<String, String> form = Map.of("grant_type", "client_credentials", "client_id", CLIENT);

        TlsHttp.Response wrong = stack.https().withClientCertificate(other).postForm(stack.tokenUri(REALM), form);
        TlsHttp.Response none = stack.https().postForm(stack.tokenUri(REALM), form);

        assertThat(wrong.status()).isEqualTo(401);
        assertThat(none.status()).isEqualTo(401);
        assertThat(awaitEvents(realm, 2, Duration.ofSeconds(5), "CLIENT_LOGIN_ERROR")).hasSize(2);
        assertThat(events(realm, "CLIENT_LOGIN")).isEmpty();
    }

    @Test
    void nginxDropsACertificateHeaderTheClientForges() {
        TlsHttp.Response r = stack.https().postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "client_credentials", "client_id", CLIENT),
                KeycloakOptions.CLIENT_CERT_HEADER, escapedPem(device));

        assertThat(r.status()).isEqualTo(401);
    }

    @Test
    void forgedHeaderStraightToKeycloakCountsOnlyFromTheTrustedProxyAddress() throws Exception {
        URI direct = URI.create(stack.keycloak().baseUri() + "/realms/" + REALM + "/protocol/openid-connect/token");
        Map<String, String> form = Map.of("grant_type", "client_credentials", "client_id", CLIENT);
        Map<String, String> forged = Map.of(KeycloakOptions.CLIENT_CERT_HEADER, escapedPem(device));

        // 127.0.0.2 is loopback too, but not in proxy-trusted-addresses=127.0.0.1
        TlsHttp.Response untrusted = TlsHttp.postFormFrom(InetAddress.getByName("127.0.0.2"), direct, form, forged);
        TlsHttp.Response claimsTrust = TlsHttp.postFormFrom(InetAddress.getByName("127.0.0.2"), direct, form,
                Map.of(KeycloakOptions.CLIENT_CERT_HEADER, escapedPem(device), "X-Forwarded-Trusted-Proxy", "true"));
        // any local process on 127.0.0.1 is indistinguishable from nginx: the trust boundary is the address
        TlsHttp.Response sameAddressAsNginx = TlsHttp.postFormFrom(InetAddress.getByName("127.0.0.1"), direct, form,
                forged);

        assertThat(untrusted.status()).isEqualTo(401);
        assertThat(claimsTrust.status()).isEqualTo(401);
        assertThat(sameAddressAsNginx.status()).isEqualTo(200);
        assertThat(stack.keycloak().log()).contains("HTTP header \"ssl-client-cert\" is not trusted");
    }

    private static String escapedPem(Issued cert) {
        // what nginx's $ssl_client_escaped_cert holds
        return URLEncoder.encode(TestPki.pem(List.of(cert.cert())), StandardCharsets.UTF_8).replace("+", "%20");
    }
}
