package io.github.keycloakdane.core;

/** Why a DANE verification ended as it did: machine-readable, for events, logs and tests. */
public enum Reason {
    /** Authenticated. */
    OK,
    /** The claimed name is not a valid client name. */
    INVALID_NAME,
    /** The name is valid but no allow list admits it; no DNS query was made. */
    NOT_ALLOWED,
    /** No client certificate was presented, or it could not be read. */
    NO_CERTIFICATE,
    /** The TLSA answer is not DNSSEC-signed (or the zone has no chain of trust to the anchors). */
    DNS_INSECURE,
    /** DNSSEC validation failed. */
    DNS_BOGUS,
    /** The name or its TLSA RRset does not exist (securely denied). */
    DNS_NO_RECORDS,
    /** The lookup did not finish within the configured time. */
    DNS_TIMEOUT,
    /** The resolver failed (SERVFAIL without validation reason, refused, unreachable). */
    DNS_ERROR,
    /** TLSA records exist but none is usable (unknown parameters, bad data, PKIX usages without a trust store). */
    NO_USABLE_RECORDS,
    /** No usable record matches the presented certificate chain. */
    NO_MATCH,
    /** A record matched, but the name is not among the leaf's SAN dNSNames. */
    NAME_MISMATCH,
    /** A record matched a trust anchor, but the path from it to the leaf does not validate. */
    CHAIN_INVALID
}
