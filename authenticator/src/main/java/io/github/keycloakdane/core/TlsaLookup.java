package io.github.keycloakdane.core;

import java.util.List;

/**
 * A TLSA RRset as fetched from DNS, parsed at the edge.
 *
 * @param status     the DNSSEC outcome
 * @param records    the usable records (only ever non-empty when SECURE)
 * @param unusable   why each unusable record was set aside
 * @param ttlSeconds how long the answer may be cached (the smallest TTL on the way, including CNAME links)
 * @param detail     a human-readable explanation (validation failure reason, CNAME chain, resolver error)
 */
public record TlsaLookup(DnssecStatus status, List<TlsaRecord> records, List<String> unusable, long ttlSeconds,
                         String detail) {

    public TlsaLookup {
        records = List.copyOf(records);
        unusable = List.copyOf(unusable);
    }

    public static TlsaLookup failed(DnssecStatus status, String detail) {
        return new TlsaLookup(status, List.of(), List.of(), 0, detail);
    }

    public boolean isSecure() {
        return status == DnssecStatus.SECURE;
    }
}
