package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A bounded LRU cache of TLSA lookups: secure answers for their TTL clamped to [minTtl, maxTtl], anything else for
 * negativeTtl (so a failing name cannot be used to hammer the resolver, yet recovers within seconds).
 *
 * <p>Concurrent lookups of one name share a single query; each waiter on it keeps its own deadline, at most
 * {@code maxWaitersPerName} requests wait for one name (one more is answered {@link DnssecStatus#BUSY} at once), and a
 * query that fails in any way (an {@link Error} included) still completes the shared result, so no waiter is left
 * hanging. At most {@code maxConcurrent} queries (of distinct names) run at once: one more is answered
 * {@link DnssecStatus#BUSY} at once, so that black-holed names tie up a bounded number of threads and everyone else
 * keeps logging in.
 *
 * <p>Refresh ahead: a secure answer that a request uses in its refresh window (its last fifth, or the last three
 * lookup times when that is longer) is looked up again in the background at once, one refresh per name at a time,
 * and only while a quarter of the lookup slots (at least one) stays free for requests (otherwise it tries again a
 * tenth of a second later). A refresh that brings an answer (secure, a secure denial, or insecure) replaces the
 * cached one; one that fails (timeout, error, bogus, busy) leaves the current answer until it expires and is retried
 * on the name's next use, not before half its remaining life or the negative TTL has passed. An answer nobody uses in
 * its window is not refreshed. Nothing is ever served past its expiry, which counts from the moment its query was
 * sent.
 */
final class LookupCache {

    /** Runs a task after a delay on a background thread; tests pass one they drive by hand. */
    interface Scheduler {
        void schedule(Runnable task, long delayMillis);
    }

    /** The node's refresh threads: two daemon threads, started on first use and ended when idle. */
    static Scheduler background() {
        return Background.SCHEDULER;
    }

    private static final class Background {
        private static final AtomicInteger THREADS = new AtomicInteger();
        private static final ScheduledThreadPoolExecutor POOL = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = new Thread(r, "dane-refresh-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });

        static {
            POOL.setKeepAliveTime(30, TimeUnit.SECONDS);
            POOL.allowCoreThreadTimeOut(true);
            POOL.setRemoveOnCancelPolicy(true);
        }

        static final Scheduler SCHEDULER = (task, delayMillis) -> POOL.schedule(task, Math.max(0, delayMillis),
                TimeUnit.MILLISECONDS);
    }

    /** A cached answer; the mutable fields are guarded by the cache's lock. */
    private static final class Entry {
        final TlsaLookup lookup;
        final long expiresAtMillis;
        /** From here on a use refreshes the entry; never for a failure. */
        final long refreshAtMillis;
        /** Whether a refresh check is scheduled for this entry. */
        boolean checkPending;
        /** The earliest next refresh after a failed one. */
        long retryAtMillis;

        Entry(TlsaLookup lookup, long expiresAtMillis, long refreshAtMillis) {
            this.lookup = lookup;
            this.expiresAtMillis = expiresAtMillis;
            this.refreshAtMillis = refreshAtMillis;
        }
    }

    /** Why a query runs, which decides what becomes of its answer. */
    private enum Purpose {
        /** A request with no unexpired answer: the answer is cached, and the request waited for it. */
        REQUEST,
        /** Looked up past the cache on purpose: the answer replaces the cached one. */
        STORE,
        /** Looked up past the cache on purpose: the cache stays as it was. */
        LOOK,
        /** Refresh ahead: an answer replaces the cached one, a failure leaves it. */
        REFRESH
    }

    /**
     * A query running now: its result, how many requests wait for it, and whose slot it holds: {@code budget}, the
     * diagnostics' own, or null for one of the logins' ({@link #running}).
     */
    private record InFlight(CompletableFuture<TlsaLookup> result, AtomicInteger waiters, LookupBudget budget) {
        InFlight(LookupBudget budget) {
            this(new CompletableFuture<>(), new AtomicInteger(), budget);
        }

        InFlight() {
            this(null);
        }
    }

    /** A cached answer and when it expires (milliseconds since the epoch of the cache's clock). */
    record Cached(TlsaLookup lookup, long expiresAtMillis) {
    }

    /** How soon a refresh that found no free lookup slot tries again. */
    private static final long BUSY_RETRY_MILLIS = 100;

    private final long minTtlMillis;
    private final long maxTtlMillis;
    private final long negativeTtlMillis;
    private final Duration waitBound;
    private final int maxConcurrent;
    private final int maxWaitersPerName;
    /** Lookup slots a refresh leaves free for requests: a quarter, at least one. */
    private final int reservedForRequests;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Map<DaneName, Entry> entries;
    private final Map<DaneName, InFlight> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    /** Set once at start-up, before requests arrive; volatile so that every request thread sees it. */
    private volatile LookupObserver observer = LookupObserver.NONE;

    /**
     * @param settings  the cache's bounds: {@link DnsSettings#minTtl()}, {@link DnsSettings#maxTtl()},
     *                  {@link DnsSettings#negativeTtl()}, {@link DnsSettings#cacheSize()},
     *                  {@link DnsSettings#maxConcurrentLookups()}, {@link DnsSettings#maxWaitersPerName()}, and
     *                  {@link DnsSettings#timeout()} as how long a caller waits for a query another caller started
     *                  (the waiter's deadline counts from its own arrival, not from the query's start)
     * @param scheduler where refreshes run ({@link #background()} in production)
     */
    LookupCache(DnsSettings settings, Clock clock, Scheduler scheduler) {
        this.maxTtlMillis = millis(settings.maxTtl());
        this.minTtlMillis = Math.min(millis(settings.minTtl()), maxTtlMillis);
        this.negativeTtlMillis = millis(settings.negativeTtl());
        this.waitBound = settings.timeout();
        this.maxConcurrent = settings.maxConcurrentLookups();
        this.maxWaitersPerName = settings.maxWaitersPerName();
        this.reservedForRequests = Math.max(1, (maxConcurrent + 3) / 4);
        this.clock = clock;
        this.scheduler = scheduler;
        int maxEntries = settings.cacheSize();
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
        TlsaLookup hit = null;
        synchronized (entries) {
            Entry entry = unexpired(name, true);
            if (entry != null) {
                use(name, entry, loader);
                hit = entry.lookup;
            }
        }
        if (hit != null) {
            observer.hit();
            return hit;
        }
        observer.miss();
        return load(name, loader, Purpose.REQUEST, null);
    }

    /**
     * The unexpired cached answer for the name, or null; counts neither as a hit nor as a miss nor as a use, and
     * leaves even an expired entry in place (a look that changes nothing but the entry's LRU position).
     */
    Cached peek(DaneName name) {
        synchronized (entries) {
            Entry entry = unexpired(name, false);
            return entry == null ? null : new Cached(entry.lookup, entry.expiresAtMillis);
        }
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
        return load(name, loader, store ? Purpose.STORE : Purpose.LOOK, budget);
    }

    /** The unexpired entry for the name, or null; an expired one is dropped when {@code dropExpired}. Locked. */
    private Entry unexpired(DaneName name, boolean dropExpired) {
        Entry entry = entries.get(name);
        if (entry == null) {
            return null;
        }
        if (entry.expiresAtMillis > clock.millis()) {
            return entry;
        }
        if (dropExpired) {
            entries.remove(name);
        }
        return null;
    }

    /**
     * A request uses the entry: in its refresh window (and past the retry time of a failed refresh), this starts a
     * refresh in the background unless one is pending. Locked.
     */
    private void use(DaneName name, Entry entry, Function<DaneName, TlsaLookup> loader) {
        if (entry.checkPending || clock.millis() < Math.max(entry.refreshAtMillis, entry.retryAtMillis)) {
            return; // a failure's refreshAtMillis is Long.MAX_VALUE: never due
        }
        entry.checkPending = true;
        try {
            scheduler.schedule(() -> refreshIfDue(name, entry, loader), 0);
        } catch (RuntimeException e) {
            entry.checkPending = false; // no refresh this time (a scheduler that refuses work): never the request's error
        }
    }

    /** The refresh check: looks the name up again if this entry is still the cached one and due. */
    private void refreshIfDue(DaneName name, Entry entry, Function<DaneName, TlsaLookup> loader) {
        synchronized (entries) {
            entry.checkPending = false;
            long now = clock.millis();
            if (entries.get(name) != entry || entry.expiresAtMillis <= now) {
                return; // replaced, evicted or expired meanwhile: nothing to refresh
            }
        }
        if (!acquire(reservedForRequests)) {
            retrySoon(name, entry, loader); // the slots are the requests' now
            return;
        }
        InFlight mine = new InFlight();
        if (inFlight.putIfAbsent(name, mine) != null) {
            running.decrementAndGet(); // a request or another refresh is looking it up already
            return;
        }
        run(name, loader, mine, Purpose.REFRESH);
    }

    /** A refresh that found no free slot checks again shortly (a tenth of a second) while the entry lives. */
    private void retrySoon(DaneName name, Entry entry, Function<DaneName, TlsaLookup> loader) {
        synchronized (entries) {
            long remaining = entry.expiresAtMillis - clock.millis();
            if (entry.checkPending || remaining <= 0 || entries.get(name) != entry) {
                return;
            }
            entry.checkPending = true;
            try {
                scheduler.schedule(() -> refreshIfDue(name, entry, loader),
                        Math.min(BUSY_RETRY_MILLIS, remaining / 2));
            } catch (RuntimeException e) {
                entry.checkPending = false;
            }
        }
    }

    /** @param budget slots of its own the lookup takes (the diagnostics'), or null: one of the logins' */
    private TlsaLookup load(DaneName name, Function<DaneName, TlsaLookup> loader, Purpose purpose,
                            LookupBudget budget) {
        boolean request = purpose == Purpose.REQUEST;
        InFlight existing = inFlight.get(name);
        if (existing != null) {
            return await(name, existing, request);
        }
        if (budget == null ? !acquire(0) : !budget.slots().tryAcquire()) {
            return TlsaLookup.failed(DnssecStatus.BUSY, (budget == null ? maxConcurrent + " lookups are running on"
                    + " this node already (max-concurrent-lookups); " : "lookups are running on this node already ("
                    + budget.describe() + "); ") + name + " was not looked up");
        }
        InFlight mine = new InFlight(budget);
        existing = inFlight.putIfAbsent(name, mine);
        if (existing != null) {
            release(mine); // another request started this name's lookup in the meantime: wait for it
            return await(name, existing, request);
        }
        if (request) {
            observer.waited();
        }
        return run(name, loader, mine, purpose);
    }

    /** Takes a lookup slot if {@code keepFree} slots stay free after it. */
    private boolean acquire(int keepFree) {
        while (true) {
            int n = running.get();
            if (n + 1 + keepFree > maxConcurrent) {
                return false;
            }
            if (running.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Runs the query this caller registered as {@code mine}, stores its answer, and frees the slot. */
    private TlsaLookup run(DaneName name, Function<DaneName, TlsaLookup> loader, InFlight mine, Purpose purpose) {
        long startedMillis = clock.millis();
        long started = System.nanoTime();
        try {
            TlsaLookup lookup;
            try {
                lookup = loader.apply(name);
            } catch (RuntimeException e) {
                // a resolver bug must end as a typed failure for this caller and every waiter, never as a 500; it is
                // not cached, and a refresh that meets one keeps the current answer
                TlsaLookup failed = TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "TLSA lookup failed: " + e);
                observer.lookupDone(failed.status(), System.nanoTime() - started);
                if (purpose == Purpose.REFRESH) {
                    refreshFailed(name);
                }
                mine.result.complete(failed);
                return failed;
            }
            observer.lookupDone(lookup.status(), System.nanoTime() - started);
            switch (purpose) {
                case REFRESH -> refreshed(name, lookup, startedMillis);
                case REQUEST -> {
                    synchronized (entries) {
                        store(name, lookup, startedMillis).ifPresent(e -> use(name, e, loader));
                    }
                }
                case STORE -> {
                    synchronized (entries) {
                        store(name, lookup, startedMillis);
                    }
                }
                case LOOK -> {
                    // the cache stays as it was
                }
            }
            mine.result.complete(lookup);
            return lookup;
        } catch (Error e) {
            mine.result.complete(TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "TLSA lookup failed: " + e));
            throw e; // the JVM's own trouble (out of memory, ...) is not ours to hide
        } finally {
            inFlight.remove(name, mine);
            release(mine);
        }
    }

    /** Gives back the slot a lookup took. */
    private void release(InFlight lookup) {
        if (lookup.budget() == null) {
            running.decrementAndGet();
        } else {
            lookup.budget().slots().release();
        }
    }

    /** A refresh ended with {@code lookup}: an answer replaces the cached one, a failure leaves it. */
    private void refreshed(DaneName name, TlsaLookup lookup, long startedMillis) {
        if (isAnswer(lookup.status())) {
            synchronized (entries) {
                store(name, lookup, startedMillis);
            }
            observer.refreshDone(false);
            return;
        }
        refreshFailed(name);
        synchronized (entries) {
            Entry current = unexpired(name, false);
            if (current == null) {
                // expired while the refresh ran: requests waited for it, so it is cached as a cold lookup's would be
                store(name, lookup, startedMillis);
            }
        }
    }

    /** A failed refresh: the current answer stays; the next use retries, not before the retry time. */
    private void refreshFailed(DaneName name) {
        observer.refreshDone(true);
        synchronized (entries) {
            Entry current = unexpired(name, false);
            if (current != null) {
                long now = clock.millis();
                long retryIn = Math.max(0, (current.expiresAtMillis - now) / 2);
                if (negativeTtlMillis > 0) {
                    retryIn = Math.min(retryIn, negativeTtlMillis);
                }
                current.retryAtMillis = now + retryIn;
            }
        }
    }

    /**
     * What the zone says now (a secure answer, a secure denial, an unsigned zone), as opposed to trouble on the way
     * (timeout, error, a validation failure an attacker on the path can cause, busy).
     */
    private static boolean isAnswer(DnssecStatus status) {
        return switch (status) {
            case SECURE, NXDOMAIN, NODATA, INSECURE -> true;
            case BOGUS, SERVFAIL, TIMEOUT, NETWORK_ERROR, BUSY -> false;
        };
    }

    private TlsaLookup await(DaneName name, InFlight running, boolean request) {
        if (running.waiters.incrementAndGet() > maxWaitersPerName) {
            running.waiters.decrementAndGet();
            return TlsaLookup.failed(DnssecStatus.BUSY, maxWaitersPerName + " requests are waiting for the lookup of "
                    + name + " already (max-waiters-per-name); this one did not wait");
        }
        if (request) {
            observer.waited();
        }
        try {
            return running.result.get(waitBound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return TlsaLookup.failed(DnssecStatus.TIMEOUT, "waited " + waitBound.toMillis()
                    + " ms for the lookup of " + name + " that another request started");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "interrupted while waiting for the lookup of " + name);
        } catch (ExecutionException e) {
            return TlsaLookup.failed(DnssecStatus.NETWORK_ERROR, "TLSA lookup failed: " + e.getCause());
        } finally {
            running.waiters.decrementAndGet();
        }
    }

    /**
     * Caches the lookup whose query was sent at {@code startedMillis}; returns the entry, or empty when it is not
     * cached (caching off, or expired already). Locked.
     */
    private Optional<Entry> store(DaneName name, TlsaLookup lookup, long startedMillis) {
        long now = clock.millis();
        long ttlMillis = lookup.isSecure()
                ? Math.min(Math.max(secondsToMillis(lookup.ttlSeconds()), minTtlMillis), maxTtlMillis)
                : negativeTtlMillis;
        long expires = startedMillis + ttlMillis;
        if (ttlMillis <= 0 || expires <= now) {
            return Optional.empty();
        }
        long refreshAt = Long.MAX_VALUE;
        if (lookup.isSecure()) {
            long took = Math.max(0, now - startedMillis);
            refreshAt = expires - Math.max(ttlMillis / 5, 3 * took);
        }
        Entry entry = new Entry(lookup, expires, refreshAt);
        entries.put(name, entry);
        return Optional.of(entry);
    }

    /** The duration in milliseconds, at most {@link Long#MAX_VALUE} / 4 (no sum of two can overflow). */
    private static long millis(Duration d) {
        return d.compareTo(Duration.ofMillis(Long.MAX_VALUE / 4)) > 0 ? Long.MAX_VALUE / 4 : d.toMillis();
    }

    private static long secondsToMillis(long seconds) {
        return seconds > Long.MAX_VALUE / 4000 ? Long.MAX_VALUE / 4 : Math.max(0, seconds) * 1000;
    }

    /** Distinct names being queried right now (refreshes included). */
    int inFlight() {
        return inFlight.size();
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
