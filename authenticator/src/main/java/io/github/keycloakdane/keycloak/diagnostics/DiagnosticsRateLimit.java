package io.github.keycloakdane.keycloak.diagnostics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * A token bucket per key (an admin in a realm): {@code burst} requests at once, refilled at {@code perMinute}. One
 * per node; a node's buckets are its own (a cluster of n nodes admits up to n times the rate, which still bounds
 * what one admin costs each node). At most {@link #MAX_KEYS} buckets are kept: beyond that, full ones (nothing owed)
 * are dropped first, so the map cannot grow with the number of admins who ever called.
 */
final class DiagnosticsRateLimit {

    static final int MAX_KEYS = 10_000;
    private static final long NANOS_PER_MINUTE = 60_000_000_000L;

    private static final class Bucket {
        double tokens;
        long refilledAt;

        Bucket(double tokens, long now) {
            this.tokens = tokens;
            this.refilledAt = now;
        }
    }

    private final int perMinute;
    private final int burst;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    DiagnosticsRateLimit(int perMinute, int burst, LongSupplier nanoTime) {
        this.perMinute = perMinute;
        this.burst = burst;
        this.nanoTime = nanoTime;
    }

    /**
     * Takes one request from the key's bucket.
     *
     * @return 0 when admitted, otherwise the seconds (at least 1) until the next request would be
     */
    long acquire(String key) {
        long now = nanoTime.getAsLong();
        if (buckets.size() >= MAX_KEYS && !buckets.containsKey(key)) {
            buckets.values().removeIf(b -> {
                synchronized (b) {
                    refill(b, now);
                    return b.tokens >= burst;
                }
            });
        }
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
        synchronized (bucket) {
            refill(bucket, now);
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return 0;
            }
            double missing = 1 - bucket.tokens;
            return Math.max(1, (long) Math.ceil(missing * 60 / perMinute));
        }
    }

    private void refill(Bucket b, long now) {
        long elapsed = now - b.refilledAt;
        if (elapsed > 0) {
            b.tokens = Math.min(burst, b.tokens + (double) elapsed * perMinute / NANOS_PER_MINUTE);
            b.refilledAt = now;
        }
    }

    int keys() {
        return buckets.size();
    }
}
