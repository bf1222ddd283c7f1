package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.keycloak.DaneMetrics;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.github.keycloakdane.it.DaneScenarios.ZONE;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DANE meters as Prometheus scrapes them from Keycloak's management interface ({@code --metrics-enabled=true}):
 * a success (a cold lookup), a success from the cache and a refusal move each counter by exactly what they should.
 * Other IT classes share the server, but run before or after this one, so deltas within a test are exact.
 */
@ExtendWith(SharedStack.class)
public class MetricsIT {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** {@code name{labels} value}: one sample of the Prometheus text format. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+).*$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @Test
    void aSuccessACacheHitAndARefusalMoveTheCountersByExactlyOneStepEach(Stack stack) throws Exception {
        String name = "metered._device.example.test";
        Issued device = TestPki.leaf("metered").build();
        // the longest TTL Knot signs here, so the answer is certainly still cached for the second and third request
        stack.knot().replace(ZONE, name + ". " + KnotDns.MAX_TTL + " IN TLSA " + daneEe(device.cert()));
        daneClient(stack.admin(), "metered", name);
        Issued thief = TestPki.leaf("metered").build();
        Map<String, Double> before = scrape(stack);

        TlsHttp.Response cold = clientCredentials(stack, device(stack, device), "client_id", "metered");
        TlsHttp.Response cached = clientCredentials(stack, device(stack, device), "client_id", "metered");
        TlsHttp.Response refused = clientCredentials(stack, device(stack, thief), "client_id", "metered");
        Map<String, Double> after = scrape(stack);

        assertThat(cold.status()).as(cold.toString()).isEqualTo(200);
        assertThat(cached.status()).as(cached.toString()).isEqualTo(200);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
        String auth = prometheus(DaneMetrics.AUTHENTICATIONS) + "_total";
        assertThat(delta(before, after, auth + "{authenticator=client-dane,reason=OK,result=success}")).isEqualTo(2);
        assertThat(delta(before, after, auth + "{authenticator=client-dane,reason=NO_MATCH,result=failure}"))
                .isEqualTo(1);
        assertThat(delta(before, after, auth + "{authenticator=auth-dane,reason=OK,result=success}")).isZero();
        // a name an earlier class used may be refreshed in the background meanwhile (a lookup, never a wait)
        double refreshes = delta(before, after, prometheus(DaneMetrics.LOOKUP_REFRESHES) + "_total");
        assertThat(delta(before, after, prometheus(DaneMetrics.LOOKUPS) + "_total{dnssec=SECURE}") - refreshes)
                .as("one cold lookup").isEqualTo(1);
        assertThat(delta(before, after, prometheus(DaneMetrics.LOOKUPS) + "_total{dnssec=BOGUS}")).isZero();
        assertThat(delta(before, after, prometheus(DaneMetrics.LOOKUP_DURATION) + "_seconds_count") - refreshes)
                .isEqualTo(1);
        assertThat(delta(before, after, prometheus(DaneMetrics.LOOKUP_WAITS) + "_total"))
                .as("the cold request waited for DNS, the cached ones did not").isEqualTo(1);
        assertThat(delta(before, after, prometheus(DaneMetrics.CACHE_MISSES) + "_total")).isEqualTo(1);
        assertThat(delta(before, after, prometheus(DaneMetrics.CACHE_HITS) + "_total")).isEqualTo(2);
        assertThat(delta(before, after, prometheus(DaneMetrics.CACHE_EVICTIONS) + "_total")).isZero();
        assertThat(delta(before, after, prometheus(DaneMetrics.CACHE_SIZE))).isEqualTo(1);
        assertThat(after.get(prometheus(DaneMetrics.LOOKUPS_IN_FLIGHT))).isZero();
        // a histogram, in base units: Prometheus can compute latency quantiles across nodes
        assertThat(after.keySet()).anyMatch(k -> k.startsWith(prometheus(DaneMetrics.LOOKUP_DURATION)
                + "_seconds_bucket{le="));
    }

    @Test
    void everyTagValueIsBoundedNeverANameOrClient(Stack stack) throws Exception {
        Map<String, Double> samples = scrape(stack);

        assertThat(samples.keySet()).filteredOn(k -> k.startsWith("keycloak_dane_")).isNotEmpty()
                .noneMatch(k -> k.contains("example.test") || k.contains("sensor") || k.contains("metered"));
    }

    /** Micrometer's Prometheus spelling of a meter name. */
    private static String prometheus(String meter) {
        return meter.replace('.', '_');
    }

    private static double delta(Map<String, Double> before, Map<String, Double> after, String series) {
        assertThat(after).as("scraped series").containsKey(series);
        return after.get(series) - before.getOrDefault(series, 0.0);
    }

    /** A failure series of the authentication meter as {@link #scrape} spells it: authenticator, reason. */
    private static final Pattern REFUSAL = Pattern.compile(
            "^keycloak_dane_authentications_total\\{authenticator=([a-z-]+),reason=([A-Z_]+),result=failure}$");

    /**
     * One authenticator's refusals by reason between two {@link #scrape scrapes}; reasons that did not move are
     * absent.
     */
    static Map<String, Long> refusals(Map<String, Double> before, Map<String, Double> after, String authenticator) {
        Map<String, Long> reasons = new TreeMap<>();
        after.forEach((series, value) -> {
            Matcher reason = REFUSAL.matcher(series);
            long delta = Math.round(value - before.getOrDefault(series, 0.0));
            if (reason.matches() && reason.group(1).equals(authenticator) && delta > 0) {
                reasons.merge(reason.group(2), delta, Long::sum);
            }
        });
        return reasons;
    }

    /** Every sample as {@code name{label=value,...}} (labels sorted, unquoted) to its value. */
    public static Map<String, Double> scrape(Stack stack) throws IOException, InterruptedException {
        URI uri = URI.create(stack.keycloak().managementUri() + "/metrics");
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(uri.toString()).isEqualTo(200);
        Map<String, Double> samples = new HashMap<>();
        for (String line : response.body().split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.matches()) {
                continue;
            }
            Map<String, String> labels = new TreeMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            String key = m.group(1) + (labels.isEmpty() ? "" : labels.toString().replace(", ", ","));
            samples.put(key, Double.parseDouble(m.group(3)));
        }
        return samples;
    }
}
