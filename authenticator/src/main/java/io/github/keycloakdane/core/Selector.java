package io.github.keycloakdane.core;

/** TLSA selector (RFC 6698 §2.1.2): which part of a certificate the association data is about. */
public enum Selector {
    CERT(0), SPKI(1);

    public final int code;

    Selector(int code) {
        this.code = code;
    }

    public static Selector of(int code) {
        for (Selector s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
