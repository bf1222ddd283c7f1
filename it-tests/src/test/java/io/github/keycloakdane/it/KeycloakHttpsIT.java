package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.KeycloakServer;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.RealmRepresentation;

import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.createX509Client;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keycloak serving HTTPS itself with {@code https-client-auth=request} and the {@code default} x509cert-lookup (the
 * chain from the TLS layer): its own instance, not the shared stack. Keycloak's built-in client-x509 stands in for
 * the DANE authenticator.
 */
class KeycloakHttpsIT {

    private static final String REALM = "https-it";
    private static final String CLIENT = "x509-direct";

    static Issued serverCa;
    static Issued clientCa;
    static KeycloakServer keycloak;

    @BeforeAll
    static void start() throws IOException {
        serverCa = TestPki.ca("https-it server CA").build();
        clientCa = TestPki.ca("https-it client CA").build();
        Path dir = Files.createDirectories(ItConfig.workDir().resolve("https-it"));
        Path clientTrust = TestPki.writePem(dir.resolve("client-ca.pem"), List.of(clientCa.cert()));
        keycloak = KeycloakServer.builder("https")
                .provider(ItConfig.daneJar())
                .https(TestPki.tlsServer(serverCa, "127.0.0.1", "localhost"))
                .options(KeycloakOptions.tlsCertLookup())
                .option("--truststore-paths=" + clientTrust)
                .start();
        keycloak.admin().realms().create(representation(Map.of("realm", REALM, "enabled", true),
                RealmRepresentation.class));
        createX509Client(keycloak.admin().realm(REALM), CLIENT, "CN=direct-device");
    }

    @AfterAll
    static void stop() {
        if (keycloak != null) {
            keycloak.close();
        }
    }

    private static TlsHttp.Response token(TlsHttp http) {
        return http.postForm(URI.create(keycloak.realmUri(REALM) + "/protocol/openid-connect/token"),
                Map.of("grant_type", "client_credentials", "client_id", CLIENT));
    }

    @Test
    void servesHttpsOnly() {
        assertThat(keycloak.baseUri().getScheme()).isEqualTo("https");
        TlsHttp.Response r = TlsHttp.trusting(serverCa.cert())
                .get(URI.create(keycloak.realmUri("master") + "/.well-known/openid-configuration"));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("issuer").asText()).isEqualTo(keycloak.realmUri("master").toString());
    }

    @Test
    void clientCertificateFromTheTlsLayerAuthenticatesTheClient() {
        Issued device = TestPki.leaf("direct-device").issuer(clientCa).build();

        TlsHttp.Response r = token(TlsHttp.trusting(serverCa.cert()).withClientCertificate(device, clientCa.cert()));

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
    }

    @Test
    void withoutClientCertificateTheClientIsRejected() {
        assertThat(token(TlsHttp.trusting(serverCa.cert())).status()).isEqualTo(401);
    }

    /**
     * With https-client-auth=request the TLS layer validates a presented certificate against Keycloak's truststore
     * and ends the handshake (certificate_unknown) when that fails: a self-signed DANE-EE device certificate never
     * reaches an authenticator over direct mTLS unless it (or its issuer) is in the truststore.
     */
    @Test
    void handshakeFailsForACertificateOutsideTheTruststore() {
        Issued selfSigned = TestPki.leaf("direct-device").build();
        TlsHttp http = TlsHttp.trusting(serverCa.cert()).withClientCertificate(selfSigned);

        assertThatThrownBy(() -> token(http))
                .hasRootCauseInstanceOf(SSLHandshakeException.class)
                .rootCause().hasMessageContaining("certificate_unknown");
    }
}
