package io.github.keycloakdane.keycloak;

import org.keycloak.Config;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;

/** A provider factory with no configuration and nothing to start or stop: Keycloak's lifecycle calls are no-ops. */
public interface StatelessProviderFactory<T extends Provider> extends ProviderFactory<T> {

    @Override
    default void init(Config.Scope config) {
    }

    @Override
    default void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    default void close() {
    }
}
