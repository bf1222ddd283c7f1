package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigInteger;
import java.security.Principal;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import static io.github.keycloakdane.core.Fixtures.name;
import static org.assertj.core.api.Assertions.assertThat;

class CertificatesTest {

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void subjectPublicKeyInfoIsTheSpkiOfTheCertificate(KeyType type) throws Exception {
        for (Issued issued : List.of(TestPki.leaf("spki leaf " + type).keyType(type).dnsNames("a.example.com").build(),
                TestPki.ca("spki ca " + type).keyType(type).build())) {
            X509Certificate cert = issued.cert();
            byte[] spki = Certificates.subjectPublicKeyInfo(cert);
            byte[] bouncy = org.bouncycastle.asn1.x509.Certificate.getInstance(cert.getEncoded())
                    .getSubjectPublicKeyInfo().getEncoded("DER");

            assertThat(spki).isEqualTo(bouncy);
            assertThat(spki).isEqualTo(cert.getPublicKey().getEncoded());
            assertThat(spki).isEqualTo(issued.keyPair().getPublic().getEncoded());
            assertThat(SubjectPublicKeyInfo.getInstance(spki).getEncoded("DER")).isEqualTo(spki);
        }
    }

    @Test
    void subjectPublicKeyInfoWorksForCertificatesIssuedByAnotherKeyType() throws Exception {
        Issued rsaCa = TestPki.ca("rsa ca").keyType(KeyType.RSA).build();
        Issued edLeaf = TestPki.leaf("ed leaf").keyType(KeyType.ED25519).issuer(rsaCa).build();
        assertThat(Certificates.subjectPublicKeyInfo(edLeaf.cert()))
                .isEqualTo(edLeaf.keyPair().getPublic().getEncoded())
                .isNotEqualTo(rsaCa.keyPair().getPublic().getEncoded());
    }

    @Test
    void derIsTheEncodedCertificate() throws Exception {
        X509Certificate cert = TestPki.leaf("der").build().cert();
        assertThat(Certificates.der(cert)).isEqualTo(cert.getEncoded());
    }

    static List<byte[]> garbage() {
        HexFormat hex = HexFormat.of();
        return List.of(
                new byte[0],
                new byte[] {0x30},
                hex.parseHex("300301"),                 // length beyond the data
                hex.parseHex("0400"),                   // not a SEQUENCE
                hex.parseHex("3000"),                   // empty certificate
                hex.parseHex("30023000"),               // empty tbsCertificate
                hex.parseHex("3080"),                   // indefinite length
                hex.parseHex("30847fffffff00"),         // huge length
                hex.parseHex("3084ffffffff00"),         // negative length
                hex.parseHex("3006300402010102"),       // tbs ends before the SPKI
                hex.parseHex("deadbeefdeadbeefdeadbeef"));
    }

    @ParameterizedTest
    @MethodSource("garbage")
    void subjectPublicKeyInfoOfGarbageIsNull(byte[] encoding) {
        X509Certificate fake = new EncodedAs(TestPki.leaf("template").build().cert(), encoding);
        assertThat(Certificates.subjectPublicKeyInfo(fake)).isNull();
    }

    @Test
    void unencodableCertificateGivesNull() {
        X509Certificate fake = new EncodedAs(TestPki.leaf("template").build().cert(), null);
        assertThat(Certificates.der(fake)).isNull();
        assertThat(Certificates.subjectPublicKeyInfo(fake)).isNull();
    }

    @Test
    void recordsDoNotMatchGarbageCertificates() throws Exception {
        X509Certificate real = TestPki.leaf("template").build().cert();
        X509Certificate fake = new EncodedAs(real, HexFormat.of().parseHex("3000"));
        TlsaRecord spki = Fixtures.tlsa(3, 1, 1, real);
        assertThat(spki.matches(real)).isTrue();
        assertThat(spki.matches(fake)).isFalse();
    }

    @Test
    void dnsNamesAreLowerCasedWithoutTrailingDot() {
        X509Certificate cert = TestPki.leaf("names")
                .dnsNames("Sensor9._Device.Example.COM.", "other.example.org").build().cert();
        assertThat(Certificates.dnsNames(cert)).containsExactly("sensor9._device.example.com", "other.example.org");
        assertThat(Certificates.hasDnsName(cert, name("sensor9._device.example.com"))).isTrue();
        assertThat(Certificates.hasDnsName(cert, name("OTHER.example.org."))).isTrue();
        assertThat(Certificates.hasDnsName(cert, name("sensor8._device.example.com"))).isFalse();
        assertThat(Certificates.hasDnsName(cert, name("example.org"))).isFalse();
    }

    @Test
    void noSanMeansNoNames() {
        X509Certificate cert = TestPki.leaf("device1._device.example.com").build().cert();
        assertThat(Certificates.dnsNames(cert)).isEmpty();
        // the CN is never used as a name
        assertThat(Certificates.hasDnsName(cert, name("device1._device.example.com"))).isFalse();
    }

    @Test
    void wildcardSanDoesNotCoverAClientName() {
        X509Certificate cert = TestPki.leaf("wild").dnsNames("*._device.example.com").build().cert();
        assertThat(Certificates.hasDnsName(cert, name("sensor9._device.example.com"))).isFalse();
    }

    /** A real certificate whose getEncoded() returns the given bytes (or fails, for null). */
    @SuppressWarnings("deprecation")
    private static final class EncodedAs extends X509Certificate {
        private final X509Certificate real;
        private final byte[] encoding;

        EncodedAs(X509Certificate real, byte[] encoding) {
            this.real = real;
            this.encoding = encoding;
        }

        @Override
        public byte[] getEncoded() throws CertificateEncodingException {
            if (encoding == null) {
                throw new CertificateEncodingException("cannot encode");
            }
            return encoding.clone();
        }

        @Override public void checkValidity() throws java.security.cert.CertificateExpiredException,
                java.security.cert.CertificateNotYetValidException { real.checkValidity(); }
        @Override public void checkValidity(Date date) throws java.security.cert.CertificateExpiredException,
                java.security.cert.CertificateNotYetValidException { real.checkValidity(date); }
        @Override public int getVersion() { return real.getVersion(); }
        @Override public BigInteger getSerialNumber() { return real.getSerialNumber(); }
        @Override public Principal getIssuerDN() { return real.getIssuerDN(); }
        @Override public Principal getSubjectDN() { return real.getSubjectDN(); }
        @Override public Date getNotBefore() { return real.getNotBefore(); }
        @Override public Date getNotAfter() { return real.getNotAfter(); }
        @Override public byte[] getTBSCertificate() throws java.security.cert.CertificateEncodingException {
            return real.getTBSCertificate(); }
        @Override public byte[] getSignature() { return real.getSignature(); }
        @Override public String getSigAlgName() { return real.getSigAlgName(); }
        @Override public String getSigAlgOID() { return real.getSigAlgOID(); }
        @Override public byte[] getSigAlgParams() { return real.getSigAlgParams(); }
        @Override public boolean[] getIssuerUniqueID() { return real.getIssuerUniqueID(); }
        @Override public boolean[] getSubjectUniqueID() { return real.getSubjectUniqueID(); }
        @Override public boolean[] getKeyUsage() { return real.getKeyUsage(); }
        @Override public int getBasicConstraints() { return real.getBasicConstraints(); }
        @Override public void verify(PublicKey key) throws java.security.cert.CertificateException, java.security.NoSuchAlgorithmException,
                java.security.InvalidKeyException, java.security.NoSuchProviderException,
                java.security.SignatureException { real.verify(key); }
        @Override public void verify(PublicKey key, String sigProvider) throws java.security.cert.CertificateException,
                java.security.NoSuchAlgorithmException, java.security.InvalidKeyException,
                java.security.NoSuchProviderException, java.security.SignatureException {
            real.verify(key, sigProvider); }
        @Override public String toString() { return "EncodedAs(" + real.getSubjectX500Principal() + ")"; }
        @Override public PublicKey getPublicKey() { return real.getPublicKey(); }
        @Override public boolean hasUnsupportedCriticalExtension() { return real.hasUnsupportedCriticalExtension(); }
        @Override public Set<String> getCriticalExtensionOIDs() { return real.getCriticalExtensionOIDs(); }
        @Override public Set<String> getNonCriticalExtensionOIDs() { return real.getNonCriticalExtensionOIDs(); }
        @Override public byte[] getExtensionValue(String oid) { return real.getExtensionValue(oid); }
    }
}
