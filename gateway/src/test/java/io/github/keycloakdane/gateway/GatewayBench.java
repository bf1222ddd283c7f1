package io.github.keycloakdane.gateway;

import com.sun.net.httpserver.HttpServer;
import io.github.keycloakdane.cli.DaneTlsClient;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.TrustAnchor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * scripts/bench-gateway.sh: full TLS 1.3 handshakes with a client certificate (EC P-256, a new connection and one GET
 * each) per second through the gateway (dane_clientid, the DANE check against a cached secure answer) and through
 * nginx with {@code ssl_verify_client optional_no_ca} (the cooperative mode's proxy), the same BouncyCastle client
 * for both, the same trivial upstream behind both. Prints a markdown table. Not a test: run by hand.
 */
public final class GatewayBench {

    public static void main(String[] args) throws Exception {
        int concurrency = Integer.getInteger("bench.concurrency", 8);
        int perThread = Integer.getInteger("bench.requests", 200);
        int rounds = Integer.getInteger("bench.rounds", 3);
        Path dir = Files.createTempDirectory("bench-gateway");
        Issued ca = TestPki.ca("bench CA").build();
        Issued server = TestPki.tlsServer(ca, "127.0.0.1");
        Issued device = TestPki.leaf("bench").build();
        String name = "bench._device.example.test";
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Certificates.subjectPublicKeyInfo(device.cert()));
        TlsaLookup secure = new TlsaLookup(DnssecStatus.SECURE, List.of(TlsaRecord.of(3, 1, 1, digest)), List.of(),
                300, "secure");

        HttpServer upstream = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        upstream.createContext("/", x -> {
            byte[] ok = "ok".getBytes(StandardCharsets.US_ASCII);
            x.sendResponseHeaders(200, ok.length);
            x.getResponseBody().write(ok);
            x.close();
        });
        upstream.setExecutor(Executors.newFixedThreadPool(4));
        upstream.start();
        String up = "http://127.0.0.1:" + upstream.getAddress().getPort();

        TestPki.writePem(dir.resolve("server.pem"), List.of(server.cert()));
        TestPki.writePem(dir.resolve("server.key"), server.keyPair().getPrivate());
        int nginxPort = freePort();
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(dir.resolve("nginx.conf"), """
                worker_processes auto;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path %1$s/tmp; proxy_temp_path %1$s/tmp; fastcgi_temp_path %1$s/tmp;
                    uwsgi_temp_path %1$s/tmp; scgi_temp_path %1$s/tmp;
                    server {
                        listen 127.0.0.1:%2$d ssl;
                        ssl_certificate %1$s/server.pem;
                        ssl_certificate_key %1$s/server.key;
                        ssl_protocols TLSv1.3;
                        ssl_verify_client optional_no_ca;
                        ssl_session_tickets off;
                        ssl_session_cache off;
                        location / {
                            proxy_pass %3$s;
                            proxy_set_header ssl-client-cert $ssl_client_escaped_cert;
                        }
                    }
                }
                """.formatted(dir, nginxPort, up));
        Process nginx = new ProcessBuilder("nginx", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        awaitPort(nginxPort);

        GatewayConfig config = GatewayConfig.parse("--listen", "127.0.0.1:0", "--upstream", up,
                "--cert", dir.resolve("server.pem").toString(), "--key", dir.resolve("server.key").toString(),
                "--max-handshakes", "64");
        Set<TrustAnchor> trust = Set.of(new TrustAnchor(ca.cert(), null));
        DaneTlsClient withName = new DaneTlsClient(List.of(device.cert()), device.keyPair().getPrivate(), name,
                DaneClientId.DEFAULT_CODEPOINT, trust);
        DaneTlsClient withoutName = new DaneTlsClient(List.of(device.cert()), device.keyPair().getPrivate(), null,
                DaneClientId.DEFAULT_CODEPOINT, trust);
        try (DaneGateway gateway = DaneGateway.start(config, n -> secure)) {
            URI gw = URI.create("https://127.0.0.1:" + gateway.address().getPort() + "/");
            URI ng = URI.create("https://127.0.0.1:" + nginxPort + "/");
            run(withName, gw, concurrency, 50);
            run(withoutName, ng, concurrency, 50);
            List<Double> g = new ArrayList<>();
            List<Double> n = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                // ABBA
                boolean gatewayFirst = r % 2 == 0;
                if (gatewayFirst) {
                    g.add(run(withName, gw, concurrency, perThread));
                    n.add(run(withoutName, ng, concurrency, perThread));
                } else {
                    n.add(run(withoutName, ng, concurrency, perThread));
                    g.add(run(withName, gw, concurrency, perThread));
                }
            }
            System.out.printf(Locale.ROOT, "%n| TLS 1.3 handshakes + GET, concurrency %d, %d rounds of %d | handshakes/s"
                            + " (median) | rounds |%n|---|---|---|%n", concurrency, rounds, concurrency * perThread);
            System.out.printf(Locale.ROOT, "| gateway (dane_clientid, DANE check, cached answer) | %.0f | %s |%n",
                    median(g), fmt(g));
            System.out.printf(Locale.ROOT, "| nginx `ssl_verify_client optional_no_ca` | %.0f | %s |%n", median(n),
                    fmt(n));
        } finally {
            nginx.destroy();
            nginx.waitFor(10, TimeUnit.SECONDS);
            upstream.stop(0);
        }
        System.exit(0);
    }

    private static double run(DaneTlsClient client, URI url, int concurrency, int perThread) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency);
        AtomicInteger failures = new AtomicInteger();
        long t0 = System.nanoTime();
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < concurrency; t++) {
            all.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    try {
                        if (client.send("GET", url, null, null).status() != 200) {
                            failures.incrementAndGet();
                        }
                    } catch (IOException e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }
        for (Future<?> f : all) {
            f.get();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        if (failures.get() > 0) {
            throw new IllegalStateException(failures + " requests to " + url + " failed");
        }
        return concurrency * perThread / seconds;
    }

    private static double median(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        s.sort(Double::compare);
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

    private static String fmt(List<Double> values) {
        return String.join(", ", values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws Exception {
        for (int i = 0; i < 100; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nginx did not start");
    }
}
