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

import java.time.Instant;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.TTL;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.daneTaFull;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * client-dane end to end: a TLS client holding the device key talks to nginx ({@code ssl_verify_client
 * optional_no_ca}), Keycloak reads the certificate with its nginx lookup, the TLSA records come from Knot with DNSSEC.
 */
@ExtendWith(SharedStack.class)
class ClientDaneIT {

    /** The realm-config client: dane.clientid sensor7._device.example.test. */
    private static final String SENSOR7 = "sensor7._device.example.test";

    private static Stack stack;
    private static Issued sensor7;

    @BeforeAll
    static void publishDevices(Stack shared) {
        stack = shared;
        sensor7 = TestPki.leaf("sensor7").build();
        publish(stack, SENSOR7, daneEe(sensor7.cert()));
    }

    @Test
    void clientCredentialsWithDaneEeGetsAVerifiableTokenCarryingTheIdentity() throws Exception {
        TlsHttp http = device(stack, sensor7);

        TlsHttp.Response byClientId = clientCredentials(stack, http, "client_id", "sensor7");
        TlsHttp.Response byDaneName = clientCredentials(stack, http, "dane_clientid", SENSOR7);

        assertThat(byClientId.status()).as(byClientId.toString()).isEqualTo(200);
        assertThat(byDaneName.status()).as(byDaneName.toString()).isEqualTo(200);
        // Verified the way a downstream app does: signature against the realm's JWKS, fetched through the proxy.
        JWTClaimsSet claims = Tokens.verify(byDaneName.json().path("access_token").asText(), http, stack.realmUri(REALM));
        assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(SENSOR7);
        assertThat(claims.getStringClaim("azp")).isEqualTo("sensor7");
        assertThat(claims.getIssuer()).isEqualTo(stack.realmUri(REALM).toString());
        assertThat(claims.getExpirationTime()).isAfter(new java.util.Date());
    }

    @Test
    void successLeavesTheMatchInTheEvent() throws Exception {
        Instant since = Instant.now();
        TlsHttp.Response response = clientCredentials(stack, device(stack, sensor7), "client_id", "sensor7");

        assertThat(response.status()).isEqualTo(200);
        JsonNode event = event(stack, "CLIENT_LOGIN", SENSOR7, since).orElseThrow();
        assertThat(event.path("details").path("dane_reason").asText()).isEqualTo("OK");
        assertThat(event.path("details").path("dane_dnssec").asText()).isEqualTo("SECURE");
        assertThat(event.path("details").path("dane_record").asText()).isEqualTo("3 1 1@0");
    }

    @Test
    void daneTaFleetCaPublishedAtAWildcardOwner() throws Exception {
        Issued orgCa = TestPki.ca("Example Org Device CA").build();
        String name = "sensor9._device.example.test";
        Issued sensor9 = TestPki.leaf("sensor9").issuer(orgCa).dnsNames(name).build();
        publish(stack, "*._device.example.test", daneTaFull(orgCa.cert()));
        daneClient(stack.admin(), "sensor9", name);
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, device(stack, sensor9), "dane_clientid", name);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(response.json().path("access_token").asText(), stack.https(),
                stack.realmUri(REALM));
        assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(name);
        // nginx forwards the leaf only: the CA came from DNS, one above the presented chain
        assertThat(event(stack, "CLIENT_LOGIN", name, since).orElseThrow().path("details").path("dane_record").asText())
                .isEqualTo("2 0 0@1");

        Issued impostor = TestPki.leaf("sensor9").issuer(TestPki.ca("Example Org Device CA").build()).dnsNames(name).build();
        assertThat(clientCredentials(stack, device(stack, impostor), "dane_clientid", name).status()).isEqualTo(401);
    }

    @Test
    void wrongKeyIsRefusedWithNoMatch() throws Exception {
        Issued thief = TestPki.leaf("sensor7").build();
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, device(stack, thief), "client_id", "sensor7");

        assertInvalidClient(response);
        assertReason(SENSOR7, since, "NO_MATCH", "SECURE");
    }

    @Test
    void noCertificateIsRefused() throws Exception {
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, stack.https(), "client_id", "sensor7");

        assertInvalidClient(response);
        assertReason(SENSOR7, since, "NO_CERTIFICATE", null);
    }

    @Test
    void nameInAnUnsignedZoneIsRefused() throws Exception {
        String name = "ghost.unsigned.test";
        Issued ghost = TestPki.leaf("ghost").build();
        publish(stack, name, daneEe(ghost.cert()));
        daneClient(stack.admin(), "ghost", name);
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, device(stack, ghost), "client_id", "ghost");

        assertInvalidClient(response);
        assertReason(name, since, "DNS_INSECURE", "INSECURE");
    }

    @Test
    void nameWithoutTlsaIsRefused() throws Exception {
        String name = "mute.example.test";
        daneClient(stack.admin(), "mute", name);
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, device(stack, TestPki.leaf("mute").build()),
                "client_id", "mute");

        assertInvalidClient(response);
        assertReason(name, since, "DNS_NO_RECORDS", "NXDOMAIN");
    }

    @Test
    void nameOutsideTheAllowListIsRefusedWithoutAnyDnsQuery() throws Exception {
        // the server-wide allow list (SharedStack) admits .example.test and .unsigned.test only
        String name = "stranger.example.org";
        Issued stranger = TestPki.leaf("stranger").build();
        daneClient(stack.admin(), "stranger", name);
        TlsHttp http = device(stack, stranger);
        long queriesBefore = knotQueries(stack);
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, http, "client_id", "stranger");

        assertInvalidClient(response);
        assertReason(name, since, "NOT_ALLOWED", null);
        assertThat(knotQueries(stack)).isEqualTo(queriesBefore);
    }

    @Test
    void theQueryCounterTheNoQueryTestsRelyOnCountsQueries() throws Exception {
        long before = knotQueries(stack);

        stack.knot().query(SENSOR7, org.xbill.DNS.Type.TLSA);

        assertThat(knotQueries(stack)).isGreaterThan(before);
    }

    @Test
    void unregisteredNameIsRefusedWithoutAnyDnsQuery() throws Exception {
        String name = "unregistered._device.example.test";
        long queriesBefore = knotQueries(stack);
        Instant since = Instant.now();

        TlsHttp.Response response = clientCredentials(stack, device(stack, sensor7), "dane_clientid", name);

        assertInvalidClient(response);
        assertReason(name, since, "NOT_ALLOWED", null);
        assertThat(knotQueries(stack)).isEqualTo(queriesBefore);
    }

    @Test
    void clientIdAndDaneNameMustAgree() {
        TlsHttp.Response response = clientCredentials(stack, device(stack, sensor7),
                "client_id", "sensor7", "dane_clientid", "sensor9._device.example.test");

        assertInvalidClient(response);
    }

    @Test
    void rotationTakesEffectAfterTheTtl() throws Exception {
        String name = "rotor._device.example.test";
        Issued oldKey = TestPki.leaf("rotor").build();
        Issued newKey = TestPki.leaf("rotor").build();
        publish(stack, name, daneEe(oldKey.cert()));
        daneClient(stack.admin(), "rotor", name);
        assertThat(clientCredentials(stack, device(stack, oldKey), "client_id", "rotor").status()).isEqualTo(200);

        publish(stack, name, daneEe(newKey.cert()));
        Thread.sleep((TTL + 1) * 1000L); // the cached answer expires with the record's TTL

        assertInvalidClient(clientCredentials(stack, device(stack, oldKey), "client_id", "rotor"));
        TlsHttp.Response fresh = clientCredentials(stack, device(stack, newKey), "client_id", "rotor");
        assertThat(fresh.status()).as(fresh.toString()).isEqualTo(200);
    }

    @Test
    void clientsOfOtherTypesAreUntouched() {
        // realm-config's flow has client-secret after client-dane: a secret client still works as before
        java.util.Map<String, Object> client = new java.util.LinkedHashMap<>();
        client.put("clientId", "secret-app");
        client.put("enabled", true);
        client.put("publicClient", false);
        client.put("clientAuthenticatorType", "client-secret");
        client.put("secret", "s3cret-for-tests");
        client.put("serviceAccountsEnabled", true);
        if (stack.admin().realm(REALM).clients().findByClientId("secret-app").isEmpty()) {
            DaneScenarios.createClient(stack.admin().realm(REALM), client);
        }

        TlsHttp.Response response = clientCredentials(stack, stack.https(),
                "client_id", "secret-app", "client_secret", "s3cret-for-tests");

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    private static void assertInvalidClient(TlsHttp.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_client");
        // generic: the reason is in the event, not in the response
        assertThat(response.body()).doesNotContain("dane_", "DNSSEC", "TLSA");
    }

    private static void assertReason(String name, Instant since, String reason, String dnssec) throws Exception {
        JsonNode event = event(stack, "CLIENT_LOGIN_ERROR", name, since).orElseThrow(
                () -> new AssertionError("no CLIENT_LOGIN_ERROR event for " + name));
        assertThat(event.path("details").path("dane_reason").asText()).isEqualTo(reason);
        if (dnssec == null) {
            assertThat(event.path("details").has("dane_dnssec")).isFalse();
        } else {
            assertThat(event.path("details").path("dane_dnssec").asText()).isEqualTo(dnssec);
        }
    }
}
