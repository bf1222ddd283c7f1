package io.github.keycloakdane.keycloak;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class DeploymentChecksTest {

    private static final Set<String> NONE = Set.of();

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "haproxy", "apache", "traefik", "envoy", "rfc9440"})
    void aHeaderLookupWithoutTrustedProxyAddressesIsRefusedAndTheMessageNamesBothOptions(String lookup) {
        String why = DeploymentChecks.untrustedCertificateSource(lookup, NONE, null, false);

        assertThat(why).contains("'" + lookup + "'", "--proxy-trusted-addresses",
                "--spi-dane--default--allow-untrusted-certificate-header=true");
        assertThat(DeploymentChecks.untrustedCertificateSource(lookup, NONE, " ", false)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"nginx", "rfc9440"})
    void trustedAddressesOrAnExplicitAcknowledgementLetTheHeaderIn(String lookup) {
        assertThat(DeploymentChecks.untrustedCertificateSource(lookup, NONE, "10.0.0.5,10.0.1.0/24", false)).isNull();
        assertThat(DeploymentChecks.untrustedCertificateSource(lookup, NONE, null, true)).isNull();
    }

    @Test
    void keycloaksOwnTlsNeedsNoProxyTrust() {
        assertThat(DeploymentChecks.untrustedCertificateSource("default", NONE, null, false)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"acme-header", "x509-envoy-xfcc", "nginx2", "Default"})
    void aLookupKeycloakDoesNotShipIsTakenToReadAHeaderAndRefusedWithoutTrustedProxyAddresses(String lookup) {
        String why = DeploymentChecks.untrustedCertificateSource(lookup, NONE, null, false);

        assertThat(why).contains("'" + lookup + "'", "--proxy-trusted-addresses",
                "--spi-dane--default--allow-untrusted-certificate-header=true",
                "--spi-dane--default--headerless-certificate-lookups=" + lookup);
        assertThat(DeploymentChecks.isHeaderLookup(lookup, NONE)).isTrue();
        assertThat(DeploymentChecks.untrustedCertificateSource(lookup, NONE, "10.0.0.5", false)).isNull();
        assertThat(DeploymentChecks.untrustedCertificateSource(lookup, NONE, null, true)).isNull();
    }

    @Test
    void aLookupTheAdminDeclaresHeaderlessNeedsNoProxyTrust() {
        Set<String> declared = Set.of("acme-tls", "other");

        assertThat(DeploymentChecks.untrustedCertificateSource("acme-tls", declared, null, false)).isNull();
        assertThat(DeploymentChecks.isHeaderLookup("acme-tls", declared)).isFalse();
        assertThat(DeploymentChecks.untrustedCertificateSource("acme-header", declared, null, false))
                .as("only the declared ids").isNotNull();
        assertThat(DeploymentChecks.isHeaderLookup(null, NONE)).as("no lookup at all").isFalse();
    }

    @Test
    void keycloaksOwnHeaderLookupsCannotBeDeclaredHeaderless() {
        assertThat(DeploymentChecks.impossibleHeaderlessLookups(Set.of("acme-tls", "nginx", "envoy")))
                .contains("--spi-dane--default--headerless-certificate-lookups", "envoy, nginx");
        assertThat(DeploymentChecks.impossibleHeaderlessLookups(Set.of("acme-tls", "default"))).isNull();
        assertThat(DeploymentChecks.impossibleHeaderlessLookups(NONE)).isNull();
    }

    @Test
    void aProxyIdentityHeaderNeedsTrustedProxyAddresses() {
        String why = DeploymentChecks.untrustedIdentityHeader("X-Dane-Authenticated", null);

        assertThat(why).contains("--spi-dane--default--proxy-identity-header", "--proxy-trusted-addresses",
                "X-Dane-Authenticated");
        assertThat(DeploymentChecks.untrustedIdentityHeader("X-Dane-Authenticated", " ")).isNotNull();
        assertThat(DeploymentChecks.untrustedIdentityHeader("X-Dane-Authenticated", "10.0.0.5")).isNull();
        assertThat(DeploymentChecks.untrustedIdentityHeader(null, null)).isNull();
    }

    @Test
    void theSearchableAttributeIsReadFromTheOptionOrKeycloaksSystemProperty() {
        assertThat(DeploymentChecks.clientAttributeSearchable(new String[] {"x", " dane.clientid "}, null,
                "dane.clientid")).isTrue();
        assertThat(DeploymentChecks.clientAttributeSearchable(new String[] {"x"}, "dane.clientid", "dane.clientid"))
                .as("the option, when set, wins over the system property").isFalse();
        assertThat(DeploymentChecks.clientAttributeSearchable(null, "a,dane.clientid", "dane.clientid")).isTrue();
        assertThat(DeploymentChecks.clientAttributeSearchable(null, null, "dane.clientid")).isFalse();
        assertThat(DeploymentChecks.clientAttributeSearchable(new String[] {"dane.clientid2"}, null, "dane.clientid"))
                .isFalse();
    }
}
