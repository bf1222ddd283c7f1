package io.github.keycloakdane.dns;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How TLSA RRsets are fetched and cached.
 *
 * @param resolver     the recursive resolver (or, in tests, authoritative server) to query; null: the first
 *                     nameserver of the system configuration
 * @param trustAnchors DS/DNSKEY records in zone-file syntax; null: the IANA root anchors
 * @param trustAd      trust the AD bit of {@code resolver} instead of validating locally (only on loopback or a
 *                     secured channel)
 * @param timeout      the bound on one whole lookup, validation and CNAME links included
 * @param maxTtl       positive answers are cached for min(TTL, maxTtl); zero disables the positive cache
 * @param negativeTtl  failures are cached this long; zero disables the negative cache
 * @param cacheSize    the most names kept in the cache
 * @param maxConcurrentLookups the most lookups (of distinct names; requests for a name already being looked up wait
 *                     for that lookup) running at once; one more fails fast as busy
 * @param minTtl       positive answers are cached for at least this long (capped at {@code maxTtl}), whatever their
 *                     TTL: the bound on how long a changed record may still be believed when its TTL is shorter
 * @param maxWaitersPerName the most requests waiting for one name's running lookup; one more fails fast as busy
 */
public record DnsSettings(InetSocketAddress resolver, String trustAnchors, boolean trustAd, Duration timeout,
                          Duration maxTtl, Duration negativeTtl, int cacheSize, int maxConcurrentLookups,
                          Duration minTtl, int maxWaitersPerName) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final Duration DEFAULT_MAX_TTL = Duration.ofMinutes(5);
    public static final Duration DEFAULT_NEGATIVE_TTL = Duration.ofSeconds(5);
    public static final int DEFAULT_CACHE_SIZE = 10_000;
    public static final int DEFAULT_MAX_CONCURRENT_LOOKUPS = 32;
    public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_WAITERS_PER_NAME = 4;

    /**
     * The IANA root zone KSKs (KSK-2017, key tag 20326, and KSK-2024, key tag 38696) as DS records, from
     * https://data.iana.org/root-anchors/root-anchors.xml.
     */
    public static final String IANA_ROOT_ANCHORS =
            ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
            + ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

    public DnsSettings {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive");
        }
        if (maxTtl == null || maxTtl.isNegative()) {
            throw new IllegalArgumentException("max TTL must not be negative");
        }
        if (negativeTtl == null || negativeTtl.isNegative()) {
            throw new IllegalArgumentException("negative TTL must not be negative");
        }
        if (cacheSize < 0) {
            throw new IllegalArgumentException("cache size must not be negative");
        }
        if (maxConcurrentLookups < 1) {
            throw new IllegalArgumentException("the concurrent lookup limit must be at least 1");
        }
        if (minTtl == null || minTtl.isNegative()) {
            throw new IllegalArgumentException("min TTL must not be negative");
        }
        if (maxWaitersPerName < 0) {
            throw new IllegalArgumentException("the waiters per name must not be negative");
        }
    }

    public static DnsSettings defaults() {
        return new DnsSettings(null, null, false, DEFAULT_TIMEOUT, DEFAULT_MAX_TTL, DEFAULT_NEGATIVE_TTL,
                DEFAULT_CACHE_SIZE, DEFAULT_MAX_CONCURRENT_LOOKUPS, DEFAULT_MIN_TTL, DEFAULT_MAX_WAITERS_PER_NAME);
    }

    public DnsSettings withResolver(InetSocketAddress address) {
        return new DnsSettings(address, trustAnchors, trustAd, timeout, maxTtl, negativeTtl, cacheSize, maxConcurrentLookups,
                minTtl, maxWaitersPerName);
    }

    public DnsSettings withTrustAnchors(String anchors) {
        return new DnsSettings(resolver, anchors, trustAd, timeout, maxTtl, negativeTtl, cacheSize, maxConcurrentLookups,
                minTtl, maxWaitersPerName);
    }

    public DnsSettings withTrustAd(boolean trust) {
        return new DnsSettings(resolver, trustAnchors, trust, timeout, maxTtl, negativeTtl, cacheSize, maxConcurrentLookups,
                minTtl, maxWaitersPerName);
    }

    public DnsSettings withTimeout(Duration bound) {
        return new DnsSettings(resolver, trustAnchors, trustAd, bound, maxTtl, negativeTtl, cacheSize, maxConcurrentLookups,
                minTtl, maxWaitersPerName);
    }

    public DnsSettings withCache(Duration positiveMax, Duration negative, int size) {
        return new DnsSettings(resolver, trustAnchors, trustAd, timeout, positiveMax, negative, size,
                maxConcurrentLookups, minTtl, maxWaitersPerName);
    }

    public DnsSettings withMaxConcurrentLookups(int limit) {
        return new DnsSettings(resolver, trustAnchors, trustAd, timeout, maxTtl, negativeTtl, cacheSize, limit,
                minTtl, maxWaitersPerName);
    }

    /** Positive answers live at least {@code floor} (capped at {@link #maxTtl()}). */
    public DnsSettings withMinTtl(Duration floor) {
        return new DnsSettings(resolver, trustAnchors, trustAd, timeout, maxTtl, negativeTtl, cacheSize,
                maxConcurrentLookups, floor, maxWaitersPerName);
    }

    public DnsSettings withMaxWaitersPerName(int limit) {
        return new DnsSettings(resolver, trustAnchors, trustAd, timeout, maxTtl, negativeTtl, cacheSize,
                maxConcurrentLookups, minTtl, limit);
    }

    /** Parses {@code HOST}, {@code HOST:PORT}, {@code [V6]} or {@code [V6]:PORT}; the port defaults to 53. */
    public static InetSocketAddress parseResolver(String text) {
        return parseResolver(text, 53);
    }

    /** {@link #parseResolver(String)} with another default port (853 for DNS over TLS). */
    public static InetSocketAddress parseResolver(String text, int defaultPort) {
        String s = text.strip();
        String host = s;
        int port = defaultPort;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("unbalanced '[' in resolver address '" + text + "'");
            }
            host = s.substring(1, close);
            if (close + 1 < s.length()) {
                if (s.charAt(close + 1) != ':') {
                    throw new IllegalArgumentException("expected ':PORT' after ']' in '" + text + "'");
                }
                port = parsePort(s.substring(close + 2), text);
            }
        } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
            host = s.substring(0, s.indexOf(':'));
            port = parsePort(s.substring(s.indexOf(':') + 1), text);
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("no host in resolver address '" + text + "'");
        }
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve resolver host '" + host + "'");
        }
        return address;
    }

    private static int parsePort(String port, String text) {
        try {
            int p = Integer.parseInt(port);
            if (p > 0 && p < 65536) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("bad port in resolver address '" + text + "'");
    }
}
