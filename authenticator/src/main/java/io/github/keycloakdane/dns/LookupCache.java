package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A bounded LRU cache of TLSA lookups: secure answers for min(TTL, maxTtl), anything else for negativeTtl (so a
 * failing name cannot be used to hammer the resolver, yet recovers within seconds). Concurrent lookups of one name
 * share a single query; each waiter on it keeps its own deadline, and a query that fails in any way (an
 * {@link Error} included) still completes the shared result, so no waiter is left hanging. At most
 * {@code maxConcurrent} queries (of distinct names) run at once: one more is answered {@link DnssecStatus#BUSY} at
 * once, so that black-holed names tie up a bounded number of threads and everyone else keeps logging in.
 */
final class LookupCache {

    private record Entry(TlsaLookup lookup, long expiresAtMillis) {
    }

    /** A cached answer and when it expires (milliseconds since the epoch of the cache's clock). */
    record Cached(TlsaLookup lookup, long expiresAtMillis) {
    }

    private final Duration maxTtl;
    private final Duration negativeTtl;
    private final Duration waitBound;
    private final Clock clock;
    private final Map<DaneName, Entry> entries;
    private final Map<DaneName, CompletableFuture<TlsaLookup>> inFlight = new ConcurrentHashMap<>();
    private final Semaphore queries;
    private final int maxConcurrent;
    /** Set once at start-up, before requests arrive; volatile so that every request thread sees it. */
    private volatile LookupObserver observer = LookupObserver.NONE;

    /**
     * @param waitBound how long a caller waits for a query another caller started (the lookup's own time bound:
     *                  the waiter's deadline counts from its own arrival, not from the query's start)
     */
    LookupCache(Duration maxTtl, Duration negativeTtl, int maxEntries, Duration waitBound, int maxConcurrent,
                Clock clock) {
        this.maxConcurrent = maxConcurrent;
        this.queries = new Semaphore(maxConcurrent);
        this.maxTtl = maxTtl;
        this.negativeTtl = negativeTtl;
        this.waitBound = waitBound;
        this.clock = clock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<DaneName, Entry> eldest) {
                boolean evict = size() > maxEntries;
                if (evict) {
                    observer.eviction();
                }
                return evict;
            }
        };
    }

    void observe(LookupObserver observer) {
        this.observer = observer == null ? LookupObserver.NONE : observer;
    }

    TlsaLookup get(DaneName name, Function<DaneName, TlsaLookup> loader) {
        Cached cached = cached(name, true);
        if (cached != null) {
            observer.hit();
            return cached.lookup;
        }
        observer.miss();
        return load(name, loader, true, queries, "max-concurrent-lookups");
    }

    /**
     * The unexpired cached answer for the name, or null; counts neither as a hit nor as a miss and leaves even an
     * expired entry in place (a look that changes nothing but the entry's LRU position).
     */
    Cached peek(DaneName name) {
        return cached(name, false);
    }

    /**
     * Queries DNS now, past the cache, taking a slot of {@code budget} (never one of the logins'); stores the answer
     * (replacing any cached one) only when {@code store} is set. A lookup another caller has running is waited for,
     * not repeated.
     */
    TlsaLookup lookupNow(DaneName name, Function<DaneName, TlsaLookup> loader, boolean store, LookupBudget budget) {
        if (store) {
            synchronized (entries) {
                entries.remove(name);
            }
        }
        return load(name, loader, store, budget.slots(), budget.describe());
    }

    /** The unexpired entry for the name, or null; an expired one is dropped when {@code dropExpired}. */
    private Cached cached(DaneName name, boolean dropExpired) {
        synchronized (entries) {
            Entry entry = entries.get(name);
            if (entry == null) {
                return null;
            }
            if (entry.expiresAtMillis > clock.millis()) {
                return new Cached(entry.lookup, entry.expiresAtMillis);
            }
            if (dropExpired) {
                entries.remove(name);
            }
            return null;
        }
    }

    /** @param slots whose slot the query takes: the logins' ({@link #queries}) or a budget of its own */
    private TlsaLookup load(DaneName name, Function<DaneName, TlsaLookup> loader, boolean store, Semaphore slots,
                            String limit) {
        CompletableFuture<TlsaLookup> running = inFlight.get(name);
        if (running != null) {
            return await(name, running);
        }
        if (!slots.tryAcquire()) {
            return TlsaLookup.failed(DnssecStatus.BUSY, (slots == queries ? maxConcurrent + " lookups" : "lookups")
                    + " are running on this node already (" + limit + "); " + name + " was not looked up");
        }
        CompletableFuture<TlsaLookup> mine = new CompletableFuture<>();
        running = inFlight.putIfAbsent(name, mine);
        if (running != null) {
            slots.release(); // another request started this name's lookup in the meantime: wait for it
            return await(name, running);
        }
        long started = System.nanoTime();
        try {
            TlsaLookup lookup = loader.apply(name);
            observer.lookupDone(lookup.status(), System.nanoTime() - started);
            if (store) {
                store(name, lookup);
            }
            mine.complete(lookup);
            return lookup;
        } catch (RuntimeException e) {
            // a resolver bug must end as a typed failure for this caller and every waiter, never as a 500
            TlsaLookup failed = TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "TLSA lookup failed: " + e);
            observer.lookupDone(failed.status(), System.nanoTime() - started);
            mine.complete(failed);
            return failed;
        } catch (Error e) {
            mine.complete(TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "TLSA lookup failed: " + e));
            throw e; // the JVM's own trouble (out of memory, ...) is not ours to hide
        } finally {
            inFlight.remove(name, mine);
            slots.release();
        }
    }

    private TlsaLookup await(DaneName name, CompletableFuture<TlsaLookup> running) {
        try {
            return running.get(waitBound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return TlsaLookup.failed(DnssecStatus.TIMEOUT, "waited " + waitBound.toMillis()
                    + " ms for the lookup of " + name + " that another request started");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "interrupted while waiting for the lookup of " + name);
        } catch (ExecutionException e) {
            return TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "TLSA lookup failed: " + e.getCause());
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

    /** Distinct names being queried right now. */
    int inFlight() {
        return inFlight.size();
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
