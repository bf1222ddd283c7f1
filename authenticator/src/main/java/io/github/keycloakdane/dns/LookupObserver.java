package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DnssecStatus;

/**
 * What the lookup cache reports as it works, for metrics: the DNS code stays free of any metrics library, and the
 * Keycloak glue turns these calls into meters. Called on request threads: implementations must be cheap and must not
 * throw. Every method does nothing by default.
 */
public interface LookupObserver {

    LookupObserver NONE = new LookupObserver() {
    };

    /** An answer was served from the cache. */
    default void hit() {
    }

    /** No usable cached answer: the caller starts a query or waits for one another caller started. */
    default void miss() {
    }

    /** The cache was full and dropped its least recently used answer (expiry is not an eviction). */
    default void eviction() {
    }

    /** A query to DNS ended (a cold lookup or a refresh), with its outcome and how long it took. */
    default void lookupDone(DnssecStatus status, long nanos) {
    }

    /**
     * A request found no unexpired answer and waited for DNS: it ran the query itself or waited for one another
     * request (or a refresh) started. Not counted: cache hits, and requests refused at once as busy.
     */
    default void waited() {
    }

    /**
     * A background refresh of a cached answer ended; {@code failed}: it brought no answer (timeout, error, bogus,
     * busy) and the cached one stays until it expires.
     */
    default void refreshDone(boolean failed) {
    }
}
