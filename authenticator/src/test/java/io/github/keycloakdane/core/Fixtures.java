package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Test helpers for the core tests: TLSA association data computed independently of the code under test
 * (the SPKI comes from BouncyCastle's parse of the certificate, digests from {@link MessageDigest} directly),
 * and a small leaf/intermediate/root PKI made with {@link TestPki}.
 */
final class Fixtures {

    static final String IDENTITY = "device1._device.example.com";

    private Fixtures() {
    }

    static DaneName name(String raw) {
        try {
            return DaneName.parse(raw);
        } catch (InvalidNameException e) {
            throw new AssertionError("test name " + raw + " must be valid", e);
        }
    }

    /** The DER of the certificate (selector 0) or its SubjectPublicKeyInfo as BouncyCastle sees it (selector 1). */
    static byte[] selected(X509Certificate cert, int selector) {
        try {
            byte[] der = cert.getEncoded();
            return switch (selector) {
                case 0 -> der;
                case 1 -> org.bouncycastle.asn1.x509.Certificate.getInstance(der).getSubjectPublicKeyInfo()
                        .getEncoded("DER");
                default -> throw new IllegalArgumentException("selector " + selector);
            };
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Association data for (selector, matching type) computed without the code under test. */
    static byte[] association(X509Certificate cert, int selector, int matchingType) {
        byte[] bytes = selected(cert, selector);
        try {
            return switch (matchingType) {
                case 0 -> bytes;
                case 1 -> MessageDigest.getInstance("SHA-256").digest(bytes);
                case 2 -> MessageDigest.getInstance("SHA-512").digest(bytes);
                default -> throw new IllegalArgumentException("matching type " + matchingType);
            };
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(byte[] data) {
        return HexFormat.of().formatHex(data);
    }

    /** A usable record for the certificate; fails the test if the code under test calls it unusable. */
    static TlsaRecord tlsa(int usage, int selector, int matchingType, X509Certificate cert) {
        return tlsa(usage, selector, matchingType, association(cert, selector, matchingType));
    }

    static TlsaRecord tlsa(int usage, int selector, int matchingType, byte[] data) {
        try {
            return TlsaRecord.of(usage, selector, matchingType, data);
        } catch (UnusableRecordException e) {
            throw new AssertionError("record must be usable: " + e.getMessage(), e);
        }
    }

    /** A record whose digest differs from the certificate's in exactly one bit (the lowest of the last octet). */
    static TlsaRecord oneBitOff(int usage, int selector, int matchingType, X509Certificate cert) {
        byte[] data = association(cert, selector, matchingType);
        data[data.length - 1] ^= 1;
        return tlsa(usage, selector, matchingType, data);
    }

    /** Random digest data of the right length: a record that matches nothing. */
    static TlsaRecord nonMatching(int usage, int selector, int matchingType) {
        byte[] data = new byte[matchingType == 1 ? 32 : 64];
        Arrays.fill(data, (byte) 0x5a);
        return tlsa(usage, selector, matchingType, data);
    }

    /** root -> intermediate -> leaf, all CA flags and validity as the builders make them unless overridden. */
    record Pki(Issued root, Issued intermediate, Issued leaf) {

        /** leaf + intermediate + root, as a client that sends its whole chain presents it. */
        List<X509Certificate> fullChain() {
            return List.of(leaf.cert(), intermediate.cert(), root.cert());
        }

        /** leaf + intermediate: the usual presented chain, without the root. */
        List<X509Certificate> chainWithoutRoot() {
            return List.of(leaf.cert(), intermediate.cert());
        }

        static Pki of(KeyType keyType, String... leafDnsNames) {
            Issued root = TestPki.ca("Test Root " + keyType).keyType(keyType).build();
            Issued intermediate = TestPki.ca("Test Intermediate " + keyType).keyType(keyType).issuer(root).build();
            Issued leaf = TestPki.leaf("test leaf").keyType(keyType).issuer(intermediate).dnsNames(leafDnsNames).build();
            return new Pki(root, intermediate, leaf);
        }

        static Pki of(String... leafDnsNames) {
            return of(KeyType.EC_P256, leafDnsNames);
        }

        Pki withLeaf(Issued newLeaf) {
            return new Pki(root, intermediate, newLeaf);
        }
    }
}
