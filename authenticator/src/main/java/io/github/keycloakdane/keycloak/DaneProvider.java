package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneVerifier;
import org.keycloak.provider.Provider;

/** Gives authenticators the node's shared, thread-safe verifier (resolver, trust anchors, cache). */
public interface DaneProvider extends Provider {

    DaneVerifier verifier();

    @Override
    default void close() {
        // the verifier belongs to the factory and outlives every session
    }
}
