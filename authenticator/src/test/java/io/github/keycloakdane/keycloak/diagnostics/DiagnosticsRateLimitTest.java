package io.github.keycloakdane.keycloak.diagnostics;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class DiagnosticsRateLimitTest {

    private static final long SECOND = 1_000_000_000L;

    /** A clock the test moves by hand. */
    private final AtomicLong now = new AtomicLong(42 * SECOND);

    @Test
    void aBurstIsAdmittedThenTheRateAndEachKeyHasItsOwnBucket() {
        DiagnosticsRateLimit limit = new DiagnosticsRateLimit(60, 30, now::get);

        for (int i = 0; i < 30; i++) {
            assertThat(limit.acquire("admin-a>realm")).as("request %d of the burst", i + 1).isZero();
        }
        assertThat(limit.acquire("admin-a>realm")).as("beyond the burst: retry after a second").isEqualTo(1);
        assertThat(limit.acquire("admin-b>realm")).as("another admin's bucket is full").isZero();
        assertThat(limit.acquire("admin-a>other-realm")).as("the same admin in another realm").isZero();

        now.addAndGet(SECOND); // 60 per minute: one more
        assertThat(limit.acquire("admin-a>realm")).isZero();
        assertThat(limit.acquire("admin-a>realm")).isEqualTo(1);

        now.addAndGet(3600 * SECOND); // refilled, but never past the burst
        for (int i = 0; i < 30; i++) {
            assertThat(limit.acquire("admin-a>realm")).isZero();
        }
        assertThat(limit.acquire("admin-a>realm")).isPositive();
    }

    @Test
    void aSlowRateNamesTheWaitInSeconds() {
        DiagnosticsRateLimit limit = new DiagnosticsRateLimit(6, 1, now::get);

        assertThat(limit.acquire("k")).isZero();
        assertThat(limit.acquire("k")).as("6 per minute: one every 10 s").isEqualTo(10);
        now.addAndGet(5 * SECOND);
        assertThat(limit.acquire("k")).isEqualTo(5);
    }

    @Test
    void theBucketsAreBoundedByDroppingFullOnes() {
        DiagnosticsRateLimit limit = new DiagnosticsRateLimit(60, 2, now::get);
        limit.acquire("busy");
        limit.acquire("busy");
        for (int i = 0; i < DiagnosticsRateLimit.MAX_KEYS; i++) {
            limit.acquire("admin-" + i);
        }
        now.addAndGet(SECOND); // one token back: every other bucket is full again, "busy" still owes one

        limit.acquire("one-more");

        assertThat(limit.keys()).as("the full buckets dropped; the owing one and the newcomer kept").isEqualTo(2);
        assertThat(limit.acquire("busy")).as("its debt survived").isZero();
        assertThat(limit.acquire("busy")).isPositive();
    }
}
