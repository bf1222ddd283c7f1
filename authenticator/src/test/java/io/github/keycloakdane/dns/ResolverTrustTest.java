package io.github.keycloakdane.dns;

import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The resolver certificate check of the TLS channel, on chains made here (no network). */
class ResolverTrustTest {

    private final TestPki.Issued ca = TestPki.ca("resolver CA").build();
    private final TestPki.Issued server = TestPki.tlsServer(ca, "dns.example.net", "192.0.2.53");
    private final X509Certificate[] chain = {server.cert(), ca.cert()};

    private static byte[] pin(X509Certificate cert) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(cert.getPublicKey().getEncoded());
    }

    @Test
    void aChainFromTheCaNamingTheResolverIsTrustedByHostNameAndByAddress() {
        assertThatCode(() -> ResolverTrust.of("dns.example.net", List.of(ca.cert()), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
        assertThatCode(() -> ResolverTrust.of("DNS.example.net.", List.of(ca.cert()), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
        assertThatCode(() -> ResolverTrust.of("192.0.2.53", List.of(ca.cert()), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
    }

    @Test
    void anotherCaAnotherNameOrTheJvmTrustStoreIsRefused() {
        TestPki.Issued other = TestPki.ca("other CA").build();
        assertThatThrownBy(() -> ResolverTrust.of("dns.example.net", List.of(other.cert()), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).isInstanceOf(CertificateException.class)
                .hasMessageContaining("is not trusted");
        assertThatThrownBy(() -> ResolverTrust.of("other.example.net", List.of(ca.cert()), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).hasMessageContaining("does not name other.example.net");
        // an address the certificate does not carry, and a host name that is only its address's text
        assertThatThrownBy(() -> ResolverTrust.of("192.0.2.54", List.of(ca.cert()), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).hasMessageContaining("does not name");
        assertThatThrownBy(() -> ResolverTrust.of("dns.example.net", List.of(), List.of())
                .checkServerTrusted(chain, "ECDHE_ECDSA")).hasMessageContaining("is not trusted");
    }

    @Test
    void aPinAloneDecidesByTheLeafsKeyOnly() throws Exception {
        TestPki.Issued selfSigned = TestPki.leaf("anything").build();
        X509Certificate[] lone = {selfSigned.cert()};
        assertThatCode(() -> ResolverTrust.of("dns.example.net", List.of(), List.of(pin(selfSigned.cert())))
                .checkServerTrusted(lone, "ECDHE_ECDSA")).doesNotThrowAnyException();
        // the CA's key in the pin set does not admit a leaf with another key: only the leaf's key counts
        assertThatThrownBy(() -> ResolverTrust.of("dns.example.net", List.of(), List.of(pin(ca.cert())))
                .checkServerTrusted(chain, "ECDHE_ECDSA")).hasMessageContaining("matches no pin");
    }

    @Test
    void caAndPinMustBothHold() throws Exception {
        assertThatCode(() -> ResolverTrust.of("dns.example.net", List.of(ca.cert()), List.of(pin(server.cert())))
                .checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
        assertThatThrownBy(() -> ResolverTrust.of("dns.example.net", List.of(ca.cert()), List.of(new byte[32]))
                .checkServerTrusted(chain, "ECDHE_ECDSA")).hasMessageContaining("matches no pin");
    }

    @Test
    void noCertificateAndClientChecksAreRefused() {
        ResolverTrust trust = ResolverTrust.of("dns.example.net", List.of(ca.cert()), List.of());
        assertThatThrownBy(() -> trust.checkServerTrusted(new X509Certificate[0], "ECDHE_ECDSA"))
                .hasMessageContaining("no certificate");
        assertThatThrownBy(() -> trust.checkClientTrusted(chain, "ECDHE_ECDSA"))
                .isInstanceOf(CertificateException.class);
        assertThat(trust.getAcceptedIssuers()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({
            "dns.example.net, dns.example.net, true",
            "DNS.Example.NET, dns.example.net., true",
            "*.example.net, dns.example.net, true",
            "*.example.net, a.dns.example.net, false",
            "*.example.net, example.net, false",
            "*.net, example.net, false",
            "d*.example.net, dns.example.net, false",
            "example.net, dns.example.net, false"})
    void dnsNamesMatchExactlyOrByOneLeftmostWildcardLabel(String pattern, String host, boolean matches) {
        assertThat(ResolverTrust.dnsNameMatches(pattern, host)).isEqualTo(matches);
    }
}
