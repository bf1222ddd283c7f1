package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class LookupCacheTest {

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private Instant now = Instant.parse("2026-11-28T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final LookupBudget DIAGNOSTICS = new LookupBudget(2, "diagnostics-max-concurrent-lookups");

    private final ManualClock clock = new ManualClock();
    private final AtomicInteger loads = new AtomicInteger();

    private static DaneName name(String n) throws Exception {
        return DaneName.parse(n);
    }

    private TlsaLookup load(DnssecStatus status, long ttl) {
        loads.incrementAndGet();
        return new TlsaLookup(status, List.of(), List.of(), ttl, "load " + loads.get());
    }

    @Test
    void secureAnswersLiveForTheirTtlWhenBelowTheMaximum() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 30));
        clock.advance(Duration.ofSeconds(29));
        cache.get(n, x -> load(DnssecStatus.SECURE, 30));
        assertThat(loads).hasValue(1);

        clock.advance(Duration.ofSeconds(2));
        cache.get(n, x -> load(DnssecStatus.SECURE, 30));
        assertThat(loads).hasValue(2);
    }

    @Test
    void theMaximumCapsALongTtl() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(60), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 86_400));
        clock.advance(Duration.ofSeconds(61));
        cache.get(n, x -> load(DnssecStatus.SECURE, 86_400));

        assertThat(loads).hasValue(2);
    }

    @Test
    void failuresAreKeptOnlyForTheNegativeTtl() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.BOGUS, 3600));
        clock.advance(Duration.ofSeconds(4));
        assertThat(cache.get(n, x -> load(DnssecStatus.SECURE, 60)).status()).isEqualTo(DnssecStatus.BOGUS);
        clock.advance(Duration.ofSeconds(2));
        assertThat(cache.get(n, x -> load(DnssecStatus.SECURE, 60)).status()).isEqualTo(DnssecStatus.SECURE);
        assertThat(loads).hasValue(2);
    }

    @Test
    void zeroTtlsDisableCaching() throws Exception {
        LookupCache cache = new LookupCache(Duration.ZERO, Duration.ZERO, 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 60));
        cache.get(n, x -> load(DnssecStatus.TIMEOUT, 0));
        cache.get(n, x -> load(DnssecStatus.SECURE, 60));

        assertThat(loads).hasValue(3);
        assertThat(cache.size()).isZero();
    }

    @Test
    void theCacheIsBoundedAndEvictsTheLeastRecentlyUsed() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 2, WAIT, 100, clock);

        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60));
        cache.get(name("b.example.com"), x -> load(DnssecStatus.SECURE, 60));
        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60)); // a is now most recent
        cache.get(name("c.example.com"), x -> load(DnssecStatus.SECURE, 60)); // evicts b
        assertThat(cache.size()).isEqualTo(2);
        assertThat(loads).hasValue(3);

        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60));
        assertThat(loads).hasValue(3);
        cache.get(name("b.example.com"), x -> load(DnssecStatus.SECURE, 60));
        assertThat(loads).hasValue(4);
    }

    /**
     * Starts a lookup of {@code n} on {@code pool} whose loader holds until {@code release} opens (a slow query),
     * then ends as {@code then} says; returns once the loader is running.
     */
    private static Future<TlsaLookup> slowQuery(ExecutorService pool, LookupCache cache, DaneName n,
                                                CountDownLatch release, java.util.function.Supplier<TlsaLookup> then)
            throws InterruptedException {
        CountDownLatch queryStarted = new CountDownLatch(1);
        Future<TlsaLookup> query = pool.submit(() -> cache.get(n, x -> {
            queryStarted.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return then.get();
        }));
        assertThat(queryStarted.await(10, TimeUnit.SECONDS)).isTrue();
        return query;
    }

    @Test
    void concurrentLookupsOfOneNameShareOneQuery() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");
        CountDownLatch release = new CountDownLatch(1);
        int callers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<TlsaLookup>> results = new ArrayList<>();
            results.add(slowQuery(pool, cache, n, release, () -> load(DnssecStatus.SECURE, 60)));
            for (int i = 1; i < callers; i++) {
                results.add(pool.submit(() -> cache.get(n, x -> load(DnssecStatus.SECURE, 60))));
            }
            Thread.sleep(200); // let the others reach the cache while the first query is still running
            release.countDown();

            for (Future<TlsaLookup> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS).detail()).isEqualTo("load 1");
            }
            assertThat(loads).hasValue(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLoaderThatThrowsAnErrorStillCompletesTheWaitersWithATypedFailure() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TlsaLookup> first = slowQuery(pool, cache, n, release, () -> {
                throw new StackOverflowError("resolver bug");
            });
            Future<TlsaLookup> waiter = pool.submit(() -> cache.get(n, x -> load(DnssecStatus.SECURE, 60)));
            Thread.sleep(200); // the waiter joins the running query
            release.countDown();

            TlsaLookup seen = waiter.get(5, TimeUnit.SECONDS);
            assertThat(seen.status()).isEqualTo(DnssecStatus.NETWORK_ERROR);
            assertThat(seen.detail()).contains("resolver bug");
            assertThat(first).failsWithin(Duration.ofSeconds(5)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(StackOverflowError.class);
            // nothing was cached and nothing is left in flight: the next caller queries afresh
            assertThat(cache.get(n, x -> load(DnssecStatus.SECURE, 60)).status()).isEqualTo(DnssecStatus.SECURE);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRuntimeExceptionFromTheLoaderIsATypedFailureNotAnException() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);

        TlsaLookup seen = cache.get(name("a.example.com"), x -> {
            throw new IllegalStateException("boom");
        });

        assertThat(seen.status()).isEqualTo(DnssecStatus.NETWORK_ERROR);
        assertThat(seen.detail()).contains("boom");
    }

    @Test
    void aWaiterGivesUpAtItsOwnDeadlineWhenTheSharedQueryHangs() throws Exception {
        Duration wait = Duration.ofMillis(300);
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, wait, 100, clock);
        DaneName n = name("a.example.com");
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            slowQuery(pool, cache, n, release, () -> load(DnssecStatus.SECURE, 60)); // ignores its own bound

            TlsaLookup seen = pool.submit(() -> cache.get(n, x -> load(DnssecStatus.SECURE, 60)))
                    .get(5, TimeUnit.SECONDS);

            assertThat(seen.status()).isEqualTo(DnssecStatus.TIMEOUT);
            assertThat(seen.detail()).contains("another request started");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void beyondTheConcurrentLookupLimitANewNameFailsFastAsBusyWhileWaitersOfARunningLookupStillWait()
            throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 1, clock);
        DaneName slow = name("blackholed.example.com");
        DaneName other = name("b.example.com");
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<TlsaLookup> first = slowQuery(pool, cache, slow, release, () -> load(DnssecStatus.TIMEOUT, 0));
            Future<TlsaLookup> waiter = pool.submit(() -> cache.get(slow, x -> load(DnssecStatus.SECURE, 60)));
            Thread.sleep(200); // the waiter joins the running lookup

            TlsaLookup busy = cache.get(other, x -> load(DnssecStatus.SECURE, 60));

            assertThat(busy.status()).isEqualTo(DnssecStatus.BUSY);
            assertThat(busy.detail()).contains("max-concurrent-lookups", "b.example.com");
            assertThat(loads).as("the busy name caused no query").hasValue(0);
            release.countDown();
            assertThat(first.get(5, TimeUnit.SECONDS).status()).isEqualTo(DnssecStatus.TIMEOUT);
            assertThat(waiter.get(5, TimeUnit.SECONDS).detail()).as("the waiter shared the running lookup")
                    .isEqualTo("load 1");
            // the slot is free again, and BUSY was not cached
            assertThat(cache.get(other, x -> load(DnssecStatus.SECURE, 60)).status()).isEqualTo(DnssecStatus.SECURE);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    /** Records the observer calls as text, in order. */
    private static final class Recorder implements LookupObserver {
        final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

        @Override
        public void hit() {
            calls.add("hit");
        }

        @Override
        public void miss() {
            calls.add("miss");
        }

        @Override
        public void eviction() {
            calls.add("eviction");
        }

        @Override
        public void lookupDone(DnssecStatus status, long nanos) {
            assertThat(nanos).isNotNegative();
            calls.add("lookup " + status);
        }
    }

    @Test
    void theObserverSeesMissesLookupsHitsAndEvictions() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 1, WAIT, 100, clock);
        Recorder seen = new Recorder();
        cache.observe(seen);

        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60));
        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60));
        cache.get(name("b.example.com"), x -> load(DnssecStatus.BOGUS, 60)); // the cache holds one: a goes
        clock.advance(Duration.ofSeconds(6)); // b's negative TTL is over: an expiry, not an eviction
        cache.get(name("b.example.com"), x -> { throw new IllegalStateException("resolver bug"); });

        assertThat(seen.calls).containsExactly("miss", "lookup SECURE", "hit", "miss", "lookup BOGUS", "eviction",
                "miss", "lookup NETWORK_ERROR");
    }

    @Test
    void peekShowsTheEntryAndItsExpiryWithoutCountingOrLoading() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName n = name("a.example.com");

        assertThat(cache.peek(n)).isNull();
        cache.get(n, x -> load(DnssecStatus.SECURE, 30));
        seen.calls.clear();

        LookupCache.Cached cached = cache.peek(n);
        assertThat(cached.lookup().detail()).isEqualTo("load 1");
        assertThat(cached.expiresAtMillis()).isEqualTo(clock.millis() + 30_000);
        clock.advance(Duration.ofSeconds(31));
        assertThat(cache.peek(n)).isNull();
        assertThat(cache.size()).as("peek leaves even an expired entry in place").isEqualTo(1);
        assertThat(seen.calls).isEmpty();
        assertThat(loads).hasValue(1);
    }

    @Test
    void lookupNowWithoutStoringLeavesTheCacheAsItWas() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName cachedName = name("a.example.com");
        DaneName fresh = name("b.example.com");
        cache.get(cachedName, x -> load(DnssecStatus.SECURE, 60));

        TlsaLookup live = cache.lookupNow(cachedName, x -> load(DnssecStatus.BOGUS, 0), false, DIAGNOSTICS);
        cache.lookupNow(fresh, x -> load(DnssecStatus.SECURE, 60), false, DIAGNOSTICS);

        assertThat(live.status()).isEqualTo(DnssecStatus.BOGUS);
        assertThat(loads).as("both were queried").hasValue(3);
        assertThat(cache.peek(cachedName).lookup().detail()).isEqualTo("load 1");
        assertThat(cache.peek(fresh)).isNull();
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void lookupNowWithStoringReplacesTheCachedAnswer() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100, clock);
        DaneName n = name("a.example.com");
        cache.get(n, x -> load(DnssecStatus.SECURE, 60));
        clock.advance(Duration.ofSeconds(10));

        cache.lookupNow(n, x -> load(DnssecStatus.SECURE, 60), true, DIAGNOSTICS);

        LookupCache.Cached cached = cache.peek(n);
        assertThat(cached.lookup().detail()).isEqualTo("load 2");
        assertThat(cached.expiresAtMillis()).isEqualTo(clock.millis() + 60_000);
        assertThat(cache.get(n, x -> load(DnssecStatus.SECURE, 60)).detail()).isEqualTo("load 2");
    }

    /** A query through {@link LookupCache#lookupNow} that hangs until {@code release}. */
    private static Future<TlsaLookup> slowLookupNow(ExecutorService pool, LookupCache cache, DaneName n,
                                                    LookupBudget budget, CountDownLatch release)
            throws InterruptedException {
        CountDownLatch queryStarted = new CountDownLatch(1);
        Future<TlsaLookup> query = pool.submit(() -> cache.lookupNow(n, x -> {
            queryStarted.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return TlsaLookup.failed(DnssecStatus.TIMEOUT, "black hole");
        }, false, budget));
        assertThat(queryStarted.await(10, TimeUnit.SECONDS)).isTrue();
        return query;
    }

    @Test
    void lookupsPastTheCacheRunOnTheirOwnBudgetAndNeverTakeALoginsSlot() throws Exception {
        LookupCache cache = new LookupCache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 1, clock);
        LookupBudget budget = new LookupBudget(2, "diagnostics-max-concurrent-lookups");
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<TlsaLookup> a = slowLookupNow(pool, cache, name("hole1.example.com"), budget, release);
            Future<TlsaLookup> b = slowLookupNow(pool, cache, name("hole2.example.com"), budget, release);

            TlsaLookup third = cache.lookupNow(name("hole3.example.com"), x -> load(DnssecStatus.SECURE, 60), false,
                    budget);
            assertThat(third.status()).as("beyond its own budget").isEqualTo(DnssecStatus.BUSY);
            assertThat(third.detail()).contains("diagnostics-max-concurrent-lookups", "hole3.example.com");
            assertThat(loads).as("the busy one made no query").hasValue(0);

            // the node's only login slot is still free: a login's cold lookup runs
            assertThat(cache.get(name("login.example.com"), x -> load(DnssecStatus.SECURE, 60)).status())
                    .isEqualTo(DnssecStatus.SECURE);

            // and while a login holds the node's only slot, the budget's slots are not the logins' to take
            CountDownLatch loginRelease = new CountDownLatch(1);
            Future<TlsaLookup> login = slowQuery(pool, cache, name("slow-login.example.com"), loginRelease,
                    () -> load(DnssecStatus.SECURE, 60));
            assertThat(cache.get(name("another-login.example.com"), x -> load(DnssecStatus.SECURE, 60)).status())
                    .isEqualTo(DnssecStatus.BUSY);
            loginRelease.countDown();
            assertThat(login.get(5, TimeUnit.SECONDS).status()).isEqualTo(DnssecStatus.SECURE);

            release.countDown();
            assertThat(a.get(5, TimeUnit.SECONDS).status()).isEqualTo(DnssecStatus.TIMEOUT);
            assertThat(b.get(5, TimeUnit.SECONDS).status()).isEqualTo(DnssecStatus.TIMEOUT);
            assertThat(budget.available()).as("both slots back").isEqualTo(2);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }
}
