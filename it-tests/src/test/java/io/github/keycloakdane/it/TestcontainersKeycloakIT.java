package io.github.keycloakdane.it;

import com.nimbusds.jwt.JWTClaimsSet;
import dasniko.testcontainers.keycloak.KeycloakContainer;
import io.github.keycloakdane.it.harness.HostNetworkKeycloak;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakImage;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.NginxProxy;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.utility.MountableFile;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider in a Keycloak container through testcontainers-keycloak, added the way a user adds it (the README
 * shows {@link #withDane} as it is here). The image is built on this machine ({@code scripts/keycloak-image.sh}: no
 * registry is reachable) and the engine has no bridge, so the container shares the host's network
 * ({@link HostNetworkKeycloak}): it reaches the shared stack's Knot on 127.0.0.1, and a real nginx on the host
 * forwards the devices' certificates to it. Without a Docker engine the test is skipped and says why:
 * {@link ClientDaneIT} runs the same scenarios against the dist zip.
 */
@ExtendWith(SharedStack.class)
class TestcontainersKeycloakIT {

    private static final String NAME = "container._device.example.test";

    @Test
    @EnabledIf("dockerAndImage") // before the shared stack is resolved: a skip starts nothing
    void aDeviceGetsATokenAndAnotherKeyIsRefused(Stack stack) throws Exception {
        String image = KeycloakImage.build(); // a no-op when the engine has it
        Issued device = TestPki.leaf("container").build();
        Issued otherKey = TestPki.leaf("container").build();
        publish(stack, NAME, daneEe(device.cert()));
        Issued proxyCa = TestPki.ca("container IT TLS CA").build();
        Issued proxyCertificate = TestPki.tlsServer(proxyCa, "127.0.0.1");

        try (KeycloakContainer keycloak = withDane(new HostNetworkKeycloak(image), ItConfig.daneJar().toFile(),
                ItConfig.daneRealm().orElseThrow(), stack.trustAnchorFile(), "127.0.0.1:" + stack.knot().port(),
                "127.0.0.1")) {
            keycloak.start();
            daneClient(keycloak.getKeycloakAdminClient(), "container", NAME);
            try (NginxProxy nginx = NginxProxy.start(ItConfig.workDir().resolve("testcontainers-nginx"),
                    URI.create(keycloak.getAuthServerUrl()), proxyCertificate)) {
                URI realm = nginx.baseUri().resolve("/realms/" + REALM);
                TlsHttp https = TlsHttp.trusting(proxyCa.cert());
                Map<String, String> form = Map.of("grant_type", "client_credentials", "client_id", "container");

                TlsHttp.Response granted = https.withClientCertificate(device)
                        .postForm(URI.create(realm + "/protocol/openid-connect/token"), form);
                TlsHttp.Response refused = https.withClientCertificate(otherKey)
                        .postForm(URI.create(realm + "/protocol/openid-connect/token"), form);

                assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
                JWTClaimsSet claims = Tokens.verify(granted.json().path("access_token").asText(), https, realm);
                assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(NAME);
                assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
                assertThat(refused.json().path("error").asText()).isEqualTo("invalid_client");
            }
        }
    }

    @Test
    void theReadmeShowsWithDaneAsItRunsHere() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/github/keycloakdane/it/TestcontainersKeycloakIT.java"));
        String begin = "    // README: begin\n";
        String end = "    // README: end\n";
        String snippet = source.substring(source.indexOf(begin) + begin.length(), source.indexOf(end))
                .replaceAll("(?m)^    ", "");

        assertThat(Files.readString(Path.of("../README.md")))
                .as("README.md's testcontainers-keycloak snippet; copy it from TestcontainersKeycloakIT:%n%s", snippet)
                .contains(snippet);
        // the options it spells out for readers are the ones the provider and the harness define
        assertThat(snippet).contains(ServerOption.RESOLVER.spiOption() + "=",
                ServerOption.TRUST_ANCHORS.spiOption() + "=", KeycloakOptions.nginxCertLookup().get(0),
                KeycloakOptions.nginxCertLookup().get(1));
    }

    // README: begin
    /**
     * keycloak-dane in a KeycloakContainer: the provider jar, your realm, the DNSSEC trust anchors and the resolver
     * the provider validates with, and the nginx certificate lookup trusted only from your proxy's address.
     */
    static KeycloakContainer withDane(KeycloakContainer keycloak, File daneJar, Path realmJson, Path trustAnchors,
                                      String resolver, String proxyAddress) {
        return keycloak
                .withProviderLibsFrom(List.of(daneJar))
                .withCopyFileToContainer(MountableFile.forHostPath(realmJson), "/opt/keycloak/data/import/realm.json")
                .withCopyFileToContainer(MountableFile.forHostPath(trustAnchors), "/opt/keycloak/conf/anchors.zone")
                .withCustomCommand("--spi-dane--default--resolver=" + resolver)
                .withCustomCommand("--spi-dane--default--trust-anchors=/opt/keycloak/conf/anchors.zone")
                .withCustomCommand("--spi-x509cert-lookup--provider=nginx")
                .withCustomCommand("--spi-x509cert-lookup--nginx--ssl-client-cert=ssl-client-cert")
                .withCustomCommand("--proxy-headers=xforwarded")
                .withCustomCommand("--proxy-trusted-addresses=" + proxyAddress);
    }
    // README: end

    static boolean dockerAndImage() {
        Optional<String> why = whyNoDocker().or(KeycloakImage::whyUnavailable);
        // failsafe does not print skip reasons
        why.ifPresent(w -> System.out.println("[TestcontainersKeycloakIT] skipped: " + w
                + "; ClientDaneIT runs the same scenarios against the keycloak-quarkus-dist zip"));
        return why.isEmpty();
    }

    private static Optional<String> whyNoDocker() {
        try {
            DockerClientFactory.instance().client();
            return Optional.empty();
        } catch (RuntimeException | LinkageError e) {
            return Optional.of("no Docker engine answers at DOCKER_HOST or the default socket (" + e.getMessage()
                    + "); scripts/test.sh starts one where it runs as root");
        }
    }
}
