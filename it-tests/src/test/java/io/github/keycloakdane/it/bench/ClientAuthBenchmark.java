package io.github.keycloakdane.it.bench;

import io.github.keycloakdane.it.DaneScenarios;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * client-dane against Keycloak's own client-x509, side by side in one run on one stack (nginx, Keycloak, Knot), the
 * same device certificate and the same TLS client: client_credentials at the token endpoint, sequentially, in
 * alternating blocks so that drift hits both alike. DANE answers come from the verifier's cache after the first
 * request, as in steady state. Prints a table and the ratios; asserts only that every request succeeded.
 * Run with {@code scripts/bench.sh} (Maven profile {@code bench}); sizes via -Dbench.rounds / -Dbench.block.
 */
class ClientAuthBenchmark {

    private static final String REALM = "dane";
    private static final String NAME = "bench._device.example.test";

    @Test
    void clientDaneVersusClientX509() throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 10);
        int block = Integer.getInteger("bench.block", 50);
        int warmup = Integer.getInteger("bench.warmup", 200);
        Issued device = TestPki.leaf("bench-device").build();

        try (Stack stack = Stack.builder().name("bench").provider(ItConfig.daneJar())
                .realmImport(ItConfig.daneRealm().orElseThrow())
                .knot(k -> k.signedZone("example.test", "bench._device 60 TLSA " + DaneScenarios.daneEe(device.cert()) + "\n"))
                // client-x509 without a CA subject DN warns on every request: keep its log quiet so both pay the same
                .keycloakOptions("--log-level=INFO,org.keycloak.authentication.authenticators.client:error")
                .start()) {
            client(stack, "bench-dane", "client-dane", Map.of("dane.clientid", NAME));
            client(stack, "bench-x509", "client-x509", Map.of("x509.subjectdn", "CN=bench-device"));
            TlsHttp http = stack.https().withClientCertificate(device);

            for (int i = 0; i < warmup; i++) {
                request(stack, http, "bench-dane");
                request(stack, http, "bench-x509");
            }
            List<Long> dane = new ArrayList<>();
            List<Long> x509 = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < block; i++) {
                    dane.add(request(stack, http, "bench-dane"));
                }
                for (int i = 0; i < block; i++) {
                    x509.add(request(stack, http, "bench-x509"));
                }
            }
            print(dane, x509);
        }
    }

    private static void client(Stack stack, String clientId, String type, Map<String, String> attributes) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("clientId", clientId);
        c.put("enabled", true);
        c.put("publicClient", false);
        c.put("clientAuthenticatorType", type);
        c.put("serviceAccountsEnabled", true);
        c.put("attributes", attributes);
        DaneScenarios.createClient(stack.admin().realm(REALM), c);
    }

    /** One client_credentials request; its latency in nanoseconds. */
    private static long request(Stack stack, TlsHttp http, String clientId) {
        long t0 = System.nanoTime();
        TlsHttp.Response r = http.postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "client_credentials", "client_id", clientId));
        long elapsed = System.nanoTime() - t0;
        assertThat(r.status()).as(clientId + ": " + r).isEqualTo(200);
        return elapsed;
    }

    private static void print(List<Long> dane, List<Long> x509) {
        double[] d = stats(dane);
        double[] x = stats(x509);
        StringBuilder t = new StringBuilder("\n");
        t.append(String.format(Locale.ROOT, "%-12s %8s %9s %9s %9s %9s %9s%n",
                "method", "requests", "mean ms", "p50 ms", "p90 ms", "p99 ms", "req/s"));
        t.append(row("client-dane", dane.size(), d));
        t.append(row("client-x509", x509.size(), x));
        t.append(String.format(Locale.ROOT, "%-12s %8s %9.2f %9.2f %9.2f %9.2f %9.2f%n",
                "dane/x509", "", d[0] / x[0], d[1] / x[1], d[2] / x[2], d[3] / x[3], d[4] / x[4]));
        System.out.println(t);
    }

    private static String row(String name, int n, double[] s) {
        return String.format(Locale.ROOT, "%-12s %8d %9.2f %9.2f %9.2f %9.2f %9.1f%n", name, n, s[0], s[1], s[2], s[3], s[4]);
    }

    /** mean, p50, p90, p99 (ms) and requests per second. */
    private static double[] stats(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        double mean = sorted.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
        return new double[] {mean, pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), 1000.0 / mean};
    }

    private static double pct(List<Long> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)) / 1e6;
    }
}
