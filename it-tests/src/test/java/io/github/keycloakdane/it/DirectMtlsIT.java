package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.KeycloakServer;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.representations.idm.RealmRepresentation;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.createX509Client;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keycloak terminating TLS itself ({@code https-client-auth=request}, the {@code default} x509cert-lookup): no proxy,
 * and the whole presented chain reaches the matcher, so a digest DANE-TA record on the CA works too. The TLS layer
 * checks client certificates against Keycloak's truststore, so the devices here carry an organisation CA's
 * certificates and that CA is in the truststore; DANE then decides which device is which. The same instance serves
 * Keycloak's own client-x509 on that listener (HTTPS only, the truststore's verdict in the handshake).
 */
@ExtendWith(SharedStack.class)
class DirectMtlsIT {

    private static final String GATEWAY = "gateway._device.example.test";
    private static final String EDGE = "edge._gw.example.test";
    /** DANE-TA on an intermediate CA (the device sends leaf, intermediate, root): {@code 2 0 1} and {@code 2 1 1}. */
    private static final String BRANCH_CERT = "cert._branch.example.test";
    private static final String BRANCH_SPKI = "spki._branch.example.test";

    private static final String X509_REALM = "https-it";
    private static final String X509_CLIENT = "x509-direct";

    private static KeycloakServer keycloak;
    private static Issued gateway;
    private static Issued orgCa;
    private static Issued tlsCa;

    @BeforeAll
    static void startKeycloakWithTls(Stack shared) throws Exception {
        orgCa = TestPki.ca("Direct mTLS Org CA").build();
        tlsCa = TestPki.ca("Direct mTLS server CA").build();
        Path trustedClientCas = TestPki.writePem(ItConfig.workDir().resolve("mtls-client-cas.pem"), List.of(orgCa.cert()));
        keycloak = KeycloakServer.builder("mtls")
                .provider(ItConfig.daneJar())
                .realmImport(ItConfig.daneRealm().orElseThrow())
                .https(TestPki.tlsServer(tlsCa, "127.0.0.1", "localhost"))
                .options(KeycloakOptions.tlsCertLookup())
                .options(KeycloakOptions.dane(shared.knot().address(), shared.trustAnchorFile()))
                .option("--truststore-paths=" + trustedClientCas)
                .option("--spi-client--jpa--searchable-attributes=dane.clientid")
                .start();
        // Keycloak's own client-x509 on the same TLS listener (once KeycloakHttpsIT's own instance)
        keycloak.admin().realms().create(representation(Map.of("realm", X509_REALM, "enabled", true),
                RealmRepresentation.class));
        createX509Client(keycloak.admin().realm(X509_REALM), X509_CLIENT, "CN=direct-device");
        DaneScenarios.daneClient(keycloak.admin(), "gateway", GATEWAY);
        DaneScenarios.daneClient(keycloak.admin(), "edge", EDGE);
        DaneScenarios.daneClient(keycloak.admin(), "branch-cert", BRANCH_CERT);
        DaneScenarios.daneClient(keycloak.admin(), "branch-spki", BRANCH_SPKI);
        gateway = TestPki.leaf("gateway").issuer(orgCa).dnsNames(GATEWAY).build();
        publish(shared, GATEWAY, daneEe(gateway.cert()));
        // EDGE: a digest of the CA certificate, usable only because TLS hands over the chain
        publish(shared, "*._gw.example.test", DaneScenarios.daneTaDigest(orgCa.cert()));
    }

    @AfterAll
    static void stop() {
        if (keycloak != null) {
            keycloak.close();
        }
    }

    @Test
    void daneEeOverDirectMutualTls() {
        TlsHttp.Response response = tokenRequest(gateway, "client_id", "gateway");

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(response.json().path("access_token").asText(), https(gateway),
                keycloak.realmUri(REALM));
        assertThat(claims.getClaim("dane_clientid")).isEqualTo(GATEWAY);
    }

    @Test
    void daneTaDigestOnTheCaInThePresentedChain() throws Exception {
        Issued edge = TestPki.leaf("edge").issuer(orgCa).dnsNames(EDGE).build();
        java.time.Instant since = java.time.Instant.now();

        TlsHttp.Response response = tokenRequest(edge, "dane_clientid", EDGE);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode event = DaneScenarios.event(keycloak.admin(), "CLIENT_LOGIN", EDGE, since).orElseThrow();
        assertThat(event.path("details").path("dane_record").asText()).isEqualTo("2 0 1@1");
    }

    @Test
    void daneTaOnAnIntermediateCaInThePresentedChain(Stack shared) throws Exception {
        Issued branchCa = TestPki.ca("Direct mTLS Branch CA").issuer(orgCa).build();
        publish(shared, BRANCH_CERT, DaneScenarios.daneTaDigest(branchCa.cert()));
        publish(shared, BRANCH_SPKI, DaneScenarios.daneTaKeyDigest(branchCa.cert()));
        for (String name : List.of(BRANCH_CERT, BRANCH_SPKI)) {
            Issued device = TestPki.leaf("branch").issuer(branchCa).dnsNames(name).build();
            java.time.Instant since = java.time.Instant.now();

            TlsHttp.Response response = TlsHttp.trusting(tlsCa.cert())
                    .withClientCertificate(device, branchCa.cert(), orgCa.cert())
                    .postForm(URI.create(keycloak.realmUri(REALM) + "/protocol/openid-connect/token"),
                            Map.of("grant_type", "client_credentials", "dane_clientid", name));

            assertThat(response.status()).as(name + ": " + response).isEqualTo(200);
            JsonNode event = DaneScenarios.event(keycloak.admin(), "CLIENT_LOGIN", name, since).orElseThrow();
            assertThat(event.path("details").path("dane_record").asText())
                    .isEqualTo((name.equals(BRANCH_CERT) ? "2 0 1" : "2 1 1") + "@1");
        }
    }

    @Test
    void aDeviceWhoseKeyIsNotPublishedIsRefused() {
        // same CA, same name, another key: the TLS layer accepts it, DANE does not
        Issued other = TestPki.leaf("gateway").issuer(orgCa).dnsNames(GATEWAY).build();

        TlsHttp.Response response = tokenRequest(other, "client_id", "gateway");

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_client");
    }

    private static TlsHttp https(Issued device) {
        return TlsHttp.trusting(tlsCa.cert()).withClientCertificate(device, orgCa.cert());
    }

    private static TlsHttp.Response tokenRequest(Issued device, String... form) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("grant_type", "client_credentials");
        for (int i = 0; i < form.length; i += 2) {
            body.put(form[i], form[i + 1]);
        }
        return https(device).postForm(URI.create(keycloak.realmUri(REALM) + "/protocol/openid-connect/token"), body);
    }

    // ------------------------------------------------------------------ Keycloak's own HTTPS and client-x509

    private static TlsHttp.Response x509Token(TlsHttp http) {
        return http.postForm(URI.create(keycloak.realmUri(X509_REALM) + "/protocol/openid-connect/token"),
                Map.of("grant_type", "client_credentials", "client_id", X509_CLIENT));
    }

    @Test
    void servesHttpsOnly() {
        assertThat(keycloak.baseUri().getScheme()).isEqualTo("https");
        TlsHttp.Response r = TlsHttp.trusting(tlsCa.cert())
                .get(URI.create(keycloak.realmUri("master") + "/.well-known/openid-configuration"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("issuer").asText()).isEqualTo(keycloak.realmUri("master").toString());
    }

    @Test
    void keycloaksClientX509TakesTheCertificateFromTheTlsLayer() {
        Issued device = TestPki.leaf("direct-device").issuer(orgCa).build();

        TlsHttp.Response r = x509Token(TlsHttp.trusting(tlsCa.cert()).withClientCertificate(device, orgCa.cert()));

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(x509Token(TlsHttp.trusting(tlsCa.cert())).status()).as("without a certificate").isEqualTo(401);
    }

    /**
     * With https-client-auth=request the TLS layer validates a presented certificate against Keycloak's truststore
     * and ends the handshake (certificate_unknown) when that fails: a self-signed DANE-EE device certificate never
     * reaches an authenticator over direct mTLS unless it (or its issuer) is in the truststore.
     */
    @Test
    void handshakeFailsForACertificateOutsideTheTruststore() {
        Issued selfSigned = TestPki.leaf("direct-device").build();
        TlsHttp http = TlsHttp.trusting(tlsCa.cert()).withClientCertificate(selfSigned);

        assertThatThrownBy(() -> x509Token(http))
                .hasRootCauseInstanceOf(javax.net.ssl.SSLHandshakeException.class)
                .rootCause().hasMessageContaining("certificate_unknown");
    }
}
