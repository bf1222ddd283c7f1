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

    /** A scheduler the test drives: tasks run when {@link #runDue()} finds them due on the manual clock. */
    private final class ManualScheduler implements LookupCache.Scheduler {
        private final List<long[]> due = new ArrayList<>();
        private final List<Runnable> tasks = new ArrayList<>();

        @Override
        public synchronized void schedule(Runnable task, long delayMillis) {
            due.add(new long[] {clock.millis() + Math.max(0, delayMillis)});
            tasks.add(task);
        }

        /** Runs every task due by now, those they schedule included, on the calling thread. */
        void runDue() {
            while (true) {
                Runnable next = null;
                synchronized (this) {
                    for (int i = 0; i < tasks.size(); i++) {
                        if (due.get(i)[0] <= clock.millis()) {
                            next = tasks.remove(i);
                            due.remove(i);
                            break;
                        }
                    }
                }
                if (next == null) {
                    return;
                }
                next.run();
            }
        }

        synchronized List<Long> dueTimes() {
            return due.stream().map(d -> d[0]).toList();
        }
    }

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final LookupBudget DIAGNOSTICS = new LookupBudget(2, "diagnostics-max-concurrent-lookups");

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler();
    private final AtomicInteger loads = new AtomicInteger();

    /** A cache without a TTL floor and with room for 100 waiters per name; refreshes run only when a test says. */
    private LookupCache cache(Duration maxTtl, Duration negativeTtl, int size, Duration wait, int maxConcurrent) {
        return cache(DnsSettings.defaults().withCache(maxTtl, negativeTtl, size).withTimeout(wait)
                .withMaxConcurrentLookups(maxConcurrent).withMinTtl(Duration.ZERO).withMaxWaitersPerName(100));
    }

    private LookupCache cache(DnsSettings settings) {
        return new LookupCache(settings, clock, scheduler);
    }

    private static DaneName name(String n) throws Exception {
        return DaneName.parse(n);
    }

    /** What DNS says now, for the refresh tests: a refresh runs the loader of the request that scheduled it. */
    private volatile java.util.function.Supplier<TlsaLookup> zone = () -> load(DnssecStatus.SECURE, 100);

    private TlsaLookup dns(DaneName name) {
        return zone.get();
    }

    private TlsaLookup load(DnssecStatus status, long ttl) {
        loads.incrementAndGet();
        return new TlsaLookup(status, List.of(), List.of(), ttl, "load " + loads.get());
    }

    @Test
    void secureAnswersLiveForTheirTtlWhenBelowTheMaximum() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
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
        LookupCache cache = cache(Duration.ofSeconds(60), Duration.ofSeconds(5), 100, WAIT, 100);
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 86_400));
        clock.advance(Duration.ofSeconds(61));
        cache.get(n, x -> load(DnssecStatus.SECURE, 86_400));

        assertThat(loads).hasValue(2);
    }

    @Test
    void failuresAreKeptOnlyForTheNegativeTtl() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
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
        LookupCache cache = cache(Duration.ZERO, Duration.ZERO, 100, WAIT, 100);
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 60));
        cache.get(n, x -> load(DnssecStatus.TIMEOUT, 0));
        cache.get(n, x -> load(DnssecStatus.SECURE, 60));

        assertThat(loads).hasValue(3);
        assertThat(cache.size()).isZero();
    }

    @Test
    void theCacheIsBoundedAndEvictsTheLeastRecentlyUsed() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 2, WAIT, 100);

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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);

        TlsaLookup seen = cache.get(name("a.example.com"), x -> {
            throw new IllegalStateException("boom");
        });

        assertThat(seen.status()).isEqualTo(DnssecStatus.NETWORK_ERROR);
        assertThat(seen.detail()).contains("boom");
    }

    @Test
    void aWaiterGivesUpAtItsOwnDeadlineWhenTheSharedQueryHangs() throws Exception {
        Duration wait = Duration.ofMillis(300);
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, wait, 100);
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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 1);
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

        @Override
        public void waited() {
            calls.add("waited");
        }

        @Override
        public void refreshDone(boolean failed) {
            calls.add(failed ? "refresh failed" : "refresh");
        }

        long count(String call) {
            synchronized (calls) {
                return calls.stream().filter(call::equals).count();
            }
        }
    }

    @Test
    void theObserverSeesMissesLookupsHitsAndEvictions() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 1, WAIT, 100);
        Recorder seen = new Recorder();
        cache.observe(seen);

        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60));
        cache.get(name("a.example.com"), x -> load(DnssecStatus.SECURE, 60));
        cache.get(name("b.example.com"), x -> load(DnssecStatus.BOGUS, 60)); // the cache holds one: a goes
        clock.advance(Duration.ofSeconds(6)); // b's negative TTL is over: an expiry, not an eviction
        cache.get(name("b.example.com"), x -> { throw new IllegalStateException("resolver bug"); });

        assertThat(seen.calls).containsExactly("miss", "waited", "lookup SECURE", "hit", "miss", "waited",
                "lookup BOGUS", "eviction", "miss", "waited", "lookup NETWORK_ERROR");
    }

    @Test
    void peekShowsTheEntryAndItsExpiryWithoutCountingOrLoading() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
        DaneName n = name("a.example.com");
        cache.get(n, x -> load(DnssecStatus.SECURE, 60));
        clock.advance(Duration.ofSeconds(10));

        cache.lookupNow(n, x -> load(DnssecStatus.SECURE, 60), true, DIAGNOSTICS);

        LookupCache.Cached cached = cache.peek(n);
        assertThat(cached.lookup().detail()).isEqualTo("load 2");
        assertThat(cached.expiresAtMillis()).isEqualTo(clock.millis() + 60_000);
        assertThat(cache.get(n, x -> load(DnssecStatus.SECURE, 60)).detail()).isEqualTo("load 2");
    }
    // ------------------------------------------------------------------------------------------------ TTL floor

    @Test
    void aSecureAnswerWithATtlBelowTheFloorIsCachedForTheFloor() throws Exception {
        LookupCache cache = cache(DnsSettings.defaults().withMinTtl(Duration.ofSeconds(5)));
        DaneName n = name("a.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 0));
        clock.advance(Duration.ofMillis(4999));
        cache.get(n, x -> load(DnssecStatus.SECURE, 0));
        assertThat(loads).as("a TTL-0 answer is kept for the floor").hasValue(1);

        clock.advance(Duration.ofMillis(1));
        cache.get(n, x -> load(DnssecStatus.SECURE, 0));
        assertThat(loads).as("and not a moment longer").hasValue(2);
    }

    @Test
    void theFloorIsCappedAtTheMaximumAndLeavesFailuresAlone() throws Exception {
        LookupCache cache = cache(DnsSettings.defaults().withCache(Duration.ofSeconds(2), Duration.ofSeconds(1), 100)
                .withMinTtl(Duration.ofSeconds(5)));
        DaneName n = name("a.example.com");
        DaneName failing = name("b.example.com");

        cache.get(n, x -> load(DnssecStatus.SECURE, 0));
        cache.get(failing, x -> load(DnssecStatus.TIMEOUT, 0));
        clock.advance(Duration.ofSeconds(1));
        cache.get(failing, x -> load(DnssecStatus.TIMEOUT, 0));
        assertThat(loads).as("the failure lived its negative TTL only").hasValue(3);
        clock.advance(Duration.ofSeconds(1));
        cache.get(n, x -> load(DnssecStatus.SECURE, 0));
        assertThat(loads).as("the secure answer lived cache-max-ttl, not the floor").hasValue(4);
    }

    @Test
    void anAnswerExpiresItsTtlAfterItsQueryWasSentNotAfterItArrived() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 100);
        DaneName n = name("a.example.com");

        cache.get(n, x -> {
            clock.advance(Duration.ofSeconds(4)); // a slow lookup
            return load(DnssecStatus.SECURE, 10);
        });
        clock.advance(Duration.ofSeconds(6));
        cache.get(n, x -> load(DnssecStatus.SECURE, 10));

        assertThat(loads).hasValue(2);
    }

    // ------------------------------------------------------------------------------------------------ waiter cap

    @Test
    void beyondTheWaiterCapARequestForTheSameNameFailsFastAsBusyAndOtherNamesAreUnaffected() throws Exception {
        LookupCache cache = cache(DnsSettings.defaults().withMaxWaitersPerName(2).withTimeout(WAIT));
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName slow = name("slow.example.com");
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<TlsaLookup> first = slowQuery(pool, cache, slow, release, () -> load(DnssecStatus.SECURE, 0));
            List<Future<TlsaLookup>> waiters = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                waiters.add(pool.submit(() -> cache.get(slow, x -> load(DnssecStatus.SECURE, 60))));
            }
            while (seen.count("waited") < 3) { // the query's own request and both waiters
                Thread.onSpinWait();
            }

            TlsaLookup third = cache.get(slow, x -> load(DnssecStatus.SECURE, 60));
            TlsaLookup other = cache.get(name("other.example.com"), x -> load(DnssecStatus.SECURE, 60));

            assertThat(third.status()).isEqualTo(DnssecStatus.BUSY);
            assertThat(third.detail()).contains("max-waiters-per-name", "slow.example.com");
            assertThat(other.status()).as("another name is looked up as usual").isEqualTo(DnssecStatus.SECURE);
            assertThat(seen.count("waited")).as("the refused request did not wait").isEqualTo(4);
            release.countDown();
            assertThat(first.get(5, TimeUnit.SECONDS).detail()).isEqualTo("load 2");
            for (Future<TlsaLookup> w : waiters) {
                assertThat(w.get(5, TimeUnit.SECONDS).detail()).as("the waiters shared the query").isEqualTo("load 2");
            }
            assertThat(loads).hasValue(2);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void withNoWaitersAllowedOnlyTheRequestRunningTheLookupWaits() throws Exception {
        LookupCache cache = cache(DnsSettings.defaults().withMaxWaitersPerName(0).withTimeout(WAIT));
        DaneName slow = name("slow.example.com");
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<TlsaLookup> first = slowQuery(pool, cache, slow, release, () -> load(DnssecStatus.SECURE, 60));

            assertThat(cache.get(slow, x -> load(DnssecStatus.SECURE, 60)).status()).isEqualTo(DnssecStatus.BUSY);
            release.countDown();
            assertThat(first.get(5, TimeUnit.SECONDS).status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(cache.get(slow, x -> load(DnssecStatus.SECURE, 60)).detail()).as("BUSY was not cached")
                    .isEqualTo("load 1");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------------------ refresh ahead

    @Test
    void anAnswerInUseIsRefreshedInItsLastFifthSoThatNoRequestWaits() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName n = name("a.example.com");

        for (int second = 0; second < 1000; second += 10) { // a steady client, every 10 s for 1000 s, TTL 100 s
            assertThat(cache.get(n, this::dns).status()).isEqualTo(DnssecStatus.SECURE);
            scheduler.runDue(); // the background
            clock.advance(Duration.ofSeconds(10));
        }

        assertThat(seen.count("waited")).as("only the very first request waited for DNS").isEqualTo(1);
        assertThat(seen.count("refresh")).as("refreshed at 80, 160, ... 960 s").isEqualTo(12);
        assertThat(seen.count("refresh failed")).isZero();
        assertThat(loads).hasValue(13);
    }

    @Test
    void theRefreshWindowIsTheLastFifth() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        DaneName n = name("a.example.com");

        cache.get(n, this::dns);
        clock.advance(Duration.ofMillis(79_999));
        cache.get(n, this::dns);
        assertThat(scheduler.dueTimes()).as("a use before the window starts nothing").isEmpty();
        clock.advance(Duration.ofMillis(1));
        cache.get(n, this::dns);
        assertThat(scheduler.dueTimes()).as("a use in the window starts a refresh at once")
                .containsExactly(clock.millis());
    }

    @Test
    void theRefreshWindowIsThreeLookupTimesWhenThatIsLonger() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        DaneName n = name("a.example.com");

        cache.get(n, x -> {
            clock.advance(Duration.ofSeconds(10)); // the query took 10 s: refresh 30 s before expiry, not 20 s
            return load(DnssecStatus.SECURE, 100);
        }); // expires 100 s after the query was sent, 90 s from now
        clock.advance(Duration.ofMillis(59_999));
        cache.get(n, this::dns);
        assertThat(scheduler.dueTimes()).isEmpty();
        clock.advance(Duration.ofMillis(1));
        cache.get(n, this::dns);
        assertThat(scheduler.dueTimes()).containsExactly(clock.millis());
    }

    @Test
    void aNameNotUsedInItsRefreshWindowIsNotRefreshedAndItsNextRequestLooksItUp() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName n = name("a.example.com");

        cache.get(n, this::dns);
        clock.advance(Duration.ofSeconds(50));
        cache.get(n, this::dns); // used, but before the window
        clock.advance(Duration.ofSeconds(50));
        scheduler.runDue();
        assertThat(seen.count("refresh")).as("nothing refreshed in the background").isZero();
        assertThat(cache.peek(n)).as("expired at 100 s").isNull();

        cache.get(n, this::dns);
        assertThat(seen.count("waited")).as("the next request looked it up").isEqualTo(2);
        assertThat(loads).hasValue(2);
    }

    @Test
    void aFailedRefreshKeepsTheCurrentAnswerUntilItExpiresAndIsRetriedOnTheNextUse() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName n = name("a.example.com");

        cache.get(n, this::dns);
        zone = () -> load(DnssecStatus.TIMEOUT, 0);
        clock.advance(Duration.ofSeconds(80));
        cache.get(n, this::dns);
        scheduler.runDue(); // the refresh times out
        assertThat(seen.count("refresh failed")).isEqualTo(1);
        assertThat(cache.get(n, this::dns).detail()).as("the current answer stays").isEqualTo("load 1");
        assertThat(scheduler.dueTimes()).as("not retried before the negative TTL is over").isEmpty();

        clock.advance(Duration.ofSeconds(5));
        cache.get(n, this::dns);
        scheduler.runDue(); // times out again: the next try not before 90 s
        assertThat(seen.count("refresh failed")).isEqualTo(2);
        clock.advance(Duration.ofSeconds(1));
        assertThat(cache.get(n, this::dns).detail()).isEqualTo("load 1");
        scheduler.runDue();
        assertThat(seen.count("refresh failed")).isEqualTo(2);
        zone = () -> load(DnssecStatus.SECURE, 100);
        clock.advance(Duration.ofSeconds(4));
        cache.get(n, this::dns);
        scheduler.runDue(); // the third try brings an answer
        assertThat(cache.get(n, this::dns).detail()).isEqualTo("load 4");
        assertThat(seen.count("refresh")).isEqualTo(1);
        assertThat(seen.count("waited")).isEqualTo(1);
    }

    @Test
    void anAnswerIsNeverServedPastItsExpiryWhileRefreshesFail() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        DaneName n = name("a.example.com");

        cache.get(n, this::dns);
        zone = () -> load(DnssecStatus.SERVFAIL, 0);
        for (int second = 1; second < 100; second++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(cache.get(n, this::dns).status()).isEqualTo(DnssecStatus.SECURE);
            scheduler.runDue();
        }
        clock.advance(Duration.ofSeconds(1));

        assertThat(cache.get(n, this::dns).status()).as("expired at 100 s").isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(loads.get()).as("retries were spaced, not one per request").isBetween(4, 10);
    }

    @Test
    void onlyARequestInTheWindowStartsARefresh() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        DaneName n = name("a.example.com");

        cache.lookupNow(n, this::dns, true, DIAGNOSTICS); // e.g. a diagnosis with refresh
        clock.advance(Duration.ofSeconds(80));
        cache.peek(n);
        cache.lookupNow(n, this::dns, false, DIAGNOSTICS);
        assertThat(scheduler.dueTimes()).as("neither a look nor a diagnosis starts a refresh").isEmpty();
        cache.get(n, this::dns);
        assertThat(scheduler.dueTimes()).as("a request in the window does").hasSize(1);
        assertThat(loads).hasValue(2);
    }

    @Test
    void aRefreshThatFindsTheRecordsGoneReplacesTheAnswerAtOnce() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        DaneName n = name("a.example.com");

        cache.get(n, this::dns);
        zone = () -> load(DnssecStatus.NODATA, 0);
        clock.advance(Duration.ofSeconds(80));
        cache.get(n, this::dns);
        scheduler.runDue();

        assertThat(cache.get(n, this::dns).status()).as("a secure denial is an answer").isEqualTo(DnssecStatus.NODATA);
        assertThat(loads).hasValue(2);
    }

    @Test
    void aRefreshNeverTakesTheLastQuarterOfTheLookupSlots() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 4);
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName n = name("a.example.com");
        cache.get(n, this::dns);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<TlsaLookup>> slow = new ArrayList<>();
            for (int i = 0; i < 3; i++) { // three of four slots busy: one is left, and it is the requests'
                slow.add(slowQuery(pool, cache, name("slow" + i + ".example.com"), release,
                        () -> load(DnssecStatus.TIMEOUT, 0)));
            }
            clock.advance(Duration.ofSeconds(80));
            cache.get(n, this::dns);
            scheduler.runDue();
            assertThat(seen.count("refresh") + seen.count("refresh failed")).as("no refresh ran").isZero();
            assertThat(cache.get(n, this::dns).detail()).isEqualTo("load 1");

            release.countDown();
            for (Future<TlsaLookup> f : slow) {
                f.get(5, TimeUnit.SECONDS);
            }
            clock.advance(Duration.ofMillis(100)); // it tries again a tenth of a second later, without another use
            scheduler.runDue();
            assertThat(seen.count("refresh")).isEqualTo(1);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void oneRefreshPerNameAtATimeAndARequestAfterExpiryWaitsForItInsteadOfQueryingAgain() throws Exception {
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 8);
        Recorder seen = new Recorder();
        cache.observe(seen);
        DaneName n = name("a.example.com");
        cache.get(n, this::dns);
        CountDownLatch refreshRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        zone = () -> {
            refreshRunning.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return load(DnssecStatus.SECURE, 100);
        };
        clock.advance(Duration.ofSeconds(80));
        cache.get(n, this::dns); // a use in the window
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> refresh = pool.submit(scheduler::runDue); // the refresh, on a "background" thread
            assertThat(refreshRunning.await(10, TimeUnit.SECONDS)).isTrue();
            cache.get(n, this::dns); // a use in the window: schedules another check, due at once
            scheduler.runDue(); // it finds the refresh running and does nothing
            assertThat(loads).as("no second query while the refresh runs").hasValue(1);

            clock.advance(Duration.ofSeconds(20)); // the answer expires while the refresh still runs
            Future<TlsaLookup> late = pool.submit(() -> cache.get(n, x -> load(DnssecStatus.SECURE, 100)));
            while (seen.count("waited") < 2) {
                Thread.onSpinWait();
            }
            release.countDown();
            assertThat(late.get(5, TimeUnit.SECONDS).detail()).as("it waited for the refresh").isEqualTo("load 2");
            refresh.get(5, TimeUnit.SECONDS);
            assertThat(loads).hasValue(2);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
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
        LookupCache cache = cache(Duration.ofSeconds(300), Duration.ofSeconds(5), 100, WAIT, 1);
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
