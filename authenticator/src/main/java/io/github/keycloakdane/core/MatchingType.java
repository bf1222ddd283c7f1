package io.github.keycloakdane.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * TLSA matching type (RFC 6698 §2.1.3). {@code strength} orders digests for RFC 7671 §9 digest agility;
 * FULL is not a digest and is never displaced by one.
 */
public enum MatchingType {
    FULL(0, -1, null, 0),
    SHA2_256(1, 32, "SHA-256", 1),
    SHA2_512(2, 64, "SHA-512", 2);

    public final int code;
    /** Length of the association data, or -1 when any length is allowed. */
    public final int digestLength;
    private final String algorithm;
    final int strength;

    MatchingType(int code, int digestLength, String algorithm, int strength) {
        this.code = code;
        this.digestLength = digestLength;
        this.algorithm = algorithm;
        this.strength = strength;
    }

    /** The association data this matching type derives from the selected bytes. */
    public byte[] apply(byte[] selected) {
        if (algorithm == null) {
            return selected.clone();
        }
        try {
            return MessageDigest.getInstance(algorithm).digest(selected);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is mandatory in every JDK", e);
        }
    }

    public static MatchingType of(int code) {
        for (MatchingType m : values()) {
            if (m.code == code) {
                return m;
            }
        }
        return null;
    }
}
