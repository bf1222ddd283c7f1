package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.TlsaLookup;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A bounded LRU cache of TLSA lookups: secure answers for min(TTL, maxTtl), anything else for negativeTtl (so a
 * failing name cannot be used to hammer the resolver, yet recovers within seconds). Concurrent lookups of one name
 * share a single query.
 */
final class LookupCache {

    private record Entry(TlsaLookup lookup, long expiresAtMillis) {
    }

    private final Duration maxTtl;
    private final Duration negativeTtl;
    private final Clock clock;
    private final Map<DaneName, Entry> entries;
    private final Map<DaneName, CompletableFuture<TlsaLookup>> inFlight = new ConcurrentHashMap<>();

    LookupCache(Duration maxTtl, Duration negativeTtl, int maxEntries, Clock clock) {
        this.maxTtl = maxTtl;
        this.negativeTtl = negativeTtl;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<DaneName, Entry> eldest) {
                return size() > maxEntries;
            }
        };
    }

    TlsaLookup get(DaneName name, Function<DaneName, TlsaLookup> loader) {
        synchronized (entries) {
            Entry cached = entries.get(name);
            if (cached != null) {
                if (cached.expiresAtMillis > clock.millis()) {
                    return cached.lookup;
                }
                entries.remove(name);
            }
        }
        CompletableFuture<TlsaLookup> mine = new CompletableFuture<>();
        CompletableFuture<TlsaLookup> running = inFlight.putIfAbsent(name, mine);
        if (running != null) {
            return running.join(); // the running lookup is itself time-bounded
        }
        try {
            TlsaLookup lookup = loader.apply(name);
            store(name, lookup);
            mine.complete(lookup);
            return lookup;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(name, mine);
        }
    }

    private void store(DaneName name, TlsaLookup lookup) {
        long ttlMillis = lookup.isSecure()
                ? Math.min(Duration.ofSeconds(lookup.ttlSeconds()).toMillis(), maxTtl.toMillis())
                : negativeTtl.toMillis();
        if (ttlMillis <= 0) {
            return;
        }
        synchronized (entries) {
            entries.put(name, new Entry(lookup, clock.millis() + ttlMillis));
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
