package io.github.keycloakdane.it;

import dasniko.testcontainers.keycloak.KeycloakContainer;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.MountableFile;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Scenario 1 (client_credentials with DANE-EE) in the official Keycloak image via testcontainers-keycloak, for
 * machines with Docker. The container shares the host's network so that it reaches the Knot DNS of the shared stack
 * on 127.0.0.1; the certificate header is sent directly from 127.0.0.1, the container's trusted proxy address.
 * Without a Docker engine the test is skipped and says so: the same scenario always runs against the dist zip in
 * {@link ClientDaneIT}.
 */
@ExtendWith(SharedStack.class)
class TestcontainersKeycloakIT {

    @BeforeEach
    void requireDocker() {
        if (!dockerAvailable()) {
            String why = "skipped: no Docker engine on this machine (the docker client alone is not enough); "
                    + "ClientDaneIT runs the same scenario against the keycloak-quarkus-dist zip";
            System.out.println("[TestcontainersKeycloakIT] " + why); // failsafe does not print skip reasons
            Assumptions.abort(why);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    @Test
    void clientCredentialsWithDaneEeInTheOfficialImage(Stack stack) throws Exception {
        String name = "container._device.example.test";
        Issued device = TestPki.leaf("container").build();
        publish(stack, name, daneEe(device.cert()));
        String image = "quay.io/keycloak/keycloak:" + System.getProperty("keycloak.version"); // the pom's version
        try (KeycloakContainer keycloak = new KeycloakContainer(image)
                .withNetworkMode("host")
                .withProviderLibsFrom(List.of(ItConfig.daneJar().toFile()))
                .withCopyFileToContainer(MountableFile.forHostPath(ItConfig.daneRealm().orElseThrow()),
                        "/opt/keycloak/data/import/dane-realm.json")
                .withCopyFileToContainer(MountableFile.forHostPath(stack.trustAnchorFile()),
                        "/opt/keycloak/conf/dane-trust-anchors.zone")
                .withCustomCommand(String.join(" ",
                        "--import-realm",
                        "--spi-x509cert-lookup--provider=nginx",
                        "--spi-x509cert-lookup--nginx--ssl-client-cert=ssl-client-cert",
                        "--proxy-headers=xforwarded", "--proxy-trusted-addresses=127.0.0.1",
                        "--spi-dane--default--resolver=127.0.0.1:" + stack.knot().port(),
                        "--spi-dane--default--trust-anchors=/opt/keycloak/conf/dane-trust-anchors.zone"))) {
            keycloak.start();
            org.keycloak.admin.client.Keycloak admin = keycloak.getKeycloakAdminClient();
            var client = new org.keycloak.representations.idm.ClientRepresentation();
            client.setClientId("container");
            client.setPublicClient(false);
            client.setClientAuthenticatorType("client-dane");
            client.setServiceAccountsEnabled(true);
            client.setAttributes(Map.of("dane.clientid", name));
            admin.realm(REALM).clients().create(client).close();

            String pem = TestPki.pem(List.of(device.cert()));
            TlsHttp.Response response = TlsHttp.trusting().postForm(
                    URI.create(keycloak.getAuthServerUrl() + "/realms/" + REALM + "/protocol/openid-connect/token"),
                    Map.of("grant_type", "client_credentials", "client_id", "container"),
                    "ssl-client-cert", URLEncoder.encode(pem, StandardCharsets.UTF_8));

            assertThat(response.status()).as(response.toString()).isEqualTo(200);
            assertThat(response.json().path("access_token").asText()).isNotBlank();
        }
    }
}
