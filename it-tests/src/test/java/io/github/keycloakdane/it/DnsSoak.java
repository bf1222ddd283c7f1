package io.github.keycloakdane.it;

import io.github.keycloakdane.it.FaultyDns.Fault;
import io.github.keycloakdane.dns.DnsSettings;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;
import org.keycloak.representations.idm.RealmRepresentation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.TTL;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The soak ({@code scripts/soak.sh [minutes]}, Maven profile {@code soak}; never part of {@code mvn verify}): the
 * fault-matrix stack (Knot behind {@link FaultyDns}, Keycloak, nginx) under a steady mix of good devices, wrong keys
 * and unknown names, through five phases: steady, TLSA key rotation, a DNS outage (Knot frozen with SIGSTOP, then
 * SIGCONT), the names' zone answered as an unsigned copy, steady again. Prints per phase: requests, accepts,
 * refusals by reason, 5xx, false accepts, p50/p99 latency, the longest time a good device waited for a token after
 * its DNS recovered, and Keycloak's heap after a full GC. Asserts the targets: no false accept, no 5xx, recovery
 * within one TTL plus the negative-cache TTL, heap at the end within 1.5x of the heap after the first phase. The realm
 * stores no events (the dev database lives in Keycloak's heap, so 100 000s of stored events would be what the heap
 * measures); refusals by reason come from the {@code keycloak.dane.authentications} meter instead.
 */
class DnsSoak {

    private static final int GOOD = 8;
    private static final int THREADS = 16;

    private record Sample(String kind, int status, long millis) {
    }

    /** What the load threads currently know: per good device the key it holds, and names whose DNS is broken. */
    private final Map<Integer, Issued> keys = new ConcurrentHashMap<>();
    private final Issued stranger = TestPki.leaf("stranger").build();
    private final AtomicReference<List<Sample>> samples = new AtomicReference<>(Collections.synchronizedList(
            new ArrayList<>()));
    private final Map<Integer, Long> recoveredAfter = new ConcurrentHashMap<>();
    private volatile long healedAt;

    @Test
    void soak() throws Exception {
        Duration total = Duration.ofMinutes(Long.getLong("soak.minutes", 30));
        Duration phase = total.dividedBy(5);
        List<String> rows = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        AtomicReference<FaultyDns> dns = new AtomicReference<>();
        // the default lookup limit: the soak is about a node as operators run it
        try (Stack stack = DnsFaultsIT.faultStack("soak", DnsSettings.DEFAULT_MAX_CONCURRENT_LOOKUPS, dns::set)
                .start()) {
            RealmRepresentation realm = stack.admin().realm(REALM).toRepresentation();
            realm.setEventsEnabled(false);
            stack.admin().realm(REALM).update(realm);
            for (int i = 0; i < GOOD; i++) {
                keys.put(i, TestPki.leaf("soak" + i).build());
                daneClient(stack.admin(), "soak" + i, name(i));
                publish(stack, name(i), daneEe(keys.get(i).cert()));
            }
            ExecutorService load = Executors.newFixedThreadPool(THREADS);
            AtomicBoolean running = new AtomicBoolean(true);
            for (int t = 0; t < THREADS; t++) {
                load.execute(() -> drive(stack, running));
            }
            try {
                Long firstHeap = null;
                for (String name : List.of("steady", "rotation", "dns-outage", "unsigned-zone", "steady-again")) {
                    Map<String, Double> metersBefore = MetricsIT.scrape(stack);
                    samples.set(Collections.synchronizedList(new ArrayList<>()));
                    healedAt = 0; // recovery is measured only in a phase that breaks and heals DNS
                    recoveredAfter.clear();
                    switch (name) {
                        case "rotation" -> rotate(stack, phase);
                        case "dns-outage" -> breakFor(phase, on -> signal(stack, on ? "STOP" : "CONT"));
                        case "unsigned-zone" -> breakFor(phase, on -> {
                            for (int i = 0; i < GOOD; i++) {
                                dns.get().set(name(i), on ? Fault.UNSIGNED : Fault.NONE);
                            }
                        });
                        default -> Thread.sleep(phase.toMillis());
                    }
                    long heap = heapAfterGc(stack);
                    firstHeap = firstHeap == null ? heap : firstHeap;
                    Map<String, Long> refusals = MetricsIT.refusals(metersBefore, MetricsIT.scrape(stack), "client-dane");
                    rows.add(row(name, refusals, heap, failures));
                }
                if (rows.size() == 5 && firstHeap != null) {
                    long last = heapAfterGc(stack);
                    if (last > 1.5 * firstHeap) {
                        failures.add("heap grew from " + firstHeap / 1024 + " MiB to " + last / 1024 + " MiB");
                    }
                }
            } finally {
                running.set(false);
                load.shutdown();
                load.awaitTermination(1, TimeUnit.MINUTES);
                if (dns.get() != null) {
                    dns.get().close();
                }
            }
        }
        String table = String.format(Locale.ROOT, "%n[DnsSoak] %d min, %d threads, %d good devices, TTL %d s%n"
                        + "%-14s %8s %8s %8s %5s %6s %8s %8s %9s %8s  %s%n%s%n", total.toMinutes(), THREADS, GOOD, TTL,
                "phase", "requests", "accepts", "refused", "5xx", "false", "p50 ms", "p99 ms", "recov ms", "heap MiB",
                "refusals by reason", String.join("\n", rows));
        System.out.println(table);
        Files.writeString(Path.of(System.getProperty("soak.report", "target/soak-report.txt")), table,
                StandardCharsets.UTF_8);
        assertThat(failures).isEmpty();
    }

    private static String name(int i) {
        return "soak" + i + "._device.example.test";
    }

    /** One load thread: 60 % good devices, 20 % a wrong key for a good name, 20 % names nobody registered. */
    private void drive(Stack stack, AtomicBoolean running) {
        Map<Issued, TlsHttp> clients = new ConcurrentHashMap<>();
        while (running.get()) {
            int dice = ThreadLocalRandom.current().nextInt(10);
            int i = ThreadLocalRandom.current().nextInt(GOOD);
            String kind;
            Issued key;
            String clientId;
            if (dice < 6) {
                kind = "good";
                key = keys.get(i);
                clientId = "soak" + i;
            } else if (dice < 8) {
                kind = "wrong-key";
                key = stranger;
                clientId = "soak" + i;
            } else {
                kind = "unknown";
                key = stranger;
                clientId = null;
            }
            TlsHttp http = clients.computeIfAbsent(key, k -> device(stack, k));
            long t0 = System.nanoTime();
            long sentAt = System.currentTimeMillis();
            int status;
            try {
                status = clientId != null ? clientCredentials(stack, http, "client_id", clientId).status()
                        : clientCredentials(stack, http, "dane_clientid", "nobody" + i + "._device.example.test")
                        .status();
            } catch (RuntimeException e) {
                status = -1; // the connection failed: counted as a server error
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            samples.get().add(new Sample(kind, status, millis));
            long healed = healedAt;
            if (kind.equals("good") && status == 200 && healed != 0 && sentAt >= healed) {
                // the first token this device got for a request sent after DNS was healthy again
                recoveredAfter.putIfAbsent(i, System.currentTimeMillis() - healed);
            }
        }
    }

    /** Rolls every good device to a new key the way an operator should: both records, then the new key, then one. */
    private void rotate(Stack stack, Duration phase) throws InterruptedException {
        long end = System.nanoTime() + phase.toNanos();
        while (System.nanoTime() < end) {
            for (int i = 0; i < GOOD; i++) {
                Issued next = TestPki.leaf("soak" + i).build();
                publish(stack, name(i), daneEe(keys.get(i).cert()), daneEe(next.cert()));
                Thread.sleep(Duration.ofSeconds(TTL + 1).toMillis()); // every cache has seen both
                keys.put(i, next);
                publish(stack, name(i), daneEe(next.cert()));
            }
        }
    }

    /** Breaks DNS for the middle half of the phase, then heals it and measures how long good devices wait. */
    private void breakFor(Duration phase, Consumer<Boolean> fault) throws InterruptedException {
        Thread.sleep(phase.dividedBy(4).toMillis());
        fault.accept(true);
        Thread.sleep(phase.dividedBy(2).toMillis());
        fault.accept(false);
        healedAt = System.currentTimeMillis();
        Thread.sleep(phase.dividedBy(4).toMillis());
    }

    /** SIGSTOP or SIGCONT to the stack's knotd: an outage with every socket open and nothing answering. */
    private static void signal(Stack stack, String signal) {
        ProcessHandle.allProcesses()
                .filter(h -> h.info().command().orElse("").endsWith("knotd")
                        && h.info().commandLine().orElse("").contains("/soak"))
                .forEach(h -> run("kill", "-" + signal, Long.toString(h.pid())));
    }

    /** Keycloak's used heap after a full GC, in KiB (jcmd on its JVM). */
    private static long heapAfterGc(Stack stack) {
        ProcessHandle keycloak = ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().orElse("").contains("quarkus-run.jar")
                        && h.info().commandLine().orElse("").contains("/soak"))
                .findFirst().orElseThrow(() -> new IllegalStateException("Keycloak's JVM not found"));
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(jcmd, Long.toString(keycloak.pid()), "GC.run");
        Matcher used = Pattern.compile("used (\\d+)K").matcher(run(jcmd, Long.toString(keycloak.pid()),
                "GC.heap_info"));
        return used.find() ? Long.parseLong(used.group(1)) : -1;
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(1, TimeUnit.MINUTES);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String row(String phase, Map<String, Long> reasons, long heapKib, List<String> failures) {
        List<Sample> s = List.copyOf(samples.get());
        long accepts = s.stream().filter(x -> x.status() == 200).count();
        long refused = s.stream().filter(x -> x.status() == 401 || x.status() == 400).count();
        long serverErrors = s.stream().filter(x -> x.status() >= 500 || x.status() < 0).count();
        long falseAccepts = s.stream().filter(x -> x.status() == 200 && !x.kind().equals("good")).count();
        List<Long> millis = new ArrayList<>(s.stream().map(Sample::millis).toList());
        Collections.sort(millis);
        long recovery = recoveredAfter.values().stream().mapToLong(Long::longValue).max().orElse(0);
        if (falseAccepts > 0) {
            failures.add(phase + ": " + falseAccepts + " false accepts");
        }
        if (serverErrors > 0) {
            failures.add(phase + ": " + serverErrors + " server errors");
        }
        long recoveryBound = Duration.ofSeconds(TTL).plus(DnsFaultsIT.NEGATIVE_TTL).plusSeconds(1).toMillis();
        if (recovery > recoveryBound) {
            failures.add(phase + ": a good device waited " + recovery + " ms after DNS recovered");
        }
        return String.format(Locale.ROOT, "%-14s %8d %8d %8d %5d %6d %8d %8d %9d %8d  %s", phase, s.size(), accepts,
                refused, serverErrors, falseAccepts, pct(millis, 0.50), pct(millis, 0.99), recovery, heapKib / 1024,
                reasons);
    }

    private static long pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
    }
}
