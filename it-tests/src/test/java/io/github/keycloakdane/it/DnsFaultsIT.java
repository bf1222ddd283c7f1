package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.keycloakdane.it.FaultyDns.Fault;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.TTL;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.createClient;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DNS under fire, through real Keycloak and nginx: a {@link FaultyDns} fixture sits between Keycloak and Knot and
 * breaks the answers for one device name at a time. For every fault the token request is refused with 401 (never a
 * 5xx, never slower than the lookup timeout plus 1 s), the event names what happened, no wrong key is ever accepted,
 * and the device gets a token again within the negative-cache TTL once its DNS is healthy. Then: black-holed names
 * do not slow anyone else down. Prints a table of each.
 */
class DnsFaultsIT {

    private static final Duration TIMEOUT = Duration.ofMillis(1500);
    static final Duration NEGATIVE_TTL = Duration.ofSeconds(2);
    private static final int MAX_CONCURRENT_LOOKUPS = 2;
    /** The floor of the positive cache time: the records' TTL, so that they live exactly their TTL. */
    static final Duration MIN_TTL = Duration.ofSeconds(TTL);
    /** How late the fixture answers a steady device's TLSA queries: well within the timeout, but felt. */
    private static final Duration LOOKUP_DELAY = Duration.ofMillis(400);
    /** The default waiter cap, which this stack leaves as it is. */
    private static final int MAX_WAITERS = 4;
    /** What a refusal may take at most: the lookup's bound plus 1 s for everything else. */
    private static final Duration WORST_ALLOWED = TIMEOUT.plusSeconds(1);

    private static FaultyDns dns;
    private static Stack stack;
    private static Issued key;
    private static Issued wrongKey;

    /** One row of the fault matrix: the fault, what the event must say, and whether the right key gets in. */
    private record Mode(String label, Fault fault, String dnssec, String reason, boolean refused) {
        String name() {
            return "f-" + label.toLowerCase(Locale.ROOT).replace('_', '-') + "._device.example.test";
        }

        String clientId() {
            return name().substring(0, name().indexOf('.'));
        }
    }

    private static final List<Mode> MODES = List.of(
            new Mode("DROP", Fault.DROP, "TIMEOUT", "DNS_TIMEOUT", true),
            new Mode("DELAY", Fault.DELAY, "TIMEOUT", "DNS_TIMEOUT", true),
            new Mode("SERVFAIL", Fault.SERVFAIL, "SERVFAIL", "DNS_ERROR", true),
            new Mode("REFUSED", Fault.REFUSED, "SERVFAIL", "DNS_ERROR", true),
            new Mode("STRIP_RRSIGS", Fault.STRIP_RRSIGS, "BOGUS", "DNS_BOGUS", true),
            new Mode("CORRUPT_RRSIG", Fault.CORRUPT_RRSIG, "BOGUS", "DNS_BOGUS", true),
            new Mode("EXPIRED_RRSIG", Fault.EXPIRED_RRSIG, "BOGUS", "DNS_BOGUS", true),
            new Mode("UNSIGNED", Fault.UNSIGNED, "BOGUS", "DNS_BOGUS", true),
            new Mode("CNAME_TO_UNSIGNED", null, "INSECURE", "DNS_INSECURE", true),
            new Mode("TRUNCATE", Fault.TRUNCATE, "SECURE", "OK", false),
            new Mode("FLAP", Fault.FLAP, null, null, false));

    /**
     * The stack under fire, also the soak's ({@link DnsSoak}): Knot behind a {@link FaultyDns} (handed to
     * {@code onDns} once it runs), a short timeout and negative TTL, and the given limit of concurrent lookups.
     */
    static Stack.Builder faultStack(String name, int maxConcurrentLookups, Consumer<FaultyDns> onDns) {
        Stack.Builder b = Stack.builder().name(name).provider(ItConfig.daneJar())
                .knot(k -> k.signedZone("example.test", "").unsignedZone("unsigned.test", ""))
                .dnsInFront(knot -> {
                    try {
                        FaultyDns fixture = new FaultyDns(knot, TIMEOUT.plusSeconds(1), 2);
                        onDns.accept(fixture);
                        return fixture.address();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .keycloakOptions(KeycloakOptions.dane(ServerOption.TIMEOUT, TIMEOUT.toMillis()),
                        KeycloakOptions.dane(ServerOption.CACHE_NEGATIVE_TTL, NEGATIVE_TTL.toSeconds()),
                        KeycloakOptions.dane(ServerOption.MAX_CONCURRENT_LOOKUPS, maxConcurrentLookups),
                        KeycloakOptions.dane(ServerOption.CACHE_MIN_TTL, MIN_TTL.toSeconds()),
                        KeycloakOptions.SEARCHABLE_NAME, KeycloakOptions.METRICS);
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
    }

    @BeforeAll
    static void start() throws IOException {
        key = TestPki.leaf("fault-device").build();
        wrongKey = TestPki.leaf("fault-device").build();
        stack = faultStack("dns-faults", MAX_CONCURRENT_LOOKUPS, fixture -> dns = fixture).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    @Test
    void everyFaultIsARefusalWithItsReasonAndHealsWithinTheNegativeTtl() throws Exception {
        List<String> table = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Mode mode : MODES) {
            daneClient(stack.admin(), mode.clientId(), mode.name());
            publish(stack, mode.name(), daneEe(key.cert()));
            breakDns(mode);

            Instant since = Instant.now();
            List<Long> latencies = new ArrayList<>();
            int requests = 0;
            int refusals = 0;
            int falseAccepts = 0;
            int serverErrors = 0;
            for (int i = 0; i < 8; i++) {
                boolean wrong = i % 4 == 3; // every fourth request holds another key
                long t0 = System.nanoTime();
                TlsHttp.Response r = clientCredentials(stack, device(stack, wrong ? wrongKey : key),
                        "client_id", mode.clientId());
                latencies.add((System.nanoTime() - t0) / 1_000_000);
                requests++;
                refusals += r.status() == 401 ? 1 : 0;
                serverErrors += r.status() >= 500 ? 1 : 0;
                boolean falseAccept = r.status() == 200 && (wrong || mode.refused());
                falseAccepts += falseAccept ? 1 : 0;
                if (r.status() != 200 && r.status() != 401) {
                    failures.add(mode.label() + ": HTTP " + r);
                }
                if (!mode.refused() && mode.fault() != Fault.FLAP && !wrong && r.status() != 200) {
                    failures.add(mode.label() + ": the right key was refused: " + r);
                }
            }
            String seen = "";
            if (mode.reason() != null) {
                JsonNode e = event(stack, mode.refused() ? "CLIENT_LOGIN_ERROR" : "CLIENT_LOGIN", mode.name(), since)
                        .orElseThrow(() -> new AssertionError(mode.label() + ": no event"));
                seen = e.path("details").path("dane_dnssec").asText() + "/" + e.path("details").path("dane_reason")
                        .asText();
                if (!seen.equals(mode.dnssec() + "/" + mode.reason())) {
                    failures.add(mode.label() + ": event says " + seen + " (" + e.path("details").path("dane_detail")
                            .asText() + "), expected " + mode.dnssec() + "/" + mode.reason());
                }
            }
            long worst = Collections.max(latencies);
            if (worst > WORST_ALLOWED.toMillis()) {
                failures.add(mode.label() + ": a request took " + worst + " ms");
            }

            healDns(mode);
            long healedAt = System.nanoTime();
            TlsHttp.Response after;
            do {
                after = clientCredentials(stack, device(stack, key), "client_id", mode.clientId());
            } while (after.status() != 200 && System.nanoTime() - healedAt < NEGATIVE_TTL.plusSeconds(5).toNanos());
            long recovery = (System.nanoTime() - healedAt) / 1_000_000;
            if (after.status() != 200 || recovery > NEGATIVE_TTL.plusSeconds(2).toMillis()) {
                failures.add(mode.label() + ": no token " + recovery + " ms after healing: " + after);
            }
            table.add(String.format(Locale.ROOT, "%-18s %8d %8d %12d %4d %10d %-22s %10d", mode.label(), requests,
                    refusals, falseAccepts, serverErrors, worst, seen, recovery));
            assertThat(falseAccepts).as(mode.label() + ": false accepts").isZero();
            assertThat(serverErrors).as(mode.label() + ": 5xx").isZero();
        }
        System.out.printf("%n[DnsFaultsIT] fault matrix (timeout %d ms, negative TTL %d s)%n%-18s %8s %8s %12s %4s %10s"
                        + " %-22s %10s%n%s%n", TIMEOUT.toMillis(), NEGATIVE_TTL.toSeconds(), "mode", "requests",
                "refused", "false-accept", "5xx", "worst ms", "event dnssec/reason", "heal ms", String.join("\n", table));
        assertThat(failures).isEmpty();
    }

    @Test
    void blackHoledNamesDoNotSlowDownOtherLogins() throws Exception {
        String cached = "iso-cached._device.example.test";
        daneClient(stack.admin(), "iso-cached", cached);
        publish(stack, cached, daneEe(key.cert()));
        List<String> holes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String name = "iso-hole" + i + "._device.example.test";
            daneClient(stack.admin(), "iso-hole" + i, name);
            publish(stack, name, daneEe(key.cert()));
            dns.set(name, Fault.DROP);
            holes.add("iso-hole" + i);
        }
        secretClient();
        assertThat(clientCredentials(stack, device(stack, key), "client_id", "iso-cached").status()).isEqualTo(200);

        Load baseline = load(List.of("iso-cached"));
        Map<String, Double> metersBefore = MetricsIT.scrape(stack);
        Load blackHoled = load(holes);
        Map<String, Double> metersAfter = MetricsIT.scrape(stack);

        System.out.printf("%n[DnsFaultsIT] isolation: 96 DANE requests in parallel for 10 s, client-secret logins"
                        + " alongside%n%-28s %10s %10s %14s %14s%n%-28s %10d %10d %14.1f %14.1f%n%-28s %10d %10d %14.1f"
                        + " %14.1f%n", "DANE load against", "dane req", "dane 5xx", "secret p50 ms", "secret p95 ms",
                "one cached name", baseline.daneRequests, baseline.serverErrors, baseline.p(0.50), baseline.p(0.95),
                "four black-holed names", blackHoled.daneRequests, blackHoled.serverErrors, blackHoled.p(0.50),
                blackHoled.p(0.95));
        assertThat(baseline.serverErrors + blackHoled.serverErrors).isZero();
        assertThat(blackHoled.secretFailures).as("client-secret logins that failed").isZero();
        assertThat(blackHoled.p(0.95)).as("client-secret p95 under black-holed load vs under cached load")
                .isLessThanOrEqualTo(1.5 * baseline.p(0.95));
        // the node kept its DNS work bounded: requests beyond the limit failed fast instead of queueing
        Map<String, Long> refusals = MetricsIT.refusals(metersBefore, metersAfter, "client-dane");
        assertThat(refusals.getOrDefault("DNS_BUSY", 0L)).as("DNS_BUSY refusals: " + refusals).isPositive();
        assertThat(refusals.getOrDefault("DNS_TIMEOUT", 0L)).as("DNS_TIMEOUT refusals: " + refusals).isPositive();
    }

    @Test
    void aSteadyClientNeverWaitsForDnsAndARotationIsSeenWithinTheTtlPlusOneLookup() throws Exception {
        String name = "steady._device.example.test";
        Issued next = TestPki.leaf("steady-device").build();
        daneClient(stack.admin(), "steady", name);
        publish(stack, name, daneEe(key.cert()));
        dns.slow(name, LOOKUP_DELAY);
        quiet();
        assertThat(clientCredentials(stack, device(stack, key), "client_id", "steady").status()).isEqualTo(200);

        Map<String, Double> before = MetricsIT.scrape(stack);
        List<String> failures = new ArrayList<>();
        List<String> probes = new ArrayList<>();
        // zone updates run beside the device (a slow one must not pause its logins); each records when it was done
        ExecutorService zone = Executors.newSingleThreadExecutor();
        java.util.concurrent.atomic.AtomicLong bothPublished = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong removedAt = new java.util.concurrent.atomic.AtomicLong();
        long everyCacheUpdated = Duration.ofSeconds(TTL).plus(LOOKUP_DELAY).plusMillis(200).toNanos();
        Issued current = key;
        long start = System.nanoTime();
        long lastLogin = start;
        long longestGap = 0;
        int logins = 0;
        int lateProbes = 0;
        try {
            for (int tick = 1; tick <= 40; tick++) { // every 0.5 s for 20 s
                Thread.sleep(Math.max(0, (start + tick * 500_000_000L - System.nanoTime()) / 1_000_000));
                long now = System.nanoTime();
                if (tick == 12) { // 6 s: a rotation done right, step 1: publish both keys
                    zone.submit(() -> {
                        publish(stack, name, daneEe(key.cert()), daneEe(next.cert()));
                        bothPublished.set(System.nanoTime());
                    });
                } else if (current == key && bothPublished.get() != 0
                        && now - bothPublished.get() > everyCacheUpdated) { // every cache has both: switch
                    current = next;
                    zone.submit(() -> { // and the old key goes
                        publish(stack, name, daneEe(next.cert()));
                        removedAt.set(System.nanoTime());
                    });
                }
                TlsHttp.Response r = clientCredentials(stack, device(stack, current), "client_id", "steady");
                longestGap = Math.max(longestGap, now - lastLogin);
                lastLogin = now;
                logins++;
                if (r.status() != 200) {
                    failures.add("tick " + tick + ": the device was refused: " + r);
                }
                if (removedAt.get() != 0) {
                    long sent = System.nanoTime();
                    int status = clientCredentials(stack, device(stack, key), "client_id", "steady").status();
                    boolean late = sent - removedAt.get() > everyCacheUpdated;
                    probes.add((sent - removedAt.get()) / 1_000_000 + " ms: " + status);
                    lateProbes += late ? 1 : 0;
                    if (status != 401 && (late || status != 200)) {
                        failures.add("the old key " + (sent - removedAt.get()) / 1_000_000
                                + " ms after its removal: HTTP " + status);
                    }
                }
            }
        } finally {
            zone.shutdown();
        }
        Map<String, Double> after = MetricsIT.scrape(stack);
        dns.set(name, Fault.NONE); // its last refreshes are quick again, for the tests after this one

        double waits = delta(before, after, "keycloak_dane_lookup_waits_total");
        double refreshes = delta(before, after, "keycloak_dane_lookup_refreshes_total");
        double refreshFailures = delta(before, after, "keycloak_dane_lookup_refresh_failures_total");
        System.out.printf("%n[DnsFaultsIT] steady client: TTL %d s, every TLSA answer %d ms late, %d logins in 20 s"
                        + " (longest gap %d ms): %.0f waited for DNS, %.0f refreshes (%.0f failed); the old key after"
                        + " its removal: %s%n", TTL, LOOKUP_DELAY.toMillis(), logins, longestGap / 1_000_000, waits,
                refreshes, refreshFailures, probes);
        assertThat(failures).isEmpty();
        assertThat(waits).as("logins after the first that waited for DNS").isZero();
        assertThat(refreshes).as("background refreshes").isPositive();
        assertThat(lateProbes).as("old-key probes later than TTL + one lookup after the removal").isGreaterThan(3);
    }

    @Test
    void manyRequestsForOneSlowNameFailFastBeyondTheWaiterCapWhileAnotherNameStillLogsIn() throws Exception {
        String slow = "crowd._device.example.test";
        String other = "bystander._device.example.test";
        daneClient(stack.admin(), "crowd", slow);
        daneClient(stack.admin(), "bystander", other);
        publish(stack, slow, daneEe(key.cert()));
        publish(stack, other, daneEe(key.cert()));
        dns.set(slow, Fault.DROP); // its one lookup runs the whole timeout
        quiet();
        int crowd = 16;
        ExecutorService pool = Executors.newFixedThreadPool(crowd + 1);
        TlsHttp deviceHttp = device(stack, key);
        Map<String, Double> before = MetricsIT.scrape(stack);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Future<long[]>> requests = new ArrayList<>();
            for (int i = 0; i < crowd; i++) {
                requests.add(pool.submit(() -> {
                    go.await();
                    long t0 = System.nanoTime();
                    int status = clientCredentials(stack, deviceHttp, "client_id", "crowd").status();
                    return new long[] {status, (System.nanoTime() - t0) / 1_000_000};
                }));
            }
            go.countDown();
            Thread.sleep(300); // the crowd is at the slow name's lookup
            long t0 = System.nanoTime();
            TlsHttp.Response bystander = clientCredentials(stack, deviceHttp, "client_id", "bystander");
            long bystanderMillis = (System.nanoTime() - t0) / 1_000_000;
            List<Long> statuses = new ArrayList<>();
            List<Long> millis = new ArrayList<>();
            for (Future<long[]> f : requests) {
                long[] r = f.get();
                statuses.add(r[0]);
                millis.add(r[1]);
            }
            Map<String, Double> after = MetricsIT.scrape(stack);
            Map<String, Long> refusals = MetricsIT.refusals(before, after, "client-dane");
            double waits = delta(before, after, "keycloak_dane_lookup_waits_total");
            Collections.sort(millis);
            System.out.printf("%n[DnsFaultsIT] %d requests at once for one black-holed name (max-waiters-per-name"
                            + " %d): refusals %s, %.0f waited for DNS, latencies ms %s; another name meanwhile: HTTP"
                            + " %d in %d ms%n", crowd, MAX_WAITERS, refusals, waits, millis, bystander.status(),
                    bystanderMillis);

            assertThat(statuses).as("every request for the black-holed name is refused, none with a 5xx")
                    .containsOnly(401L);
            assertThat(bystander.status()).as("another name logs in meanwhile: " + bystander).isEqualTo(200);
            assertThat(refusals.getOrDefault("DNS_BUSY", 0L)).as("fail-fast refusals: " + refusals).isPositive();
            assertThat(waits).as("requests that waited for DNS: the slow name's lookup, its %d waiters, the other"
                    + " name's lookup", MAX_WAITERS).isLessThanOrEqualTo(1 + MAX_WAITERS + 1);
        } finally {
            pool.shutdownNow();
            dns.set(slow, Fault.NONE);
        }
    }

    @Test
    void aRecordWithTtlZeroIsCachedForTheFloorNotLookedUpPerLogin() throws Exception {
        String name = "ttl0._device.example.test";
        daneClient(stack.admin(), "ttl0", name);
        stack.knot().replace("example.test", name + ". 0 IN TLSA " + daneEe(key.cert()));
        dns.set(name, Fault.NONE); // counts its queries from here
        quiet();
        long start = System.nanoTime();
        assertThat(clientCredentials(stack, device(stack, key), "client_id", "ttl0").status()).isEqualTo(200);
        int firstQueries = dns.queries(name);
        Map<String, Double> before = MetricsIT.scrape(stack);

        int logins = 0;
        // within the floor's first half: before any refresh could be due (its last fifth, or three lookup times)
        while (System.nanoTime() - start < MIN_TTL.toNanos() / 2 || logins < 3) {
            assertThat(clientCredentials(stack, device(stack, key), "client_id", "ttl0").status()).isEqualTo(200);
            logins++;
        }
        Map<String, Double> after = MetricsIT.scrape(stack);

        int queries = dns.queries(name) - firstQueries;
        double waits = delta(before, after, "keycloak_dane_lookup_waits_total");
        double refreshes = delta(before, after, "keycloak_dane_lookup_refreshes_total");
        System.out.printf("%n[DnsFaultsIT] a TTL-0 record, cache-min-ttl %d s: %d logins after the first sent %d"
                + " queries (%.0f background refreshes on the node), %.0f waited for DNS%n", MIN_TTL.toSeconds(), logins,
                queries, refreshes, waits);
        assertThat(firstQueries).as("the first login queried").isPositive();
        assertThat(waits).as("logins within the floor that waited for DNS").isZero();
        assertThat((double) queries).as("queries for %d logins within the floor: refreshes at most", logins)
                .isLessThanOrEqualTo(refreshes);
    }

    /** Waits (at most 10 s) until this node runs no lookup, so that a test has the lookup slots to itself. */
    private static void quiet() throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (MetricsIT.scrape(stack).getOrDefault("keycloak_dane_lookups_in_flight", 0.0) > 0
                && System.nanoTime() < end) {
            Thread.sleep(100);
        }
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        assertThat(after).as("scraped series").containsKey(series);
        return after.get(series) - before.getOrDefault(series, 0.0);
    }

    /** What one 10-second load phase saw. */
    private record Load(int daneRequests, int serverErrors, int secretFailures, List<Long> secretMillis) {
        double p(double q) {
            List<Long> sorted = new ArrayList<>(secretMillis);
            Collections.sort(sorted);
            return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
        }
    }

    /** 96 threads hammer {@code clients} round-robin for 10 s while 4 threads log in with a client secret. */
    private static Load load(List<String> clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(100);
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        AtomicInteger daneRequests = new AtomicInteger();
        AtomicInteger serverErrors = new AtomicInteger();
        AtomicInteger secretFailures = new AtomicInteger();
        List<Long> secretMillis = Collections.synchronizedList(new ArrayList<>());
        TlsHttp deviceHttp = device(stack, key);
        TlsHttp appHttp = stack.https();
        List<Future<?>> running = new ArrayList<>();
        try {
            for (int t = 0; t < 96; t++) {
                String clientId = clients.get(t % clients.size());
                running.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        int status = clientCredentials(stack, deviceHttp, "client_id", clientId).status();
                        daneRequests.incrementAndGet();
                        serverErrors.addAndGet(status >= 500 ? 1 : 0);
                    }
                }));
            }
            for (int t = 0; t < 4; t++) {
                running.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        long t0 = System.nanoTime();
                        int status = clientCredentials(stack, appHttp, "client_id", "iso-secret-app",
                                "client_secret", "iso-secret").status();
                        secretMillis.add((System.nanoTime() - t0) / 1_000_000);
                        secretFailures.addAndGet(status == 200 ? 0 : 1);
                    }
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Load(daneRequests.get(), serverErrors.get(), secretFailures.get(), List.copyOf(secretMillis));
    }

    private static void secretClient() {
        if (!stack.admin().realm(REALM).clients().findByClientId("iso-secret-app").isEmpty()) {
            return;
        }
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", "iso-secret-app");
        client.put("publicClient", false);
        client.put("clientAuthenticatorType", "client-secret");
        client.put("secret", "iso-secret");
        client.put("serviceAccountsEnabled", true);
        client.put("standardFlowEnabled", false);
        createClient(stack.admin().realm(REALM), client);
    }

    private static void breakDns(Mode mode) {
        if (mode.fault() != null) {
            dns.set(mode.name(), mode.fault());
            return;
        }
        // a CNAME from the signed zone into the unsigned one, where the TLSA records are
        String target = mode.clientId() + ".unsigned.test";
        publish(stack, target, daneEe(key.cert()));
        stack.knot().delete("example.test", mode.name() + ".", Type.TLSA);
        stack.knot().add("example.test", mode.name() + ". " + TTL + " IN CNAME " + target + ".");
    }

    private static void healDns(Mode mode) {
        if (mode.fault() != null) {
            dns.set(mode.name(), Fault.NONE);
            return;
        }
        stack.knot().delete("example.test", mode.name() + ".", Type.CNAME);
        publish(stack, mode.name(), daneEe(key.cert()));
    }
}
