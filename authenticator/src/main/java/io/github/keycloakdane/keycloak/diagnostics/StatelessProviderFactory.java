package io.github.keycloakdane.keycloak.diagnostics;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSessionFactory;

/** The lifecycle of a provider factory that keeps no state: nothing to read at start, nothing to close. */
abstract class StatelessProviderFactory {

    public void init(Config.Scope config) {
    }

    public void postInit(KeycloakSessionFactory factory) {
    }

    public void close() {
    }
}
