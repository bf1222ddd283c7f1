package io.github.keycloakdane.core;

/**
 * Why a DANE authentication ended as it did: machine-readable, for events ({@code dane_reason}), logs and tests.
 * The one list of reasons: the verifier's own and those the Keycloak glue decides before or after it.
 */
public enum Reason {
    /** Authenticated. */
    OK,
    /** The claimed name is not a valid client name, or none was given. */
    INVALID_NAME,
    /** The name is valid but no allow list admits it (or no client carries it); no DNS query was made. */
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
    /**
     * This node already runs its limit of concurrent lookups ({@code max-concurrent-lookups}), so the request fails
     * fast instead of queueing behind slow names; no DNS query was made.
     */
    DNS_BUSY,
    /** TLSA records exist but none is usable (unknown parameters, bad data, PKIX usages without a trust store). */
    NO_USABLE_RECORDS,
    /** No usable record matches the presented certificate chain. */
    NO_MATCH,
    /** A record matched, but the name is not among the leaf's SAN dNSNames. */
    NAME_MISMATCH,
    /** A record matched a trust anchor, but the path from it to the leaf does not validate. */
    CHAIN_INVALID,
    /**
     * Domain users ({@code _user.DOMAIN}): the certificate names no valid user of the domain: no otherName uid and no
     * email address of the domain, an email address of another domain, two different uids, or a uid with {@code @},
     * white space, control characters or more than 64 characters; no DNS query was made.
     */
    USER_ID_INVALID,
    /** No user is mapped to the name; no DNS query was made. */
    UNKNOWN_USER,
    /** The user mapped to the name is disabled; no DNS query was made. */
    USER_DISABLED,
    /** The {@code dane_clientid} sent does not belong to the client named by {@code client_id}. */
    CLIENT_MISMATCH,
    /** Two or more clients, or users, carry the name: nobody is authenticated by it; no DNS query was made. */
    AMBIGUOUS_IDENTITY,
    /** The person declined the confirmation page. */
    CANCELLED,
    /** The execution's settings are invalid or unsafe (e.g. user mapping by username with no allow list). */
    INVALID_CONFIG,
    /**
     * The certificate comes from a proxy header that anyone can set: a header lookup is configured but
     * {@code proxy-trusted-addresses} is not, and this was not acknowledged.
     */
    UNTRUSTED_CERTIFICATE_HEADER,
    /**
     * The DANE-aware proxy's identity header ({@code proxy-identity-header}) came from an address outside
     * {@code proxy-trusted-addresses}: somebody tried to assert an identity.
     */
    UNTRUSTED_IDENTITY_HEADER,
    /**
     * A client sent only {@code dane_clientid}, but the client attribute is not searchable, so finding its client
     * would mean scanning the realm: refused.
     */
    NAME_SEARCH_DISABLED,
    /*
     * client-dane-jwt (a signed client assertion, RFC 7523): the checks before the DANE check, in the order they run.
     * None of them makes a DNS query.
     */
    /**
     * The client assertion is not a compact JWS, is too large, lacks {@code iss}, {@code sub}, {@code exp},
     * {@code iat} or {@code jti}, or its header carries no usable key (exactly one of {@code x5c} and {@code jwk}).
     */
    ASSERTION_MALFORMED,
    /** {@code iss} and {@code sub} are not both the client's {@code client_id} (or {@code client_id} disagrees). */
    ISSUER_MISMATCH,
    /** {@code aud} is not exactly one of the realm's issuer and its token endpoint. */
    AUDIENCE_MISMATCH,
    /** {@code exp} has passed, or {@code iat} or {@code nbf} lies in the future: the assertion is not valid now. */
    ASSERTION_EXPIRED,
    /** {@code exp} lies further after {@code iat} than {@code assertion-max-lifetime} allows. */
    LIFETIME_TOO_LONG,
    /** The assertion's {@code jti} was used before (on any node of the cluster). */
    ASSERTION_REPLAYED,
    /**
     * {@code alg} is not an asymmetric algorithm this provider accepts (ES256/384/512, EdDSA, RS256, PS256), does not
     * fit the header's key; {@code none} and HMAC always land here.
     */
    ALGORITHM_REFUSED,
    /**
     * The key (in the header, or in a {@code 3 1 0}/{@code 3 0 0} record) is outside our bounds, checked on its
     * encoding before any key object is built: RSA 2048 to 4096 bits with an odd exponent from 3 to 2^32+1, EC
     * P-256/P-384/P-521, Ed25519 or Ed448 ({@link KeyBounds}).
     */
    KEY_REFUSED,
    /** The header's {@code x5u} (or {@code kid}) names another name than the client's {@code dane.clientid}. */
    X5U_NAME_MISMATCH,
    /** The header's {@code x5u} is not a DNS URI ({@code dns:NAME?type=TLSA}): an {@code https:} one is never fetched. */
    X5U_SCHEME_REFUSED,
    /** The signature does not verify with the key in the assertion's header. */
    BAD_SIGNATURE,
    /**
     * A key-in-DNS assertion ({@code x5u} = {@code dns:NAME?type=TLSA}): the name's secure TLSA RRset has no
     * {@code 3 1 0} or {@code 3 0 0} record (only digests), so there is no key to check the signature with.
     */
    NO_KEY_IN_DNS
}
