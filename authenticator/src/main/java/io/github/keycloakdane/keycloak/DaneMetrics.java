package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.dns.LookupObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The DANE meters, on the registry Keycloak exports at {@code /metrics} of its management interface when started
 * with {@code --metrics-enabled=true} ({@link Metrics#globalRegistry}, where Keycloak's own code registers). Every tag
 * value comes from an enum, so the number of series is fixed: never a client, user or DNS name. Every meter is
 * registered up front, so a scrape shows zeros rather than nothing before the first login. docs/ADMIN-GUIDE.md
 * ("Metrics") describes each one; a test checks that table against {@link #METERS}.
 */
public final class DaneMetrics implements LookupObserver {

    public static final String AUTHENTICATIONS = "keycloak.dane.authentications";
    public static final String LOOKUPS = "keycloak.dane.lookups";
    public static final String LOOKUP_DURATION = "keycloak.dane.lookup.duration";
    public static final String CACHE_HITS = "keycloak.dane.cache.hits";
    public static final String CACHE_MISSES = "keycloak.dane.cache.misses";
    public static final String CACHE_EVICTIONS = "keycloak.dane.cache.evictions";
    public static final String CACHE_SIZE = "keycloak.dane.cache.size";
    public static final String LOOKUPS_IN_FLIGHT = "keycloak.dane.lookups.in.flight";
    public static final String LOOKUP_WAITS = "keycloak.dane.lookup.waits";
    public static final String LOOKUP_REFRESHES = "keycloak.dane.lookup.refreshes";
    public static final String LOOKUP_REFRESH_FAILURES = "keycloak.dane.lookup.refresh.failures";
    /** Every meter name, for the documentation check. */
    public static final List<String> METERS = List.of(AUTHENTICATIONS, LOOKUPS, LOOKUP_DURATION, CACHE_HITS,
            CACHE_MISSES, CACHE_EVICTIONS, CACHE_SIZE, LOOKUPS_IN_FLIGHT, LOOKUP_WAITS, LOOKUP_REFRESHES,
            LOOKUP_REFRESH_FAILURES);

    /** The authenticator a DANE success or refusal came from (tag {@code authenticator}). */
    public enum Authenticator {
        CLIENT_DANE(DaneClientAuthenticator.PROVIDER_ID), CLIENT_DANE_JWT(DaneJwtClientAuthenticator.PROVIDER_ID),
        AUTH_DANE(DaneUserAuthenticatorFactory.PROVIDER_ID);

        public final String id;

        Authenticator(String id) {
            this.id = id;
        }
    }

    /** Until a factory has started: counts nowhere (unit tests of the authenticators run without Keycloak). */
    private static volatile DaneMetrics current;

    private final Map<Authenticator, Map<Reason, Counter>> authentications = new EnumMap<>(Authenticator.class);
    private final Map<DnssecStatus, Counter> lookups = new EnumMap<>(DnssecStatus.class);
    private final Timer lookupDuration;
    private final Counter hits;
    private final Counter misses;
    private final Counter evictions;
    private final Counter waits;
    private final Counter refreshes;
    private final Counter refreshFailures;

    DaneMetrics(MeterRegistry registry, DnsTlsaSource source) {
        for (Authenticator a : Authenticator.values()) {
            Map<Reason, Counter> byReason = new EnumMap<>(Reason.class);
            for (Reason r : Reason.values()) {
                byReason.put(r, Counter.builder(AUTHENTICATIONS)
                        .description("DANE authentications by authenticator, result and reason")
                        .tag("authenticator", a.id).tag("result", r == Reason.OK ? "success" : "failure")
                        .tag("reason", r.name()).register(registry));
            }
            authentications.put(a, byReason);
        }
        for (DnssecStatus s : DnssecStatus.values()) {
            lookups.put(s, Counter.builder(LOOKUPS).description("TLSA queries to DNS by DNSSEC outcome")
                    .tag("dnssec", s.name()).register(registry));
        }
        lookupDuration = Timer.builder(LOOKUP_DURATION).description("How long TLSA queries to DNS took (cold lookups)")
                .publishPercentileHistogram().register(registry);
        hits = Counter.builder(CACHE_HITS).description("TLSA answers served from the cache").register(registry);
        misses = Counter.builder(CACHE_MISSES).description("TLSA lookups the cache could not answer")
                .register(registry);
        evictions = Counter.builder(CACHE_EVICTIONS).description("Answers dropped because the cache was full")
                .register(registry);
        waits = Counter.builder(LOOKUP_WAITS).description("Requests that found no unexpired answer and waited for DNS")
                .register(registry);
        refreshes = Counter.builder(LOOKUP_REFRESHES)
                .description("Background refreshes of cached answers before they expire").register(registry);
        refreshFailures = Counter.builder(LOOKUP_REFRESH_FAILURES)
                .description("Background refreshes that brought no answer (the cached one stays until it expires)")
                .register(registry);
        Gauge.builder(CACHE_SIZE, source, DnsTlsaSource::cacheSize).description("TLSA answers in the cache")
                .register(registry);
        Gauge.builder(LOOKUPS_IN_FLIGHT, source, DnsTlsaSource::lookupsInFlight)
                .description("TLSA queries running now").register(registry);
    }

    /** Registers the meters for this node's source and makes them the ones authentications count on. */
    static DaneMetrics register(DnsTlsaSource source) {
        DaneMetrics metrics = new DaneMetrics(Metrics.globalRegistry, source);
        source.observe(metrics);
        current = metrics;
        return metrics;
    }

    /** Counts a DANE success ({@link Reason#OK}) or refusal. */
    static void authentication(Authenticator authenticator, Reason reason) {
        DaneMetrics metrics = current;
        if (metrics != null) {
            metrics.authentications.get(authenticator).get(reason).increment();
        }
    }

    @Override
    public void hit() {
        hits.increment();
    }

    @Override
    public void miss() {
        misses.increment();
    }

    @Override
    public void eviction() {
        evictions.increment();
    }

    @Override
    public void lookupDone(DnssecStatus status, long nanos) {
        lookups.get(status).increment();
        lookupDuration.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void waited() {
        waits.increment();
    }

    @Override
    public void refreshDone(boolean failed) {
        refreshes.increment();
        if (failed) {
            refreshFailures.increment();
        }
    }
}
