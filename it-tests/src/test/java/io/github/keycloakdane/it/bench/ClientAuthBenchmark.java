package io.github.keycloakdane.it.bench;

import io.github.keycloakdane.it.DaneScenarios;
import io.github.keycloakdane.it.MetricsIT;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What client authentication costs, method against method, on one stack (nginx, Keycloak, Knot) with one device
 * certificate and one TLS client: client_credentials at the token endpoint for client-x509, a second identical
 * client-x509 client (the A/A row: the noise floor of this run), client-dane with its answer cached (warm),
 * client-secret, and client-dane with nothing cached (cold: its TLSA record has TTL 0, so the verifier never stores it
 * and every request makes a TLSA query and validates it locally to the zone's trust anchor; dnsjava's validator keeps
 * the zone's validated DNSKEYs for their TTL).
 *
 * <p>Method: warm-up until the throughput of three consecutive warm-up rounds is within {@code bench.stable}
 * (or {@code bench.warmup.max} seconds have passed); then, at each concurrency, {@code bench.rounds} rounds in which
 * every method runs one block of {@code bench.block} requests (at least 2 per thread), in alternating order (ABBA:
 * forward, backward, ...) so that drift hits every method alike. A method's ratio to client-x509 is taken per round
 * (throughput over the throughput of client-x509 in the same round); the tables give the median ratio and its spread
 * (min-max over rounds), and p50/p99 over all requests of the method. Asserts that every request succeeded and that
 * the cold method really looked up every time; the targets are reported, not asserted.
 *
 * <p>Run with {@code scripts/bench.sh} (Maven profile {@code bench}), which prints the markdown tables between the
 * markers; sizes: -Dbench.rounds, -Dbench.block, -Dbench.concurrency=1,8,32, -Dbench.warmup.max, -Dbench.stable;
 * -Dbench.searchable=false starts Keycloak without {@code dane.clientid} among the searchable client attributes.
 */
class ClientAuthBenchmark {

    static final String BEGIN = "<!-- bench:begin -->";
    static final String END = "<!-- bench:end -->";

    private static final String REALM = "dane";
    private static final String WARM_NAME = "bench._device.example.test";
    private static final String COLD_NAME = "cold._device.example.test";
    private static final String SECRET = "bench-secret-0123456789";
    /** The series of successful lookups in Keycloak's Prometheus output, as {@link MetricsIT#scrape} spells it. */
    private static final String SECURE_LOOKUPS = "keycloak_dane_lookups_total{dnssec=SECURE}";

    /** One way of authenticating; its form parameters besides grant_type. */
    private record Method(String label, Map<String, String> form) {
    }

    private static final Method X509 = new Method("client-x509", Map.of("client_id", "bench-x509"));
    private static final Method X509_AGAIN = new Method("client-x509 (A/A)", Map.of("client_id", "bench-x509-b"));
    private static final Method DANE_WARM = new Method("client-dane, warm", Map.of("client_id", "bench-dane"));
    private static final Method SECRET_POST = new Method("client-secret",
            Map.of("client_id", "bench-secret", "client_secret", SECRET));
    private static final Method DANE_COLD = new Method("client-dane, cold", Map.of("client_id", "bench-cold"));
    /** The order of a forward round; the A/A pair sits at both ends, so each pair of rounds mirrors it exactly. */
    private static final List<Method> METHODS = List.of(X509, DANE_WARM, SECRET_POST, DANE_COLD, X509_AGAIN);

    /** One block: every request's latency and the block's wall time, in nanoseconds. */
    private record Block(long[] latencies, long wallNanos) {
        double perSecond() {
            return latencies.length / (wallNanos / 1e9);
        }
    }

    /** All blocks of one concurrency: per method, one block a round. */
    private record Level(int concurrency, Map<Method, List<Block>> blocks) {
    }

    @Test
    void clientAuthenticationMethodsSideBySide() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 30);
        int block = Integer.getInteger("bench.block", 20);
        int[] levels = Arrays.stream(System.getProperty("bench.concurrency", "1,8,32").split(","))
                .map(String::strip).mapToInt(Integer::parseInt).toArray();
        int warmupMaxSeconds = Integer.getInteger("bench.warmup.max", 120);
        double stable = Double.parseDouble(System.getProperty("bench.stable", "0.05"));
        boolean searchable = Boolean.parseBoolean(System.getProperty("bench.searchable", "true"));
        // docs/PRODUCTION.md's JVM setting: BouncyCastle checks DNSSEC signatures (bench.bouncyCastle=false: SunEC)
        boolean bouncyCastle = Boolean.parseBoolean(System.getProperty("bench.bouncyCastle", "true"));
        String loadBefore = loadAverage();
        Issued device = TestPki.leaf("bench-device").build();

        try (Stack stack = Stack.builder().name("bench").provider(ItConfig.daneJar())
                .realmImport(ItConfig.daneRealm().orElseThrow())
                .knot(k -> k.signedZone("example.test", "bench._device 60 TLSA " + DaneScenarios.daneEe(device.cert())
                        + "\ncold._device 0 TLSA " + DaneScenarios.daneEe(device.cert()) + "\n"))
                // client-x509 without a CA subject DN warns on every request, and the nginx lookup logs twice per
                // certificate it cannot build a chain for (no truststore): quiet, so that the authenticators compare
                .keycloakOptions("--log-level=INFO,org.keycloak.authentication.authenticators.client:error,"
                        + "org.keycloak.services.x509:error", KeycloakOptions.METRICS,
                        // the cold row's TTL-0 record must stay uncached: no floor under the TTL; and at
                        // concurrency 32 its requests all wait for one name's lookup, beyond the default cap of 4
                        // waiters (which would refuse them, DNS_BUSY, and measure nothing)
                        KeycloakOptions.dane(ServerOption.CACHE_MIN_TTL, 0),
                        KeycloakOptions.dane(ServerOption.MAX_WAITERS_PER_NAME, 64))
                // as the README's production start line (bench.searchable=false: Keycloak's default, no one-carrier
                // check, no dane_clientid-only requests)
                .keycloakOptions(searchable ? new String[] {KeycloakOptions.SEARCHABLE_NAME} : new String[0])
                .keycloakJavaOptions(bouncyCastle ? new String[] {"-Djava.security.properties="
                        + SharedStack.dnssecSecurityFile()} : new String[0])
                .start()) {
            client(stack, "bench-x509", "client-x509", Map.of("x509.subjectdn", "CN=bench-device"), null);
            client(stack, "bench-x509-b", "client-x509", Map.of("x509.subjectdn", "CN=bench-device"), null);
            client(stack, "bench-dane", "client-dane", Map.of("dane.clientid", WARM_NAME), null);
            client(stack, "bench-cold", "client-dane", Map.of("dane.clientid", COLD_NAME), null);
            client(stack, "bench-secret", "client-secret", Map.of(), SECRET);
            TlsHttp http = stack.https().withClientCertificate(device);

            String warmup = warmUp(stack, http, block, warmupMaxSeconds, stable);
            List<Level> results = new ArrayList<>();
            for (int concurrency : levels) {
                ExecutorService pool = Executors.newFixedThreadPool(concurrency);
                try {
                    int n = Math.max(block, 2 * concurrency);
                    for (Method m : METHODS) {
                        run(stack, http, m, n, concurrency, pool); // this concurrency's connections and threads
                    }
                    double lookupsBefore = MetricsIT.scrape(stack).getOrDefault(SECURE_LOOKUPS, 0.0);
                    Map<Method, List<Block>> blocks = new LinkedHashMap<>();
                    METHODS.forEach(m -> blocks.put(m, new ArrayList<>()));
                    for (int r = 0; r < rounds; r++) {
                        List<Method> order = new ArrayList<>(METHODS);
                        if (r % 2 == 1) {
                            Collections.reverse(order);
                        }
                        for (Method m : order) {
                            blocks.get(m).add(run(stack, http, m, n, concurrency, pool));
                        }
                    }
                    double lookups = MetricsIT.scrape(stack).getOrDefault(SECURE_LOOKUPS, 0.0) - lookupsBefore;
                    if (concurrency == 1) {
                        // one at a time nothing can share a lookup: every cold request must have made its own
                        assertThat(lookups).as("secure TLSA lookups during the cold blocks at concurrency 1")
                                .isGreaterThanOrEqualTo((double) rounds * n);
                    }
                    results.add(new Level(concurrency, blocks));
                } finally {
                    pool.shutdownNow();
                }
            }
            String tables = tables(results, rounds, block, warmup, loadBefore, loadAverage(), searchable);
            System.out.println("\n" + BEGIN + "\n" + tables + END + "\n");
            Path out = ItConfig.workDir().resolve("bench.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, tables);
        }
    }

    /**
     * Rounds of every method at concurrency 8 until three consecutive rounds' throughput lie within {@code stable} of
     * their mean, or {@code maxSeconds} have passed; says which.
     */
    private static String warmUp(Stack stack, TlsHttp http, int block, int maxSeconds, double stable)
            throws Exception {
        long deadline = System.nanoTime() + maxSeconds * 1_000_000_000L;
        List<Double> throughput = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            while (true) {
                long requests = 0;
                long nanos = 0;
                for (Method m : METHODS) {
                    Block b = run(stack, http, m, Math.max(block, 32), 8, pool);
                    requests += b.latencies.length;
                    nanos += b.wallNanos;
                }
                throughput.add(requests / (nanos / 1e9));
                int k = throughput.size();
                if (k >= 3) {
                    List<Double> last = throughput.subList(k - 3, k);
                    double mean = last.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                    double spread = (last.stream().mapToDouble(Double::doubleValue).max().orElseThrow()
                            - last.stream().mapToDouble(Double::doubleValue).min().orElseThrow()) / mean;
                    if (spread <= stable || System.nanoTime() > deadline) {
                        return String.format(Locale.ROOT, "%d rounds at concurrency 8, %s: the last three within"
                                        + " %.1f%% of their mean (%.0f req/s)", k,
                                spread <= stable ? "stable" : "NOT stable within " + maxSeconds + " s", spread * 100,
                                mean);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code n} requests of one method on {@code concurrency} threads. */
    private static Block run(Stack stack, TlsHttp http, Method method, int n, int concurrency, ExecutorService pool)
            throws Exception {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.putAll(method.form);
        long[] latencies = new long[n];
        AtomicInteger next = new AtomicInteger();
        Callable<Void> worker = () -> {
            for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                long t0 = System.nanoTime();
                TlsHttp.Response r = http.postForm(stack.tokenUri(REALM), form);
                latencies[i] = System.nanoTime() - t0;
                assertThat(r.status()).as(method.label + ": " + r).isEqualTo(200);
            }
            return null;
        };
        long t0 = System.nanoTime();
        List<Future<Void>> running = pool.invokeAll(IntStream.range(0, concurrency).mapToObj(i -> worker).toList());
        long wall = System.nanoTime() - t0;
        for (Future<Void> f : running) {
            f.get(); // a failed request fails the benchmark
        }
        return new Block(latencies, wall);
    }

    private static void client(Stack stack, String clientId, String type, Map<String, String> attributes,
                               String secret) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("clientId", clientId);
        c.put("enabled", true);
        c.put("publicClient", false);
        c.put("clientAuthenticatorType", type);
        c.put("serviceAccountsEnabled", true);
        c.put("attributes", attributes);
        if (secret != null) {
            c.put("secret", secret);
        }
        DaneScenarios.createClient(stack.admin().realm(REALM), c);
    }

    // ------------------------------------------------------------------------------------------------ the tables

    static String tables(List<Level> levels, int rounds, int block, String warmup, String loadBefore,
                         String loadAfter, boolean searchable) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "Run of %s: %d CPUs (%s), Java %s; load average before %s, after %s.%n",
                Instant.now().toString().substring(0, 16) + "Z", Runtime.getRuntime().availableProcessors(),
                cpuModel(), System.getProperty("java.version"), loadBefore, loadAfter));
        t.append(String.format(Locale.ROOT, "Warm-up: %s. Then %d rounds (ABBA order) of one block per method,"
                + " %d requests a block (at least 2 per thread). dane.clientid %s.%n%n", warmup, rounds, block,
                searchable ? "searchable (one query per client-dane request: the one-carrier check)"
                        : "not searchable (Keycloak's default: no query)"));
        t.append("| concurrency | method | req/s (median) | p50 ms | p99 ms | req/s ratio to client-x509: median"
                + " | ratio min-max |\n|---:|---|---:|---:|---:|---:|---|\n");
        for (Level level : levels) {
            for (Method m : METHODS) {
                List<Block> blocks = level.blocks.get(m);
                long[] all = blocks.stream().flatMapToLong(b -> Arrays.stream(b.latencies)).sorted().toArray();
                double[] ratios = ratios(level, m);
                t.append(String.format(Locale.ROOT, "| %d | %s | %.1f | %.2f | %.2f | %s | %s |%n",
                        level.concurrency, m.label, median(blocks.stream().mapToDouble(Block::perSecond).toArray()),
                        percentile(all, 0.50), percentile(all, 0.99),
                        m == X509 ? "1" : String.format(Locale.ROOT, "%.3f", median(ratios)),
                        m == X509 ? "" : String.format(Locale.ROOT, "%.3f-%.3f", ratios[0], ratios[ratios.length - 1])));
            }
        }
        t.append("\n| target | ").append(Arrays.stream(levels.toArray(Level[]::new))
                .map(l -> "concurrency " + l.concurrency).collect(Collectors.joining(" | "))).append(" |\n|---|")
                .append("---:|".repeat(levels.size())).append('\n');
        t.append("| noise floor: client-x509 (A/A) ratio, median (min-max) |");
        for (Level l : levels) {
            double[] r = ratios(l, X509_AGAIN);
            t.append(String.format(Locale.ROOT, " %.3f (%.3f-%.3f) |", median(r), r[0], r[r.length - 1]));
        }
        t.append("\n| warm client-dane: median ratio >= 0.98 |");
        for (Level l : levels) {
            double r = median(ratios(l, DANE_WARM));
            t.append(String.format(Locale.ROOT, " %.3f %s |", r, r >= 0.98 ? "met" : "missed"));
        }
        t.append("\n| cold client-dane: p50 <= client-x509 p50 + 3 ms |");
        for (Level l : levels) {
            double delta = p50(l, DANE_COLD) - p50(l, X509);
            t.append(String.format(Locale.ROOT, " %+.2f ms %s |", delta, delta <= 3 ? "met" : "missed"));
        }
        t.append("\n| cold client-dane: p99 - client-x509 p99 |");
        for (Level l : levels) {
            t.append(String.format(Locale.ROOT, " %+.2f ms |", percentile(sorted(l, DANE_COLD), 0.99)
                    - percentile(sorted(l, X509), 0.99)));
        }
        return t.append('\n').toString();
    }

    /** Per round: the method's throughput over client-x509's in the same round; sorted. */
    private static double[] ratios(Level level, Method m) {
        List<Block> mine = level.blocks.get(m);
        List<Block> base = level.blocks.get(X509);
        return IntStream.range(0, mine.size()).mapToDouble(i -> mine.get(i).perSecond() / base.get(i).perSecond())
                .sorted().toArray();
    }

    private static long[] sorted(Level level, Method m) {
        return level.blocks.get(m).stream().flatMapToLong(b -> Arrays.stream(b.latencies)).sorted().toArray();
    }

    private static double p50(Level level, Method m) {
        return percentile(sorted(level, m), 0.50);
    }

    private static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** The nearest-rank percentile, in milliseconds. */
    private static double percentile(long[] sortedNanos, double p) {
        int rank = (int) Math.ceil(p * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, rank))] / 1e6;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String cpuModel() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return "unknown CPU";
        }
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst().orElse("unknown CPU");
        }
    }
}
