package io.github.keycloakdane.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/**
 * Keys and certificates made at test time with BouncyCastle: self-signed roots, intermediates and leaves of each key
 * type DANE clients use. Nothing is read from disk; every run gets fresh keys.
 */
public final class TestPki {

    public enum KeyType {
        RSA("SHA256withRSA"), EC_P256("SHA256withECDSA"), ED25519("Ed25519");

        final String signatureAlgorithm;

        KeyType(String signatureAlgorithm) {
            this.signatureAlgorithm = signatureAlgorithm;
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private TestPki() {
    }

    /** A certificate with its key pair. */
    public record Issued(X509Certificate cert, KeyPair keyPair) {
        public String pem() {
            return TestPki.pem(List.of(cert));
        }
    }

    public static KeyPair keyPair(KeyType type) {
        try {
            return switch (type) {
                case RSA -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(2048, RANDOM);
                    yield g.generateKeyPair();
                }
                case EC_P256 -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
                    yield g.generateKeyPair();
                }
                case ED25519 -> KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            };
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A self-signed (or, with {@link Builder#issuer}, issued) CA certificate. */
    public static Builder ca(String commonName) {
        return new Builder(commonName, true);
    }

    /** An end-entity certificate (self-signed unless an issuer is set). */
    public static Builder leaf(String commonName) {
        return new Builder(commonName, false);
    }

    public static final class Builder {
        private final String commonName;
        private final boolean ca;
        private Issued issuer;
        private KeyType keyType = KeyType.EC_P256;
        private KeyPair keyPair;
        private Instant notBefore = Instant.now().minus(Duration.ofDays(1));
        private Instant notAfter = Instant.now().plus(Duration.ofDays(30));
        private final List<String> dnsNames = new ArrayList<>();
        private final List<GeneralName> otherSans = new ArrayList<>();
        private boolean emptyNames;
        private String subjectDn;

        private Builder(String commonName, boolean ca) {
            this.commonName = commonName;
            this.ca = ca;
        }

        public Builder issuer(Issued signer) {
            this.issuer = signer;
            return this;
        }

        public Builder keyType(KeyType type) {
            this.keyType = type;
            return this;
        }

        public Builder keyPair(KeyPair pair) {
            this.keyPair = pair;
            return this;
        }

        public Builder validity(Instant from, Instant until) {
            this.notBefore = from;
            this.notAfter = until;
            return this;
        }

        /** Valid in the past only. */
        public Builder expired() {
            return validity(Instant.now().minus(Duration.ofDays(60)), Instant.now().minus(Duration.ofDays(30)));
        }

        /** Valid in the future only. */
        public Builder notYetValid() {
            return validity(Instant.now().plus(Duration.ofDays(30)), Instant.now().plus(Duration.ofDays(60)));
        }

        /** notAfter before notBefore: a certificate that is never valid (OpenSSL danetest #1-4). */
        public Builder neverValid() {
            return validity(Instant.now().plus(Duration.ofDays(1)), Instant.now().minus(Duration.ofDays(1)));
        }

        /**
         * Self-signed with an empty subject and issuer DN, as {@code openssl req -x509 -subj /} makes: fine for
         * DANE-EE, refused by the JDK's certificate parser, so the certificate object comes from BouncyCastle.
         */
        public Builder emptyNames() {
            this.emptyNames = true;
            return this;
        }

        public Builder dnsNames(String... names) {
            dnsNames.addAll(List.of(names));
            return this;
        }

        /** The subject DN in RFC 4514 syntax with BouncyCastle's keywords (GIVENNAME, SURNAME, ...), not CN=name. */
        public Builder subject(String dn) {
            this.subjectDn = dn;
            return this;
        }

        /** rfc822Name SAN entries (email addresses). */
        public Builder emails(String... mailboxes) {
            for (String m : mailboxes) {
                otherSans.add(new GeneralName(GeneralName.rfc822Name, m));
            }
            return this;
        }

        /** An otherName SAN entry: RFC 4519 uid (0.9.2342.19200300.100.1.1), a UTF8String. */
        public Builder otherNameUid(String uid) {
            return otherName("0.9.2342.19200300.100.1.1", uid);
        }

        /** An otherName SAN entry: RFC 9598 SmtpUTF8Mailbox (1.3.6.1.5.5.7.8.9), a UTF8String. */
        public Builder smtpUtf8Mailbox(String mailbox) {
            return otherName("1.3.6.1.5.5.7.8.9", mailbox);
        }

        private Builder otherName(String oid, String value) {
            otherSans.add(new GeneralName(GeneralName.otherName, new org.bouncycastle.asn1.DERSequence(
                    new org.bouncycastle.asn1.ASN1Encodable[] {new org.bouncycastle.asn1.ASN1ObjectIdentifier(oid),
                        new org.bouncycastle.asn1.DERTaggedObject(true, 0, new org.bouncycastle.asn1.DERUTF8String(value))})));
            return this;
        }

        public Issued build() {
            try {
                KeyPair subjectKeys = keyPair != null ? keyPair : TestPki.keyPair(keyType);
                X500Name subject = emptyNames ? new X500Name(new org.bouncycastle.asn1.x500.RDN[0])
                        : new X500Name(subjectDn != null ? subjectDn : "CN=" + commonName);
                X500Name issuerName = issuer == null ? subject
                        : new X500Name(issuer.cert().getSubjectX500Principal().getName());
                PrivateKey signingKey = issuer == null ? subjectKeys.getPrivate() : issuer.keyPair().getPrivate();
                String signatureAlgorithm = signatureAlgorithm(signingKey);
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                        new BigInteger(64, RANDOM).abs().add(BigInteger.ONE), Date.from(notBefore), Date.from(notAfter),
                        subject, subjectKeys.getPublic());
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
                builder.addExtension(Extension.keyUsage, true, ca
                        ? new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature)
                        : new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                if (!dnsNames.isEmpty() || !otherSans.isEmpty()) {
                    List<GeneralName> all = new ArrayList<>();
                    dnsNames.forEach(n -> all.add(new GeneralName(GeneralName.dNSName, n)));
                    all.addAll(otherSans);
                    GeneralName[] names = all.toArray(GeneralName[]::new);
                    builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
                }
                JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
                if (emptyNames) {
                    converter.setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider());
                }
                X509Certificate cert = converter
                        .getCertificate(builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(signingKey)));
                return new Issued(cert, subjectKeys);
            } catch (Exception e) {
                throw new IllegalStateException("cannot issue test certificate " + commonName, e);
            }
        }

        private static String signatureAlgorithm(PrivateKey key) {
            return switch (key.getAlgorithm()) {
                case "RSA" -> KeyType.RSA.signatureAlgorithm;
                case "EC" -> KeyType.EC_P256.signatureAlgorithm;
                default -> KeyType.ED25519.signatureAlgorithm;
            };
        }
    }

    /**
     * A TLS server certificate (EC P-256, valid for 30 days, extended key usage serverAuth) whose subjectAltName lists
     * {@code names}: IP literals ({@code 127.0.0.1}, {@code ::1}) become iPAddress entries, anything else dNSName
     * entries. The common name is the first name. Issued by {@code issuer}, or self-signed when it is null. For test
     * servers (nginx, Keycloak) that clients reach at {@code https://127.0.0.1:PORT} with hostname verification on.
     */
    public static Issued tlsServer(Issued issuer, String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("a server certificate needs at least one name");
        }
        try {
            KeyPair subjectKeys = keyPair(KeyType.EC_P256);
            X500Name subject = new X500Name("CN=" + names[0]);
            X500Name issuerName = issuer == null ? subject
                    : new X500Name(issuer.cert().getSubjectX500Principal().getName());
            PrivateKey signingKey = issuer == null ? subjectKeys.getPrivate() : issuer.keyPair().getPrivate();
            String signatureAlgorithm = switch (signingKey.getAlgorithm()) {
                case "RSA" -> KeyType.RSA.signatureAlgorithm;
                case "EC" -> KeyType.EC_P256.signatureAlgorithm;
                default -> KeyType.ED25519.signatureAlgorithm;
            };
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuerName,
                    new BigInteger(64, RANDOM).abs().add(BigInteger.ONE),
                    Date.from(Instant.now().minus(Duration.ofDays(1))), Date.from(Instant.now().plus(Duration.ofDays(30))),
                    subject, subjectKeys.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            GeneralName[] sans = new GeneralName[names.length];
            for (int i = 0; i < names.length; i++) {
                boolean ip = names[i].matches("[0-9.]+") || names[i].contains(":");
                sans[i] = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, names[i]);
            }
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(builder.build(new JcaContentSignerBuilder(signatureAlgorithm).build(signingKey)));
            return new Issued(cert, subjectKeys);
        } catch (Exception e) {
            throw new IllegalStateException("cannot issue test server certificate " + List.of(names), e);
        }
    }

    /** Writes the PEM text of a private key (PKCS#8) to {@code file}, e.g. for nginx or Keycloak. */
    public static Path writePem(Path file, PrivateKey key) {
        try {
            return Files.writeString(file, pem(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** PEM text of the certificates, in order. */
    public static String pem(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder();
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        for (X509Certificate cert : certs) {
            try {
                sb.append("-----BEGIN CERTIFICATE-----\n").append(b64.encodeToString(cert.getEncoded()))
                        .append("\n-----END CERTIFICATE-----\n");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return sb.toString();
    }

    /** PEM text of a private key (PKCS#8), e.g. for curl or nginx. */
    public static String pem(PrivateKey key) {
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        return "-----BEGIN PRIVATE KEY-----\n" + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }

    public static Path writePem(Path file, List<X509Certificate> certs) {
        try {
            return Files.writeString(file, pem(certs));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
