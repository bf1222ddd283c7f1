package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneOutcome;
import org.keycloak.events.EventBuilder;

/** The event details every DANE success and failure leaves behind. */
public final class DaneEvents {

    public static final String CLIENT_ID = "dane_clientid";
    public static final String DNSSEC = "dane_dnssec";
    public static final String RECORD = "dane_record";
    public static final String REASON = "dane_reason";
    public static final String DETAIL = "dane_detail";

    private static final int MAX_DETAIL = 500;

    private DaneEvents() {
    }

    public static void record(EventBuilder event, DaneOutcome outcome) {
        event.detail(CLIENT_ID, outcome.identity());
        event.detail(REASON, outcome.reason().name());
        if (outcome.dnssec() != null) {
            event.detail(DNSSEC, outcome.dnssec().name());
        }
        if (outcome.matchedRecord() != null) {
            event.detail(RECORD, outcome.matchedRecord());
        }
        if (outcome.detail() != null) {
            String detail = outcome.detail();
            event.detail(DETAIL, detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "..." : detail);
        }
    }

    /** Takes the DANE details off a builder that goes on to record another method's outcome. */
    public static void clear(EventBuilder event) {
        for (String key : new String[] {CLIENT_ID, DNSSEC, RECORD, REASON, DETAIL}) {
            event.removeDetail(key);
        }
    }

    /** A rejection decided before the verifier ran (e.g. no client carries the name). */
    public static void reject(EventBuilder event, String identity, String reason, String detail) {
        if (identity != null) {
            event.detail(CLIENT_ID, identity);
        }
        event.detail(REASON, reason);
        if (detail != null) {
            event.detail(DETAIL, detail);
        }
    }
}
