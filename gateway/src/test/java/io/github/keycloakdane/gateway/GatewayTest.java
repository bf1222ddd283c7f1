package io.github.keycloakdane.gateway;

import com.sun.net.httpserver.HttpServer;
import io.github.keycloakdane.cli.DaneTlsClient;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.TlsaSource;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.ProtocolVersion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.TrustAnchor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The gateway end to end on loopback: BouncyCastle's TLS 1.3 client with {@code dane_clientid} (the CLI's), the JDK's
 * standard TLS 1.3 client without it, and a recording HTTP server in Keycloak's place. TLSA answers come from an
 * in-memory source (secure records, or a black hole that answers only when released); GatewayIT runs the same
 * against Knot, unbound and Keycloak.
 */
class GatewayTest {

    private static final String DEVICE = "sensor1._device.example.test";

    private static Issued ca;
    private static Issued serverCert;
    private static Issued device;
    private static HttpServer upstream;
    private static final BlockingQueue<Map<String, List<String>>> seen = new LinkedBlockingQueue<>();
    private static final Map<String, String> seenPaths = new ConcurrentHashMap<>();

    private final Map<String, TlsaLookup> zone = new ConcurrentHashMap<>();
    private final AtomicInteger lookups = new AtomicInteger();
    private final CountDownLatch holeOpen = new CountDownLatch(1);
    private final Semaphore inHole = new Semaphore(0);

    @TempDir
    Path dir;

    @BeforeAll
    static void pki() throws IOException {
        ca = TestPki.ca("gateway test CA").build();
        serverCert = TestPki.tlsServer(ca, "127.0.0.1", "localhost");
        device = TestPki.leaf("sensor1").build();
        upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        upstream.createContext("/", exchange -> {
            seen.add(Map.copyOf(exchange.getRequestHeaders()));
            seenPaths.put(exchange.getRequestURI().getPath(), "x");
            byte[] body = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        upstream.setExecutor(Executors.newCachedThreadPool());
        upstream.start();
    }

    @AfterAll
    static void stop() {
        upstream.stop(0);
    }

    @BeforeEach
    void clear() {
        seen.clear();
    }

    private TlsaSource source() {
        return name -> {
            lookups.incrementAndGet();
            if (name.value().startsWith("hole")) {
                inHole.release();
                try {
                    holeOpen.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return TlsaLookup.failed(DnssecStatus.TIMEOUT, "black hole");
            }
            TlsaLookup l = zone.get(name.value());
            return l != null ? l : TlsaLookup.failed(DnssecStatus.NXDOMAIN, "no such name");
        };
    }

    private void publish(String name, Issued cert) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Certificates.subjectPublicKeyInfo(cert.cert()));
        zone.put(name, new TlsaLookup(DnssecStatus.SECURE, List.of(TlsaRecord.of(3, 1, 1, digest)), List.of(), 300,
                "secure"));
    }

    private DaneGateway gateway(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0",
                "--upstream", "http://127.0.0.1:" + upstream.getAddress().getPort(),
                "--cert", TestPki.writePem(dir.resolve("gw.pem"), List.of(serverCert.cert(), ca.cert())).toString(),
                "--key", TestPki.writePem(dir.resolve("gw.key"), serverCert.keyPair().getPrivate()).toString(),
                "--allow-list", "*._device.example.test,hole0._device.example.test,.hole.test"));
        args.addAll(List.of(extra));
        return DaneGateway.start(GatewayConfig.parse(args.toArray(String[]::new)), source());
    }

    private static URI url(DaneGateway gw, String path) {
        return URI.create("https://127.0.0.1:" + gw.address().getPort() + path);
    }

    private static DaneTlsClient client(Issued cert, String name) {
        return new DaneTlsClient(List.of(cert.cert()), cert.keyPair().getPrivate(), name,
                DaneClientId.DEFAULT_CODEPOINT, Set.of(new TrustAnchor(ca.cert(), null)));
    }

    @Test
    void anAuthenticatedDeviceIsForwardedWithTheGatewaysHeadersOnly() throws Exception {
        publish(DEVICE, device);
        try (DaneGateway gw = gateway()) {
            DaneTlsClient.Response r = client(device, DEVICE).send("POST", url(gw, "/realms/iot/token"),
                    "application/x-www-form-urlencoded", "grant_type=client_credentials".getBytes(),
                    Map.of("X-Dane-Authenticated-Clientid", "admin._device.example.test",
                            "ssl-client-cert", "forged", "X-Forwarded-For", "10.9.9.9"));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("{\"ok\":true}");
            Map<String, List<String>> h = seen.poll(10, TimeUnit.SECONDS);
            assertThat(h.get("X-dane-authenticated-clientid")).containsExactly(DEVICE);
            assertThat(h.get("X-forwarded-for")).containsExactly("127.0.0.1");
            assertThat(URLDecoder.decode(h.get("Ssl-client-cert").get(0), StandardCharsets.UTF_8))
                    .isEqualTo(TestPki.pem(List.of(device.cert())));
        }
    }

    @Test
    void anotherKeyAZeroLengthNameAndANameOffTheAllowListFailTheHandshake() throws Exception {
        publish(DEVICE, device);
        Issued otherKey = TestPki.leaf("sensor1").build();
        try (DaneGateway gw = gateway()) {
            assertRefused(client(otherKey, DEVICE), gw, AlertDescription.handshake_failure);
            assertThat(lookups.get()).as("looked up once the key was proven").isEqualTo(1);

            assertRefused(client(device, ""), gw, AlertDescription.handshake_failure);
            assertRefused(client(device, "sensor1._device.elsewhere.test"), gw, AlertDescription.handshake_failure);
            assertRefused(client(device, "not a name"), gw, AlertDescription.handshake_failure);
            assertThat(lookups.get()).as("no DNS query for refused names").isEqualTo(1);

            publish("unsigned._device.example.test", device);
            zone.put("unsigned._device.example.test", TlsaLookup.failed(DnssecStatus.INSECURE, "unsigned zone"));
            assertRefused(client(device, "unsigned._device.example.test"), gw, AlertDescription.handshake_failure);
            assertThat(seen).as("no request reached the upstream").isEmpty();
        }
    }

    @Test
    void tls12IsRefused() throws Exception {
        publish(DEVICE, device);
        try (DaneGateway gw = gateway()) {
            assertThatThrownBy(() -> client(device, DEVICE).versions(ProtocolVersion.TLSv12.only())
                    .send("GET", url(gw, "/"), null, null))
                    .isInstanceOfSatisfying(DaneTlsClient.Refused.class, e -> assertThat(e.alert)
                            .isIn(AlertDescription.protocol_version, AlertDescription.handshake_failure));
            assertThat(seen).isEmpty();
            assertThat(lookups.get()).isZero();
        }
    }

    @Test
    void aStandardTls13ClientWithoutTheExtensionPassesOnlyWhereThePolicyAllows() throws Exception {
        HttpClient jdk = jdkClient();
        try (DaneGateway refusing = gateway()) {
            assertThatThrownBy(() -> jdk.send(HttpRequest.newBuilder(url(refusing, "/realms/iot/.well-known/x"))
                    .build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        }
        try (DaneGateway open = gateway("--unauthenticated-paths", "/realms/iot/.well-known/")) {
            HttpResponse<String> allowed = jdk.send(HttpRequest.newBuilder(url(open,
                    "/realms/iot/.well-known/openid-configuration")).header("X-Dane-Authenticated-Clientid",
                    DEVICE).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(allowed.statusCode()).isEqualTo(200);
            Map<String, List<String>> h = seen.poll(10, TimeUnit.SECONDS);
            assertThat(h).doesNotContainKey("X-dane-authenticated-clientid");

            HttpResponse<String> token = jdk.send(HttpRequest.newBuilder(url(open, "/realms/iot/token"))
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(token.statusCode()).isEqualTo(403);
            HttpResponse<String> escape = jdk.send(HttpRequest.newBuilder(url(open,
                    "/realms/iot/.well-known/%2e%2e/token")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(escape.statusCode()).isEqualTo(403);
            assertThat(seen).isEmpty();
        }
    }

    @Test
    void blackHoledNamesInFlightDoNotStopAGoodDevice() throws Exception {
        publish(DEVICE, device);
        ExecutorService clients = Executors.newFixedThreadPool(64);
        try (DaneGateway gw = gateway()) {
            List<Future<?>> holes = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String name = "hole" + i + ".hole.test";
                holes.add(clients.submit(() -> client(device, name).send("GET", url(gw, "/"), null, null)));
            }
            assertThat(inHole.tryAcquire(64, 60, TimeUnit.SECONDS)).as("64 lookups in the black hole").isTrue();

            DaneTlsClient.Response r = client(device, DEVICE).send("GET", url(gw, "/realms/iot/token"), null, null);

            assertThat(r.status()).isEqualTo(200);
            assertThat(holes).noneMatch(Future::isDone);
            holeOpen.countDown();
            for (Future<?> f : holes) {
                assertThatThrownBy(f::get).hasCauseInstanceOf(DaneTlsClient.Refused.class);
            }
        } finally {
            holeOpen.countDown();
            clients.shutdownNow();
        }
    }

    private static void assertRefused(DaneTlsClient client, DaneGateway gw, short alert) {
        assertThatThrownBy(() -> client.send("GET", url(gw, "/"), null, null))
                .isInstanceOfSatisfying(DaneTlsClient.Refused.class, e -> assertThat(e.alert).isEqualTo(alert));
    }

    private static HttpClient jdkClient() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca.cert());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(null, tmf.getTrustManagers(), null);
        SSLParameters params = new SSLParameters();
        params.setProtocols(new String[]{"TLSv1.3"});
        return HttpClient.newBuilder().sslContext(tls).sslParameters(params).version(HttpClient.Version.HTTP_1_1)
                .build();
    }
}
