package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.settings.ServerOption;

import java.util.List;
import java.util.Set;

/**
 * What the node's own Keycloak configuration means for DANE, decided once at start-up from plain values so that it
 * can be tested without a server.
 */
final class DeploymentChecks {

    /** Keycloak's own lookup: the certificate of the TLS connection Keycloak itself terminates, never a header. */
    static final String TLS_LOOKUP = "default";

    /** The x509cert-lookup providers of Keycloak 26.7 known to read the certificate from a request header. */
    static final Set<String> KNOWN_HEADER_LOOKUPS = Set.of("nginx", "haproxy", "apache", "traefik", "envoy",
            "rfc9440");

    static final String PROXY_TRUSTED_ADDRESSES = "--proxy-trusted-addresses";

    private DeploymentChecks() {
    }

    /**
     * Whether the lookup may read the certificate from a request header: every lookup but Keycloak's own
     * {@value #TLS_LOOKUP}, unless the admin declares it headerless ({@code headerless-certificate-lookups}). An
     * unknown (third-party) lookup is believed to be header-based, so a header nobody vouches for fails closed.
     */
    static boolean isHeaderLookup(String lookupId, Set<String> headerless) {
        return lookupId != null && !TLS_LOOKUP.equals(lookupId) && !headerless.contains(lookupId);
    }

    /**
     * Why {@code headerless-certificate-lookups} cannot be believed as configured, or null: a lookup of Keycloak's
     * that reads a header cannot be declared headerless (that would switch the check below off for it).
     */
    static String impossibleHeaderlessLookups(Set<String> headerless) {
        List<String> known = headerless.stream().filter(KNOWN_HEADER_LOOKUPS::contains).sorted().toList();
        if (known.isEmpty()) {
            return null;
        }
        return ServerOption.HEADERLESS_CERTIFICATE_LOOKUPS.spiOption() + ": " + String.join(", ", known)
                + (known.size() == 1 ? " reads" : " read") + " the client certificate from a request header";
    }

    /**
     * Why no certificate this node reads can be believed, or null. A header lookup believes the header from whoever
     * sends it when {@code proxy-trusted-addresses} is unset (Keycloak then trusts every sender as a proxy): anyone
     * who reaches Keycloak directly can present any public certificate, which for DANE-EE is an impersonation with
     * nothing but the device's public certificate.
     *
     * @param lookupId         the active x509cert-lookup provider
     * @param headerless       the lookups the admin declares headerless ({@code headerless-certificate-lookups})
     * @param trustedAddresses the value of {@code proxy-trusted-addresses}, or null when unset
     * @param acknowledged     the operator set {@code allow-untrusted-certificate-header=true}
     */
    static String untrustedCertificateSource(String lookupId, Set<String> headerless, String trustedAddresses,
                                             boolean acknowledged) {
        if (acknowledged || !isHeaderLookup(lookupId, headerless)
                || (trustedAddresses != null && !trustedAddresses.isBlank())) {
            return null;
        }
        String which = KNOWN_HEADER_LOOKUPS.contains(lookupId) ? "reads the client certificate from a request header"
                : "is not Keycloak's own TLS lookup, so it is taken to read the client certificate from a request"
                + " header (if it does not, declare it with "
                + ServerOption.HEADERLESS_CERTIFICATE_LOOKUPS.spiOption() + "=" + lookupId + ")";
        return "the x509cert-lookup '" + lookupId + "' " + which + ", but "
                + PROXY_TRUSTED_ADDRESSES + " is not set, so Keycloak believes that header from anyone who can reach"
                + " it: set " + PROXY_TRUSTED_ADDRESSES + " to the proxy's addresses, or acknowledge with "
                + ServerOption.ALLOW_UNTRUSTED_CERTIFICATE_HEADER.spiOption() + "=true (only when"
                + " nothing but the proxy can reach Keycloak)";
    }

    /**
     * Why the DANE-aware proxy's identity header cannot be used as configured, or null. Keycloak treats every sender
     * as a trusted proxy while {@code proxy-trusted-addresses} is unset, so the header would let anyone who reaches
     * Keycloak assert any identity: a configuration error that stops the server, not a warning.
     *
     * @param identityHeader   {@code proxy-identity-header}, or null when unset
     * @param trustedAddresses the value of {@code proxy-trusted-addresses}, or null when unset
     */
    static String untrustedIdentityHeader(String identityHeader, String trustedAddresses) {
        if (identityHeader == null || (trustedAddresses != null && !trustedAddresses.isBlank())) {
            return null;
        }
        return ServerOption.PROXY_IDENTITY_HEADER.spiOption() + " needs " + PROXY_TRUSTED_ADDRESSES
                + " (the DANE-aware proxy's addresses): without it Keycloak believes the header " + identityHeader
                + " from anyone who can reach it";
    }

    /**
     * Whether the JPA client store lets {@code attribute} be searched: the {@code searchable-attributes} option of
     * the {@code client} SPI's {@code jpa} provider, or the system property Keycloak falls back to.
     */
    static boolean clientAttributeSearchable(String[] configured, String systemProperty, String attribute) {
        if (configured == null && systemProperty != null) {
            configured = systemProperty.split(",");
        }
        if (configured == null) {
            return false;
        }
        for (String a : configured) {
            if (a != null && a.strip().equals(attribute)) {
                return true;
            }
        }
        return false;
    }
}
