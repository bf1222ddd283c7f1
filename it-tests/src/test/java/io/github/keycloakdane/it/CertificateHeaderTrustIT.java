package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A header lookup with {@code proxy-trusted-addresses} unset: Keycloak then believes the certificate header from
 * anyone who reaches it, so DANE refuses everyone and says why at start, unless the operator acknowledges it. The
 * lookup is a third party's ({@link ThirdPartyLookup}, compiled at test time into a provider jar of its own), which
 * DANE cannot know to be header-based from its id: every lookup but Keycloak's own TLS lookup {@code default} is
 * taken to be (Keycloak's six header lookups are checked the same way, {@code DeploymentChecksTest}). This stack also
 * leaves {@code dane.clientid} unsearchable: a client that sends only its name is refused. Its own Keycloak, started
 * twice in one directory (the second start needs no re-augmentation).
 */
class CertificateHeaderTrustIT {

    /** realm-config's client sensor7. */
    private static final String SENSOR7 = "sensor7._device.example.test";

    private static Stack.Builder stack(Path lookupJar) {
        Stack.Builder b = Stack.builder().name("header-trust").provider(ItConfig.daneJar()).provider(lookupJar)
                .certificateLookup(ThirdPartyLookup.options())
                .knot(k -> k.signedZone("example.test", "")).proxyTrustedAddresses(null);
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
    }

    @Test
    void withoutTrustedProxyAddressesDaneRefusesEveryoneUnlessTheOperatorAcknowledgesIt() throws Exception {
        Issued sensor7 = TestPki.leaf("sensor7").build();
        Path lookupJar = ThirdPartyLookup.jar(Files.createDirectories(ItConfig.workDir().resolve("acme-lookup")));
        try (Stack stack = stack(lookupJar).start()) {
            publish(stack, SENSOR7, daneEe(sensor7.cert()));
            Instant since = Instant.now();

            TlsHttp.Response response = clientCredentials(stack, device(stack, sensor7), "client_id", "sensor7");

            assertThat(response.status()).as(response.toString()).isEqualTo(401);
            JsonNode refused = event(stack, "CLIENT_LOGIN_ERROR", SENSOR7, since).orElseThrow();
            assertThat(refused.path("details").path("dane_reason").asText()).isEqualTo("UNTRUSTED_CERTIFICATE_HEADER");
            assertThat(stack.keycloak().log()).contains("DANE refuses every client and user on this node",
                    "'" + ThirdPartyLookup.ID + "'", "--proxy-trusted-addresses",
                    "--spi-dane--default--allow-untrusted-certificate-header=true",
                    "--spi-dane--default--headerless-certificate-lookups=" + ThirdPartyLookup.ID);

            // the exposure itself: the device's public certificate in the header, straight to Keycloak, no key
            since = Instant.now();
            TlsHttp.Response forged = forgedStraightToKeycloak(stack, sensor7);
            assertThat(forged.status()).as(forged.toString()).isEqualTo(401);
            assertThat(event(stack, "CLIENT_LOGIN_ERROR", SENSOR7, since).orElseThrow().path("details")
                    .path("dane_reason").asText()).isEqualTo("UNTRUSTED_CERTIFICATE_HEADER");

            // the same configuration also has no searchable dane.clientid: finding a client by name alone is refused
            since = Instant.now();
            TlsHttp.Response byName = clientCredentials(stack, device(stack, sensor7), "dane_clientid", SENSOR7);
            assertThat(byName.status()).isEqualTo(401);
            assertThat(event(stack, "CLIENT_LOGIN_ERROR", SENSOR7, since).orElseThrow().path("details")
                    .path("dane_reason").asText()).isEqualTo("NAME_SEARCH_DISABLED");
            assertThat(stack.keycloak().log()).contains("--spi-client--jpa--searchable-attributes=dane.clientid");
        }

        try (Stack stack = stack(lookupJar).keycloakOptions(KeycloakOptions.dane(
                ServerOption.ALLOW_UNTRUSTED_CERTIFICATE_HEADER, true)).start()) {
            publish(stack, SENSOR7, daneEe(sensor7.cert()));

            TlsHttp.Response throughNginx = clientCredentials(stack, device(stack, sensor7), "client_id", "sensor7");
            TlsHttp.Response forged = forgedStraightToKeycloak(stack, sensor7);

            assertThat(throughNginx.status()).as(throughNginx.toString()).isEqualTo(200);
            // what the acknowledgement accepts: whoever reaches Keycloak directly can present the public certificate
            assertThat(forged.status()).as(forged.toString()).isEqualTo(200);
            assertThat(stack.keycloak().log()).contains("is believed from any address")
                    .doesNotContain("DANE refuses every client and user on this node");
        }
    }

    /** No TLS, no private key: only the device's public certificate in nginx's header, from 127.0.0.2. */
    private static TlsHttp.Response forgedStraightToKeycloak(Stack stack, Issued device) throws IOException {
        String pem = URLEncoder.encode(TestPki.pem(List.of(device.cert())), StandardCharsets.UTF_8);
        return TlsHttp.postFormFrom(InetAddress.getByName("127.0.0.2"),
                URI.create(stack.keycloak().realmUri(REALM) + "/protocol/openid-connect/token"),
                Map.of("grant_type", "client_credentials", "client_id", "sensor7"),
                Map.of(KeycloakOptions.CLIENT_CERT_HEADER, pem));
    }
}
