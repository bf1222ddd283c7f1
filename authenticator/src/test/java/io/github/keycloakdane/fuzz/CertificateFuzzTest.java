package io.github.keycloakdane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.Certificates;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/** Any bytes are a certificate whose DANE views can be taken, or a {@link CertificateException}. */
class CertificateFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void certificates(byte[] der) {
        X509Certificate certificate;
        try {
            certificate = CertificateParser.parseDer(der);
        } catch (CertificateException expected) {
            return;
        }
        Certificates.der(certificate);
        Certificates.subjectPublicKeyInfo(certificate);
        Certificates.dnsNames(certificate);
    }
}
