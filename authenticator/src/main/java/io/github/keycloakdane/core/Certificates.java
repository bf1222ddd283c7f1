package io.github.keycloakdane.core;

import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** The certificate bytes and names DANE looks at, taken from the certificate as it was encoded. */
public final class Certificates {

    private static final int SEQUENCE = 0x30;
    private static final int CONTEXT_0 = 0xa0;
    private static final int DNS_NAME = 2;

    private Certificates() {
    }

    /** The certificate's DER (selector 0). */
    public static byte[] der(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (CertificateEncodingException e) {
            return null;
        }
    }

    /**
     * The SubjectPublicKeyInfo exactly as it is encoded inside the certificate (selector 1).
     * {@code getPublicKey().getEncoded()} would be a re-encoding by the key's provider, which is not guaranteed
     * to be byte-identical (e.g. explicit vs named EC parameters), so the bytes are sliced out of the TBSCertificate.
     */
    public static byte[] subjectPublicKeyInfo(X509Certificate certificate) {
        byte[] der = der(certificate);
        if (der == null) {
            return null;
        }
        try {
            int[] cert = tlv(der, 0);                // Certificate ::= SEQUENCE
            expect(der, cert, SEQUENCE);
            int[] tbs = tlv(der, cert[1]);            // tbsCertificate ::= SEQUENCE
            expect(der, tbs, SEQUENCE);
            int pos = tbs[1];
            int[] field = tlv(der, pos);
            if ((der[field[0]] & 0xff) == CONTEXT_0) { // [0] EXPLICIT version, absent for v1
                pos = field[2];
            }
            // serialNumber, signature, issuer, validity, subject
            for (int i = 0; i < 5; i++) {
                pos = tlv(der, pos)[2];
            }
            int[] spki = tlv(der, pos);
            expect(der, spki, SEQUENCE);
            return Arrays.copyOfRange(der, spki[0], spki[2]);
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return null;
        }
    }

    /** The subjectAltName dNSNames, lower-cased, without a trailing dot. */
    public static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(DNS_NAME).equals(san.get(0)) && san.get(1) instanceof String s) {
                        String name = s.toLowerCase(Locale.ROOT);
                        names.add(name.endsWith(".") ? name.substring(0, name.length() - 1) : name);
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // an unparsable SAN extension carries no name we could match
        }
        return names;
    }

    /** Whether the identity is among the certificate's SAN dNSNames (exact match: a client name is never a wildcard). */
    public static boolean hasDnsName(X509Certificate certificate, DaneName identity) {
        return dnsNames(certificate).contains(identity.value());
    }

    /** Returns {start, contentStart, end} of the DER TLV at {@code pos}. */
    private static int[] tlv(byte[] der, int pos) {
        int lengthPos = pos + 1;
        int first = der[lengthPos] & 0xff;
        int length;
        int contentStart;
        if (first < 0x80) {
            length = first;
            contentStart = lengthPos + 1;
        } else {
            int octets = first & 0x7f;
            if (octets == 0 || octets > 4) {
                throw new IllegalArgumentException("unsupported DER length");
            }
            length = 0;
            for (int i = 1; i <= octets; i++) {
                length = (length << 8) | (der[lengthPos + i] & 0xff);
            }
            contentStart = lengthPos + 1 + octets;
        }
        int end = contentStart + length;
        if (length < 0 || end > der.length) {
            throw new IllegalArgumentException("DER length beyond the data");
        }
        return new int[] {pos, contentStart, end};
    }

    private static void expect(byte[] der, int[] tlv, int tag) {
        if ((der[tlv[0]] & 0xff) != tag) {
            throw new IllegalArgumentException("unexpected DER tag");
        }
    }
}
