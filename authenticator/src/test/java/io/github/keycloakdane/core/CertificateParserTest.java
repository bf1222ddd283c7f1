package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CertificateParserTest {

    /** {@code openssl req -x509 -subj /}: no subject, no issuer; OpenSSL accepts it for DANE-EE. */
    private static final Issued EMPTY_NAMES = TestPki.leaf("unused").emptyNames().build();

    @Test
    void theJdksParserRefusesACertificateWithEmptyNamesButOursReadsIt() throws Exception {
        byte[] der = EMPTY_NAMES.cert().getEncoded();
        assertThatThrownBy(() -> CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der)))
                .isInstanceOf(CertificateException.class);

        X509Certificate parsed = CertificateParser.parseDer(der);

        assertThat(parsed.getEncoded()).isEqualTo(der);
        assertThat(parsed.getSubjectX500Principal().getName()).isEmpty();
        assertThat(CertificateParser.parser()).isEqualTo("BouncyCastle");
    }

    @Test
    void aDeviceWithEmptyNamesAuthenticatesWithDaneEeRecordsOfEverySelectorAndMatchingType() throws Exception {
        X509Certificate device = CertificateParser.parsePem(TestPki.pem(List.of(EMPTY_NAMES.cert()))).get(0);
        for (int selector = 0; selector <= 1; selector++) {
            for (int matchingType = 0; matchingType <= 2; matchingType++) {
                TlsaRecord record = tlsa(3, selector, matchingType, device);

                MatchResult result = DaneMatcher.match(name("sensor7._device.example.com"), List.of(device),
                        List.of(record), MatchPolicy.defaults());

                assertThat(result.matched()).as("3 %d %d", selector, matchingType).isTrue();
            }
        }
    }

    @Test
    void aFullCertificateRecordWithEmptyNamesIsUsable() throws Exception {
        String hex = java.util.HexFormat.of().formatHex(EMPTY_NAMES.cert().getEncoded());

        TlsaRecord record = TlsaRecord.parse("3 0 0 " + hex);

        assertThat(record.dnsCertificate()).isNotNull();
    }

    @Test
    void pemWithSeveralCertificatesKeepsTheirOrderAndGarbageIsACheckedError() throws Exception {
        Issued ca = TestPki.ca("ca").build();
        Issued leaf = TestPki.leaf("leaf").issuer(ca).build();

        List<X509Certificate> chain = CertificateParser.parsePem(TestPki.pem(List.of(leaf.cert(), ca.cert())));

        assertThat(chain).containsExactly(leaf.cert(), ca.cert());
        assertThat(CertificateParser.parsePem("no PEM here")).isEmpty();
        assertThatThrownBy(() -> CertificateParser.parsePem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"))
                .isInstanceOf(CertificateException.class).hasMessageContaining("PEM block 1");
        assertThatThrownBy(() -> CertificateParser.parseDer(new byte[] {0x30, 0x03, 0x02, 0x01}))
                .isInstanceOf(CertificateException.class);
    }
}
