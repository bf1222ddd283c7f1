package io.github.keycloakdane.core;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

import java.math.BigInteger;
import java.util.Base64;
import java.util.Map;

/**
 * Our own bounds on a public key that untrusted input presents (a signed JWT's {@code jwk} or {@code x5c} header, or a
 * {@code 3 1 0}/{@code 3 0 0} record), checked on its encoding before any key object is built, so that neither the
 * cost of a signature check nor what is accepted depends on a crypto library's own limits:
 * RSA moduli of {@value #MIN_RSA_BITS} to {@value #MAX_RSA_BITS} bits with an odd public exponent from 3 to
 * 2^32+1; EC on P-256, P-384 and P-521 only (named curves, never explicit parameters); Ed25519 and Ed448.
 * Everything else is refused ({@link Reason#KEY_REFUSED}); an encoding that cannot be read is
 * {@link Unreadable}.
 */
public final class KeyBounds {

    public static final int MIN_RSA_BITS = 2048;
    public static final int MAX_RSA_BITS = 4096;
    /** The largest public exponent accepted: 2^32 + 1 (65537 is the usual one). */
    public static final BigInteger MAX_RSA_EXPONENT = BigInteger.ONE.shiftLeft(32).add(BigInteger.ONE);
    private static final BigInteger MIN_RSA_EXPONENT = BigInteger.valueOf(3);

    /** What bound the key exceeds: the text names our bound. */
    public static final class Refused extends Exception {
        public Refused(String detail) {
            super(detail, null, false, false);
        }
    }

    /** The encoding is not a key at all (not DER, not base64url, fields missing). */
    public static final class Unreadable extends Exception {
        public Unreadable(String detail) {
            super(detail, null, false, false);
        }
    }

    /** The kinds of key accepted. */
    public enum Kind { RSA, EC, OKP }

    /**
     * A key within our bounds, described without building it.
     *
     * @param kind  RSA, EC or OKP (EdDSA)
     * @param curve P-256, P-384, P-521, Ed25519 or Ed448; null for RSA
     * @param bits  the RSA modulus' length; the curve's field size for EC; 0 for OKP
     */
    public record Shape(Kind kind, String curve, int bits) {
        @Override
        public String toString() {
            return kind == Kind.RSA ? "RSA " + bits + " bits" : kind + " " + curve;
        }
    }

    private static final Map<ASN1ObjectIdentifier, Shape> EC_CURVES = Map.of(
            SECObjectIdentifiers.secp256r1, new Shape(Kind.EC, "P-256", 256),
            SECObjectIdentifiers.secp384r1, new Shape(Kind.EC, "P-384", 384),
            SECObjectIdentifiers.secp521r1, new Shape(Kind.EC, "P-521", 521));
    private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");
    private static final ASN1ObjectIdentifier ED448 = new ASN1ObjectIdentifier("1.3.101.113");
    private static final Map<String, Shape> JWK_CURVES = Map.of(
            "P-256", new Shape(Kind.EC, "P-256", 256), "P-384", new Shape(Kind.EC, "P-384", 384),
            "P-521", new Shape(Kind.EC, "P-521", 521), "Ed25519", new Shape(Kind.OKP, "Ed25519", 0),
            "Ed448", new Shape(Kind.OKP, "Ed448", 0));

    private KeyBounds() {
    }

    /** The bounds, for a reason's text. */
    public static String describe() {
        return "RSA " + MIN_RSA_BITS + "-" + MAX_RSA_BITS + " bits with an odd exponent from 3 to 2^32+1, EC P-256/"
                + "P-384/P-521, Ed25519 or Ed448";
    }

    /** A DER SubjectPublicKeyInfo. */
    public static Shape ofSubjectPublicKeyInfo(byte[] der) throws Refused, Unreadable {
        SubjectPublicKeyInfo spki;
        try {
            spki = SubjectPublicKeyInfo.getInstance(ASN1Primitive.fromByteArray(der));
        } catch (Exception e) {
            throw new Unreadable("not a DER SubjectPublicKeyInfo");
        }
        return of(spki);
    }

    /** The key of a DER certificate, read from its TBSCertificate without parsing the rest. */
    public static Shape ofCertificate(byte[] der) throws Refused, Unreadable {
        SubjectPublicKeyInfo spki;
        try {
            spki = Certificate.getInstance(ASN1Primitive.fromByteArray(der)).getSubjectPublicKeyInfo();
        } catch (Exception e) {
            throw new Unreadable("not a DER X.509 certificate");
        }
        return of(spki);
    }

    private static Shape of(SubjectPublicKeyInfo spki) throws Refused, Unreadable {
        if (spki == null || spki.getAlgorithm() == null) {
            throw new Unreadable("no SubjectPublicKeyInfo");
        }
        ASN1ObjectIdentifier oid = spki.getAlgorithm().getAlgorithm();
        if (PKCSObjectIdentifiers.rsaEncryption.equals(oid) || PKCSObjectIdentifiers.id_RSASSA_PSS.equals(oid)) {
            RSAPublicKey rsa;
            try {
                rsa = RSAPublicKey.getInstance(spki.parsePublicKey());
            } catch (Exception e) {
                throw new Unreadable("an unreadable RSA public key");
            }
            return rsa(rsa.getModulus(), rsa.getPublicExponent());
        }
        if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
            ASN1Encodable params = spki.getAlgorithm().getParameters();
            Shape curve = params instanceof ASN1ObjectIdentifier named ? EC_CURVES.get(named) : null;
            if (curve == null) {
                throw new Refused("an EC key " + (params instanceof ASN1ObjectIdentifier named ? "on curve " + named
                        : "with explicit parameters") + ": only " + describe() + " are accepted");
            }
            return curve;
        }
        if (ED25519.equals(oid) || ED448.equals(oid)) {
            return JWK_CURVES.get(ED25519.equals(oid) ? "Ed25519" : "Ed448");
        }
        throw new Refused("a key of algorithm " + oid + ": only " + describe() + " are accepted");
    }

    /**
     * A JWK's public fields ({@code kty}, {@code crv}, {@code n}, {@code e}), as the header carries them; the other
     * fields are the parser's business. The caller bounds the input's length (a modulus is decoded to count bits).
     */
    public static Shape ofJwk(String kty, String crv, String n, String e) throws Refused, Unreadable {
        if (kty == null) {
            throw new Unreadable("the jwk has no kty");
        }
        switch (kty) {
            case "RSA" -> {
                if (n == null || e == null) {
                    throw new Unreadable("an RSA jwk needs n and e");
                }
                return rsa(unsigned(n), unsigned(e));
            }
            case "EC", "OKP" -> {
                Shape curve = crv == null ? null : JWK_CURVES.get(crv);
                if (curve == null || !curve.kind().name().equals(kty)) {
                    throw new Refused("a " + kty + " key on curve " + SafeText.name(crv) + ": only " + describe()
                            + " are accepted");
                }
                return curve;
            }
            default -> throw new Refused("a key of type " + SafeText.name(kty) + ": only " + describe()
                    + " are accepted");
        }
    }

    private static BigInteger unsigned(String base64url) throws Unreadable {
        try {
            return new BigInteger(1, Base64.getUrlDecoder().decode(base64url));
        } catch (IllegalArgumentException ex) {
            throw new Unreadable("a jwk field is not base64url");
        }
    }

    private static Shape rsa(BigInteger modulus, BigInteger exponent) throws Refused {
        int bits = modulus.bitLength();
        if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
            throw new Refused("an RSA key of " + bits + " bits: only " + MIN_RSA_BITS + " to " + MAX_RSA_BITS
                    + " bits are accepted");
        }
        if (!exponent.testBit(0) || exponent.compareTo(MIN_RSA_EXPONENT) < 0
                || exponent.compareTo(MAX_RSA_EXPONENT) > 0) {
            throw new Refused("an RSA key whose public exponent is " + (exponent.bitLength() > 64
                    ? exponent.bitLength() + " bits long" : exponent) + ": only odd exponents from 3 to 2^32+1"
                    + " are accepted");
        }
        return new Shape(Kind.RSA, null, bits);
    }
}
