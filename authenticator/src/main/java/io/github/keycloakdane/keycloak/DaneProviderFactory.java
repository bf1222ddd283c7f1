package io.github.keycloakdane.keycloak;

import org.keycloak.provider.ProviderFactory;

public interface DaneProviderFactory extends ProviderFactory<DaneProvider> {
}
