package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.core.SafeText;
import org.keycloak.events.EventBuilder;

/**
 * The event details every DANE success and failure leaves behind. Names and explanations come from untrusted input
 * (the claim, the certificate, the validator), so every value passes through {@link SafeText}: bounded, no control
 * characters. Every success and refusal passes through here, so this is also where the metrics count them.
 */
public final class DaneEvents {

    public static final String CLIENT_ID = DaneNames.PARAMETER;
    public static final String DNSSEC = "dane_dnssec";
    public static final String RECORD = "dane_record";
    public static final String REASON = "dane_reason";
    public static final String DETAIL = "dane_detail";
    /** A domain user's address {@code uid@domain} (auth-dane, user mapping {@code domain-user}). */
    public static final String USER = DaneNames.USER;

    private DaneEvents() {
    }

    public static void record(DaneMetrics.Authenticator by, EventBuilder event, DaneOutcome outcome) {
        reject(by, event, outcome.identity(), outcome.reason(), outcome.detail());
        if (outcome.dnssec() != null) {
            event.detail(DNSSEC, outcome.dnssec().name());
        }
        if (outcome.recordAtDepth() != null) {
            event.detail(RECORD, outcome.recordAtDepth());
        }
    }

    /** Takes the DANE details off a builder that goes on to record another method's outcome. */
    public static void clear(EventBuilder event) {
        for (String key : new String[] {CLIENT_ID, DNSSEC, RECORD, REASON, DETAIL, USER}) {
            event.removeDetail(key);
        }
    }

    /**
     * A rejection decided before the verifier ran (e.g. no client carries the name), or, with {@link Reason#OK}, a
     * success the verifier did not decide (a trusted proxy's assertion). Counted in the metrics either way.
     */
    public static void reject(DaneMetrics.Authenticator by, EventBuilder event, String identity, Reason reason,
                              String detail) {
        DaneMetrics.authentication(by, reason);
        if (identity != null) {
            event.detail(CLIENT_ID, SafeText.name(identity));
        }
        event.detail(REASON, reason.name());
        if (detail != null) {
            event.detail(DETAIL, SafeText.detail(detail));
        }
    }
}
