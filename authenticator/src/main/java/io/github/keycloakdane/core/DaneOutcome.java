package io.github.keycloakdane.core;

/**
 * What {@link DaneVerifier#verify} decided, with everything an event log needs.
 *
 * @param identity the normalised name, or the raw claim when it was not a valid name
 * @param dnssec   the DNSSEC status, or null when no lookup was made (invalid name, not allowed, no certificate)
 * @param record   the record that matched, or null
 * @param depth    the matched depth (0 = leaf), or -1
 */
public record DaneOutcome(boolean authenticated, String identity, DnssecStatus dnssec, TlsaRecord record, int depth,
                          Reason reason, String detail) {

    static DaneOutcome rejected(String identity, DnssecStatus dnssec, Reason reason, String detail) {
        return new DaneOutcome(false, identity, dnssec, null, -1, reason, detail);
    }

    /** {@code "3 1 1@0"} for a match, else null: compact, for event details. */
    public String recordAtDepth() {
        return record == null ? null : record.parameters() + "@" + depth;
    }

    @Override
    public String toString() {
        // identity and detail carry untrusted input: bounded and without control characters, fit for a log line
        return (authenticated ? "AUTHENTICATED " : "REJECTED ") + SafeText.name(identity) + " reason=" + reason
                + (dnssec == null ? "" : " dnssec=" + dnssec)
                + (record == null ? "" : " record=" + record.parameters() + " depth=" + depth)
                + (detail == null ? "" : " (" + SafeText.detail(detail) + ")");
    }
}
