package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.keycloak.client.CarrierIndex;
import org.keycloak.provider.Provider;

/**
 * Gives authenticators the node's shared, thread-safe verifier (resolver, trust anchors, cache) and what the node's
 * own configuration says about where certificates and clients come from, as decided once at start-up.
 */
public interface DaneVerifierProvider extends Provider {

    DaneVerifier verifier();

    /** The verifier's DNS source, for what only diagnostics need: the cache's state, a lookup past the cache. */
    DnsTlsaSource dns();

    /**
     * Why no certificate this node reads can be believed (a header lookup that anyone may feed), or null. While it
     * is set, every DANE authentication is refused with {@code UNTRUSTED_CERTIFICATE_HEADER}.
     */
    String untrustedCertificateSource();

    /** Whether the client attribute {@code dane.clientid} is searchable, so a client can be found by name alone. */
    boolean clientNameSearchable();

    /** This node's index of which clients carry which {@code dane.clientid} (no database query when warm). */
    CarrierIndex carrierIndex();

    /** {@code proxy-identity-header}: where a DANE-aware proxy passes the identity it authenticated, or null. */
    String proxyIdentityHeader();

    /** {@code trust-proxy-identity}: the proxy's identity header is believed without re-verification. */
    boolean trustProxyIdentity();

    /** {@code assertion-max-lifetime}: the longest {@code exp - iat} of a {@code client-dane-jwt} assertion. */
    java.time.Duration assertionMaxLifetime();

    /** The node's bounds on the admin diagnostics: their own lookup slots and a rate per admin and realm. */
    io.github.keycloakdane.keycloak.diagnostics.DiagnosticsGuard diagnostics();

    @Override
    default void close() {
        // the verifier belongs to the factory and outlives every session
    }
}
