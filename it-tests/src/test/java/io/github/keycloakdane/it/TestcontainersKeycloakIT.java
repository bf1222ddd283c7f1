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
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.PullPolicy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider in a Keycloak container through testcontainers-keycloak, added the way a user adds it
 * (docs/CONTAINERS.md shows {@link #withDane} as it is here), and the repository's Containerfile built on that image
 * and started optimized. The image is built on this machine ({@code scripts/keycloak-image.sh}: no registry is
 * reachable) and the engine has no bridge, so the container shares the host's network
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

    /**
     * The repository's Containerfile, built as a user builds it: on the local image tagged under the official name
     * (no registry here), with the release jar beside it, {@code DB=dev-file} (no database server needed), then
     * {@code start --optimized} on the host's network behind a real nginx.
     */
    @Test
    @EnabledIf("dockerAndImage")
    void theContainerfileImageStartsOptimizedAndADeviceGetsAToken(Stack stack) throws Exception {
        String version = System.getProperty("keycloak.version");
        Path containerfile = Path.of("../Containerfile");
        assertThat(Files.readString(containerfile)).as("the Containerfile's default Keycloak is the suite's")
                .contains("ARG KEYCLOAK_VERSION=" + version + "\n");
        String base = KeycloakImage.build();
        DockerClientFactory.instance().client().tagImageCmd(base, "quay.io/keycloak/keycloak", version).exec();
        Path context = Files.createDirectories(ItConfig.workDir().resolve("containerfile"));
        Files.copy(containerfile, context.resolve("Containerfile"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(ItConfig.daneJar(), context.resolve("keycloak-dane.jar"), StandardCopyOption.REPLACE_EXISTING);
        String image = "keycloak-dane/containerfile-it:" + version;
        long t0 = System.nanoTime();
        run(List.of("docker", "build", "-q", "--network", "host", "--build-arg", "DB=dev-file", "-f",
                context.resolve("Containerfile").toString(), "-t", image, context.toString()));
        System.out.printf(Locale.ROOT, "[TestcontainersKeycloakIT] Containerfile built in %.1f s%n",
                (System.nanoTime() - t0) / 1e9);

        Issued device = TestPki.leaf("containerfile").build();
        publish(stack, CONTAINERFILE_NAME, daneEe(device.cert()));
        Issued proxyCa = TestPki.ca("containerfile IT TLS CA").build();
        int port = freePort();
        int management = freePort();
        List<String> command = new ArrayList<>(List.of("start", "--optimized", "--http-enabled=true",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + management,
                "--hostname-strict=false", "--import-realm",
                // a production build clusters (JGroups): keep its transport on loopback and a port of its own
                "--cache-embedded-network-bind-address=127.0.0.1", "--cache-embedded-network-bind-port=" + jgroupsPort()));
        command.addAll(KeycloakOptions.behindProxy("127.0.0.1"));
        command.addAll(KeycloakOptions.nginxCertLookupSettings());
        command.addAll(List.of(ServerOption.RESOLVER.spiOption() + "=127.0.0.1:" + stack.knot().port(),
                ServerOption.TRUST_ANCHORS.spiOption() + "=/opt/keycloak/conf/anchors.zone",
                KeycloakOptions.SEARCHABLE_NAME));
        t0 = System.nanoTime();
        try (GenericContainer<?> keycloak = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host").withImagePullPolicy(PullPolicy.defaultPolicy())
                .withEnv("KC_BOOTSTRAP_ADMIN_USERNAME", "admin").withEnv("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin")
                .withEnv("JAVA_OPTS_APPEND", ItConfig.keycloakJavaOptsAppend())
                .withCopyFileToContainer(MountableFile.forHostPath(ItConfig.daneRealm().orElseThrow()),
                        "/opt/keycloak/data/import/realm.json")
                .withCopyFileToContainer(MountableFile.forHostPath(stack.trustAnchorFile()),
                        "/opt/keycloak/conf/anchors.zone")
                .withCommand(command.toArray(String[]::new))
                .waitingFor(Wait.forLogMessage(".*Listening on: http://127\\.0\\.0\\.1:" + port + ".*", 1)
                        .withStartupTimeout(Duration.ofMinutes(5)))) {
            keycloak.start();
            // "Listening on" comes before the server answers (503 until it is initialised): wait for readiness
            awaitReady(URI.create("http://127.0.0.1:" + management + "/health/ready"), Duration.ofMinutes(3));
            System.out.printf(Locale.ROOT, "[TestcontainersKeycloakIT] Containerfile image started in %.1f s%n",
                    (System.nanoTime() - t0) / 1e9);
            String logs = keycloak.getLogs();
            assertThat(logs).as("an optimized start: no rebuild").doesNotContain("Updating the configuration");
            URI direct = URI.create("http://127.0.0.1:" + port);
            try (org.keycloak.admin.client.Keycloak admin = org.keycloak.admin.client.Keycloak.getInstance(
                    direct.toString(), "master", "admin", "admin", "admin-cli")) {
                daneClient(admin, "containerfile", CONTAINERFILE_NAME);
            }
            try (NginxProxy nginx = NginxProxy.start(ItConfig.workDir().resolve("containerfile-nginx"), direct,
                    TestPki.tlsServer(proxyCa, "127.0.0.1"))) {
                URI realm = nginx.baseUri().resolve("/realms/" + REALM);
                TlsHttp https = TlsHttp.trusting(proxyCa.cert());
                TlsHttp.Response granted = https.withClientCertificate(device).postForm(
                        URI.create(realm + "/protocol/openid-connect/token"),
                        Map.of("grant_type", "client_credentials", "client_id", "containerfile"));

                assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
                JWTClaimsSet claims = Tokens.verify(granted.json().path("access_token").asText(), https, realm);
                assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(CONTAINERFILE_NAME);
            }
        }
    }

    private static final String CONTAINERFILE_NAME = "containerfile._device.example.test";

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitReady(URI health, Duration timeout) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(health)
                        .timeout(Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (java.io.IOException e) {
                last = e.toString();
            }
            Thread.sleep(1000);
        }
        throw new IllegalStateException(health + " not ready within " + timeout + ": " + last);
    }

    /** A free port whose + 50000 (FD_SOCK2's, Keycloak's jgroups.fd.port-offset) is free too. */
    private static int jgroupsPort() throws java.io.IOException {
        for (int port = 10000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(5000); port < 15536; port++) {
            try (java.net.ServerSocket a = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress());
                 java.net.ServerSocket b = new java.net.ServerSocket(port + 50000, 1,
                         java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (java.io.IOException taken) {
                // the next one
            }
        }
        throw new java.io.IOException("no free JGroups port pair");
    }

    /** A docker CLI command (the engine of DOCKER_HOST, as Testcontainers uses), classic builder, no network. */
    private static void run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("DOCKER_BUILDKIT", "0");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(10, java.util.concurrent.TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
    }

    @Test
    void theReadmeShowsWithDaneAsItRunsHere() throws Exception {
        String source = Files.readString(Path.of("src/test/java/io/github/keycloakdane/it/TestcontainersKeycloakIT.java"));
        String begin = "    // README: begin\n";
        String end = "    // README: end\n";
        String snippet = source.substring(source.indexOf(begin) + begin.length(), source.indexOf(end))
                .replaceAll("(?m)^    ", "");

        assertThat(Files.readString(Path.of("../docs/CONTAINERS.md")))
                .as("docs/CONTAINERS.md's testcontainers-keycloak snippet; copy it from TestcontainersKeycloakIT:%n%s",
                        snippet)
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
