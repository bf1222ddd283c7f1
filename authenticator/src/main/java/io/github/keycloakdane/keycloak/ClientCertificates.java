package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.SafeText;
import org.jboss.logging.Logger;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.x509.X509ClientCertificateLookup;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The client's certificate chain (leaf first) through Keycloak's own {@code x509cert-lookup} SPI: nginx, haproxy,
 * apache, traefik, envoy, rfc9440 or the TLS layer itself. Proxy headers are never parsed here.
 */
final class ClientCertificates {

    private static final Logger LOG = Logger.getLogger(ClientCertificates.class);

    private ClientCertificates() {
    }

    /** The chain, or an empty list when there is none or it cannot be read (never an exception). */
    static List<X509Certificate> chain(KeycloakSession session) {
        X509ClientCertificateLookup lookup = session.getProvider(X509ClientCertificateLookup.class);
        if (lookup == null) {
            LOG.warn("DANE: no x509cert-lookup provider is available; configure --spi-x509cert-lookup--provider");
            return List.of();
        }
        try {
            X509Certificate[] certs = lookup.getCertificateChain(session.getContext().getHttpRequest());
            return certs == null ? List.of() : Arrays.stream(certs).filter(Objects::nonNull).toList();
        } catch (GeneralSecurityException | RuntimeException e) {
            // the message may quote the header it failed on: bounded and without control characters
            LOG.debugf("DANE: the client certificate could not be read: %s", SafeText.detail(String.valueOf(e)));
            return List.of();
        }
    }
}
