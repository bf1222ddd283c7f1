package io.github.keycloakdane.core;

/** The outcome of a TLSA lookup. Only {@link #SECURE} can ever authenticate a client. */
public enum DnssecStatus {
    /** Validated (or AD from a trusted validating resolver) and TLSA records present. */
    SECURE,
    /** Not signed, or no chain of trust from the configured anchors. */
    INSECURE,
    /** Signed, but validation failed. */
    BOGUS,
    /** The name does not exist (secure denial). */
    NXDOMAIN,
    /** The name exists but has no TLSA RRset (secure denial). */
    NODATA,
    /** The resolver answered SERVFAIL or another error code with no validation reason. */
    SERVFAIL,
    /** No answer within the lookup's time bound. */
    TIMEOUT,
    /** The resolver could not be reached or answered garbage. */
    NETWORK_ERROR,
    /** No query was made: this node already runs its limit of concurrent lookups (never cached). */
    BUSY
}
