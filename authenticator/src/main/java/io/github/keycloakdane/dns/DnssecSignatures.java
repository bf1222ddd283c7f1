package io.github.keycloakdane.dns;

import java.security.NoSuchAlgorithmException;
import java.security.Signature;

/**
 * Which JCA provider checks DNSSEC signatures. dnsjava's validator asks the JVM for {@code SHA256withECDSA}
 * (algorithm 13, ECDSA P-256, what most zones sign with) without naming a provider, so the JVM's provider order
 * decides: JDK 17's SunEC takes several times longer per signature than BouncyCastle (docs/PERFORMANCE.md,
 * {@code DnssecVerifyBenchmark}). Keycloak registers BouncyCastle as a provider; {@link #PREFERRED} in a
 * {@code java.security} override ({@code -Djava.security.properties=FILE}, docs/PRODUCTION.md) makes the JVM pick it
 * for ECDSA. The JDK reads that property once, when its provider list is first built: it cannot be set later.
 */
public final class DnssecSignatures {

    /** The {@code java.security} line that makes BouncyCastle check ECDSA signatures (P-256 and P-384). */
    public static final String PREFERRED = "jdk.security.provider.preferred=SHA256withECDSA:BC,SHA384withECDSA:BC";

    private DnssecSignatures() {
    }

    /** The name of the provider that checks an ECDSA P-256 signature in this JVM now (e.g. SunEC, BC). */
    public static String provider() {
        try {
            return Signature.getInstance("SHA256withECDSA").getProvider().getName();
        } catch (NoSuchAlgorithmException e) {
            return "none";
        }
    }
}
