package io.github.keycloakdane.core;

/** TLSA certificate usage (RFC 6698 §2.1.1, acronyms from RFC 7218). */
public enum CertUsage {
    PKIX_TA(0), PKIX_EE(1), DANE_TA(2), DANE_EE(3);

    public final int code;

    CertUsage(int code) {
        this.code = code;
    }

    /** Whether this usage constrains the end-entity certificate (depth 0) rather than a trust anchor. */
    public boolean isEndEntity() {
        return this == PKIX_EE || this == DANE_EE;
    }

    /** Whether this usage also needs a path to the configured PKIX trust store. */
    public boolean isPkix() {
        return this == PKIX_TA || this == PKIX_EE;
    }

    public static CertUsage of(int code) {
        for (CertUsage u : values()) {
            if (u.code == code) {
                return u;
            }
        }
        return null;
    }
}
