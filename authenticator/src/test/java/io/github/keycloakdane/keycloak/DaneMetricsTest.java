package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.dns.DnsSettings;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class DaneMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults()
            .withResolver(new InetSocketAddress("127.0.0.1", 53)));
    private final DaneMetrics metrics = new DaneMetrics(registry, source);

    @Test
    void everyMeterExistsFromTheStartWithTagsFromEnumsOnly() {
        Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
        assertThat(names).containsExactlyInAnyOrderElementsOf(DaneMetrics.METERS);
        assertThat(registry.find(DaneMetrics.AUTHENTICATIONS).counters())
                .hasSize(DaneMetrics.Authenticator.values().length * Reason.values().length);
        Set<String> tagKeys = registry.getMeters().stream().map(Meter::getId)
                .flatMap(id -> id.getTags().stream()).map(t -> t.getKey()).collect(Collectors.toSet());
        assertThat(tagKeys).containsExactlyInAnyOrder("authenticator", "result", "reason", "dnssec");
        assertThat(registry.find(DaneMetrics.AUTHENTICATIONS).tag("reason", "OK").counters())
                .allSatisfy(c -> assertThat(c.getId().getTag("result")).isEqualTo("success"));
        assertThat(registry.find(DaneMetrics.AUTHENTICATIONS).tag("reason", "NO_MATCH").counters())
                .allSatisfy(c -> assertThat(c.getId().getTag("result")).isEqualTo("failure"));
    }

    @Test
    void observerCallsMoveTheirMeters() {
        metrics.hit();
        metrics.hit();
        metrics.miss();
        metrics.eviction();
        metrics.lookupDone(DnssecStatus.BOGUS, TimeUnit.MILLISECONDS.toNanos(20));
        metrics.waited();
        metrics.refreshDone(false);
        metrics.refreshDone(true);

        assertThat(registry.get(DaneMetrics.CACHE_HITS).counter().count()).isEqualTo(2);
        assertThat(registry.get(DaneMetrics.CACHE_MISSES).counter().count()).isEqualTo(1);
        assertThat(registry.get(DaneMetrics.CACHE_EVICTIONS).counter().count()).isEqualTo(1);
        assertThat(registry.get(DaneMetrics.LOOKUP_WAITS).counter().count()).isEqualTo(1);
        assertThat(registry.get(DaneMetrics.LOOKUP_REFRESHES).counter().count()).isEqualTo(2);
        assertThat(registry.get(DaneMetrics.LOOKUP_REFRESH_FAILURES).counter().count()).isEqualTo(1);
        assertThat(registry.get(DaneMetrics.LOOKUPS).tag("dnssec", "BOGUS").counter().count()).isEqualTo(1);
        assertThat(Arrays.stream(DnssecStatus.values()).filter(s -> s != DnssecStatus.BOGUS)
                .mapToDouble(s -> registry.get(DaneMetrics.LOOKUPS).tag("dnssec", s.name()).counter().count()).sum())
                .isZero();
        assertThat(registry.get(DaneMetrics.LOOKUP_DURATION).timer().count()).isEqualTo(1);
        assertThat(registry.get(DaneMetrics.LOOKUP_DURATION).timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(20.0);
        assertThat(registry.get(DaneMetrics.CACHE_SIZE).gauge().value()).isZero();
        assertThat(registry.get(DaneMetrics.LOOKUPS_IN_FLIGHT).gauge().value()).isZero();
    }
}
