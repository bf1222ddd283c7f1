package io.github.keycloakdane.it;

import com.nimbusds.jwt.SignedJWT;
import io.github.keycloakdane.cli.DaneTlsClient;
import io.github.keycloakdane.it.harness.DaneGatewayProcess;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.bouncycastle.tls.AlertDescription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.TrustAnchor;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS-native mode end to end: devices speak TLS 1.3 with {@code dane_clientid} (the CLI's {@code request}) to the
 * gateway jar, which checks DANE against Knot (DNSSEC validated locally) and forwards to the shared stack's Keycloak
 * with {@code proxy-identity-header} (re-verified there against the forwarded certificate). Refusals end the
 * handshake, so nothing reaches Keycloak; standard clients (curl, openssl from Debian) show the gateway speaks plain
 * TLS 1.3 and refuses TLS 1.2. DNS goes through {@link FaultyDns} so that chosen names can be black-holed. Two
 * gateway processes (about 2 s each), no extra Keycloak.
 */
@ExtendWith(SharedStack.class)
class GatewayIT {

    static final String HEADER = "X-Dane-Authenticated-Clientid";
    private static final String GW1 = "gw1._device.example.test";
    private static final String GW2 = "gw2._device.example.test";
    private static final String UNSIGNED = "gw3._device.unsigned.test";
    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(8);

    private static Stack stack;
    private static Issued tlsCa;
    private static Issued device;
    private static Path dir;
    private static Path caFile;
    private static FaultyDns dns;
    private static DaneGatewayProcess open;
    private static DaneGatewayProcess strict;

    @BeforeAll
    static void start(Stack shared) throws Exception {
        stack = shared;
        dir = Files.createDirectories(ItConfig.workDir().resolve("gateway-it"));
        tlsCa = TestPki.ca("gateway IT TLS CA").build();
        caFile = TestPki.writePem(dir.resolve("ca.pem"), List.of(tlsCa.cert()));
        device = TestPki.leaf("gw1").build();
        TestPki.writePem(dir.resolve("device.pem"), List.of(device.cert()));
        TestPki.writePem(dir.resolve("device.key"), device.keyPair().getPrivate());
        DaneScenarios.daneClient(stack.admin(), "gw1", GW1);
        DaneScenarios.daneClient(stack.admin(), "gw2", GW2);
        publish(stack, GW1, daneEe(device.cert()));
        publish(stack, GW2, daneEe(device.cert()));
        publish(stack, UNSIGNED, daneEe(device.cert()));
        dns = new FaultyDns(stack.knot().address(), Duration.ZERO, 1);
        String resolver = "127.0.0.1:" + dns.address().getPort();
        URI keycloak = stack.keycloak().baseUri();
        Issued serverCert = TestPki.tlsServer(tlsCa, "127.0.0.1", "localhost");
        List<String> common = List.of("--resolver", resolver, "--trust-anchors", stack.trustAnchorFile().toString(),
                "--allow-list", ".example.test,.unsigned.test", "--timeout", Long.toString(LOOKUP_TIMEOUT.toMillis()),
                "--max-concurrent-lookups", "128", "--identity-header", HEADER, "--handshake-timeout", "60000");
        List<String> openOptions = new ArrayList<>(common);
        openOptions.addAll(List.of("--unauthenticated-paths", "/realms/" + REALM + "/.well-known/"));
        open = DaneGatewayProcess.start(dir.resolve("open"), keycloak, serverCert, openOptions.toArray(String[]::new));
        strict = DaneGatewayProcess.start(dir.resolve("strict"), keycloak, serverCert, common.toArray(String[]::new));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {open, strict, dns}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static CliRunner.Result request(DaneGatewayProcess gw, String name, Path key) throws Exception {
        return CliRunner.run("request", "--key", key.toString(), "--cert", dir.resolve("device.pem").toString(),
                "--name", name, "--cacert", caFile.toString(),
                gw.baseUri() + "/realms/" + REALM + "/protocol/openid-connect/token", "-d", "grant_type=client_credentials");
    }

    @Test
    void aDeviceGetsATokenThroughTheGatewayAndKeycloakReVerifiesIt() throws Exception {
        CliRunner.Result r = request(strict, GW1, dir.resolve("device.key"));

        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.stderr()).contains("cannot see whether the server offered it");
        String token = com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(r.stdout())
                .path("access_token").asText();
        assertThat(SignedJWT.parse(token).getJWTClaimsSet().getStringClaim("dane_clientid")).isEqualTo(GW1);
        assertThat(strict.log()).contains("authenticated " + GW1);
    }

    @Test
    void anotherKeyAnUnlistedNameAnUnsignedZoneAndAZeroLengthNameFailTheHandshake() throws Exception {
        Issued other = TestPki.leaf("gw1").build();
        Path otherKey = TestPki.writePem(dir.resolve("other.key"), other.keyPair().getPrivate());
        Instant since = Instant.now();

        CliRunner.Result wrongKey = request(strict, GW1, otherKey);
        assertThat(wrongKey.exitCode()).as(wrongKey.toString()).isEqualTo(1);
        // the key does not match the certificate: the client's own CertificateVerify fails at the gateway
        assertThat(wrongKey.stderr()).contains("refused the connection");

        Issued otherCert = TestPki.leaf("gw1").build();
        assertRefused(client(otherCert, GW1));
        assertThat(strict.log()).contains("refused " + GW1 + " NO_MATCH");

        long queries = DaneScenarios.knotQueries(stack);
        assertRefused(client(device, "gw1._device.elsewhere.test"));
        assertRefused(client(device, ""));
        assertThat(DaneScenarios.knotQueries(stack)).as("no DNS query").isEqualTo(queries);
        assertThat(strict.log()).contains("refused gw1._device.elsewhere.test NOT_ALLOWED");

        assertRefused(client(device, UNSIGNED));
        assertThat(strict.log()).contains("refused " + UNSIGNED + " DNS_INSECURE");

        assertThat(DaneScenarios.event(stack, "CLIENT_LOGIN_ERROR", GW1, since)).as("nothing reached Keycloak")
                .isEmpty();
    }

    @Test
    void standardTls13ClientsWithoutTheExtensionPassOnlyWhereThePolicyAllowsAndTls12IsRefused() throws Exception {
        String wellKnown = "/realms/" + REALM + "/.well-known/openid-configuration";
        List<String> curl = List.of("curl", "-sS", "--tlsv1.3", "--cacert", caFile.toString(), "-o", "/dev/null",
                "-w", "%{http_code}");

        CliRunner.Result allowed = exec(curl, open.baseUri() + wellKnown);
        assertThat(allowed.stdout()).as(allowed.toString()).isEqualTo("200");
        CliRunner.Result token = exec(curl, "-d", "grant_type=client_credentials",
                open.baseUri() + "/realms/" + REALM + "/protocol/openid-connect/token");
        assertThat(token.stdout()).as(token.toString()).isEqualTo("403");

        CliRunner.Result refused = exec(curl, strict.baseUri() + wellKnown);
        assertThat(refused.exitCode()).as(refused.toString()).isNotZero();
        assertThat(refused.stderr()).containsIgnoringCase("handshake failure");

        CliRunner.Result tls12 = CliRunner.exec(List.of("sh", "-c", "openssl s_client -tls1_2 -connect 127.0.0.1:"
                + strict.port() + " </dev/null 2>&1"));
        assertThat(tls12.exitCode()).as(tls12.toString()).isNotZero();
        assertThat(tls12.stdout()).containsIgnoringCase("protocol version");
    }

    @Test
    void sixtyFourBlackHoledNamesInFlightDoNotStopAGoodDevice() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(64);
        List<Future<?>> holes = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                String name = "hole" + i + "._device.example.test";
                dns.set(name, FaultyDns.Fault.DROP);
                holes.add(pool.submit(() -> client(device, name).send("GET", open.baseUri(), null, null)));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!allQueried() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(allQueried()).as("64 lookups sent into the black hole").isTrue();

            DaneTlsClient.Response token = client(device, GW2).send("POST",
                    URI.create(open.baseUri() + "/realms/" + REALM + "/protocol/openid-connect/token"),
                    "application/x-www-form-urlencoded", "grant_type=client_credentials".getBytes(StandardCharsets.UTF_8));

            assertThat(token.status()).as(token.body()).isEqualTo(200);
            assertThat(holes).as("the black-holed handshakes are still waiting").noneMatch(Future::isDone);
            for (Future<?> f : holes) {
                assertThatThrownBy(() -> f.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(DaneTlsClient.Refused.class);
            }
            assertThat(open.log()).contains("DNS_TIMEOUT");
        } finally {
            pool.shutdownNow();
        }
    }

    private static boolean allQueried() {
        for (int i = 0; i < 64; i++) {
            if (dns.queries("hole" + i + "._device.example.test") == 0) {
                return false;
            }
        }
        return true;
    }

    private static DaneTlsClient client(Issued cert, String name) {
        return new DaneTlsClient(List.of(cert.cert()), cert.keyPair().getPrivate(), name,
                DaneTlsClient.DEFAULT_CODEPOINT, Set.of(new TrustAnchor(tlsCa.cert(), null)));
    }

    private static void assertRefused(DaneTlsClient client) {
        assertThatThrownBy(() -> client.send("GET", strict.baseUri(), null, null))
                .isInstanceOfSatisfying(DaneTlsClient.Refused.class,
                        e -> assertThat(e.alert).isEqualTo(AlertDescription.handshake_failure));
    }

    private static CliRunner.Result exec(List<String> base, String... more) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(base);
        command.addAll(List.of(more));
        return CliRunner.exec(command);
    }
}
