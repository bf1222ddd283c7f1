package io.github.keycloakdane.core;

/**
 * The matcher's verdict.
 *
 * @param record the record that matched (on success), else null
 * @param depth  0 for the leaf, n for a trust anchor at chain position n, the chain length for a trust anchor
 *               supplied by DNS; -1 when nothing matched
 * @param reason {@link Reason#OK} on success, else the most specific failure seen
 * @param detail a human-readable explanation for logs
 */
public record MatchResult(TlsaRecord record, int depth, Reason reason, String detail) {

    public boolean matched() {
        return reason == Reason.OK;
    }

    static MatchResult ok(TlsaRecord record, int depth) {
        return new MatchResult(record, depth, Reason.OK, record.parameters() + " matched at depth " + depth);
    }

    static MatchResult fail(Reason reason, String detail) {
        return new MatchResult(null, -1, reason, detail);
    }
}
