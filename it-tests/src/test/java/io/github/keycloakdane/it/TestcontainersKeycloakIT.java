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

    /**
     * gateway/Containerfile, built on the local Keycloak image (it has the JDK) as its {@code BASE}: the container
     * (host network, as an unprivileged user) terminates TLS 1.3 with {@code dane_clientid} in front of the shared
     * stack's Keycloak, and a device with the CLI's {@code request} gets a token; another key fails the handshake.
     */
    @Test
    @EnabledIf("dockerAndImage")
    void theGatewayContainerfileImageForwardsADeviceAndRefusesAnotherKey(Stack stack) throws Exception {
        Path context = Files.createDirectories(ItConfig.workDir().resolve("gateway-containerfile"));
        Files.createDirectories(context.resolve("gateway/target"));
        Files.copy(Path.of("../gateway/Containerfile"), context.resolve("gateway/Containerfile"),
                StandardCopyOption.REPLACE_EXISTING);
        Files.copy(io.github.keycloakdane.it.harness.DaneGatewayProcess.jar(),
                context.resolve("gateway/target/keycloak-dane-gateway.jar"), StandardCopyOption.REPLACE_EXISTING);
        String image = "keycloak-dane/gateway-containerfile-it:latest";
        long t0 = System.nanoTime();
        run(List.of("docker", "build", "-q", "--network", "host", "--build-arg", "BASE=" + KeycloakImage.build(),
                "-f", context.resolve("gateway/Containerfile").toString(), "-t", image, context.toString()));
        System.out.printf(Locale.ROOT, "[TestcontainersKeycloakIT] gateway/Containerfile built in %.1f s%n",
                (System.nanoTime() - t0) / 1e9);

        Issued device = TestPki.leaf("gateway-container").build();
        Issued impostor = TestPki.leaf("gateway-container impostor").build();
        daneClient(stack.admin(), "gateway-container", GATEWAY_NAME);
        publish(stack, GATEWAY_NAME, daneEe(device.cert()));
        Issued tlsCa = TestPki.ca("gateway container TLS CA").build();
        Issued serverCert = TestPki.tlsServer(tlsCa, "127.0.0.1");
        Path files = Files.createDirectories(context.resolve("files"));
        Path caFile = TestPki.writePem(files.resolve("ca.pem"), List.of(tlsCa.cert()));
        TestPki.writePem(files.resolve("tls.pem"), List.of(serverCert.cert()));
        TestPki.writePem(files.resolve("tls.key"), serverCert.keyPair().getPrivate());
        TestPki.writePem(files.resolve("device.pem"), List.of(device.cert()));
        TestPki.writePem(files.resolve("device.key"), device.keyPair().getPrivate());
        TestPki.writePem(files.resolve("impostor.key"), impostor.keyPair().getPrivate());
        int port = freePort();
        try (GenericContainer<?> gateway = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host").withImagePullPolicy(PullPolicy.defaultPolicy())
                .withCopyFileToContainer(MountableFile.forHostPath(files.resolve("tls.pem"), 0644), "/etc/gateway/tls.pem")
                .withCopyFileToContainer(MountableFile.forHostPath(files.resolve("tls.key"), 0644), "/etc/gateway/tls.key")
                .withCopyFileToContainer(MountableFile.forHostPath(stack.trustAnchorFile(), 0644),
                        "/etc/gateway/anchors.zone")
                .withCommand("--listen", "127.0.0.1:" + port, "--upstream", stack.keycloak().baseUri().toString(),
                        "--cert", "/etc/gateway/tls.pem", "--key", "/etc/gateway/tls.key",
                        "--resolver", "127.0.0.1:" + stack.knot().port(), "--trust-anchors", "/etc/gateway/anchors.zone",
                        "--allow-list", ".example.test")
                .waitingFor(Wait.forLogMessage(".*keycloak-dane gateway on .*", 1)
                        .withStartupTimeout(Duration.ofMinutes(2)))) {
            gateway.start();
            String url = "https://127.0.0.1:" + port + "/realms/" + REALM + "/protocol/openid-connect/token";

            CliRunner.Result granted = CliRunner.run("request", "--key", files.resolve("device.key").toString(),
                    "--cert", files.resolve("device.pem").toString(), "--name", GATEWAY_NAME,
                    "--cacert", caFile.toString(), url, "-d", "grant_type=client_credentials");
            CliRunner.Result refused = CliRunner.run("request", "--key", files.resolve("impostor.key").toString(),
                    "--cert", files.resolve("device.pem").toString(), "--name", GATEWAY_NAME,
                    "--cacert", caFile.toString(), url, "-d", "grant_type=client_credentials");

            assertThat(granted.exitCode()).as(granted + "\n" + gateway.getLogs()).isZero();
            String token = com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
                    .readTree(granted.stdout()).path("access_token").asText();
            assertThat(com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet().getStringClaim("dane_clientid"))
                    .isEqualTo(GATEWAY_NAME);
            assertThat(refused.exitCode()).as("a key that is not the device's: " + refused).isNotZero();
            assertThat(gateway.getLogs()).contains("authenticated " + GATEWAY_NAME);
        }
    }

    private static final String GATEWAY_NAME = "gateway-container._device.example.test";

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
