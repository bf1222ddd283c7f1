package io.github.keycloakdane.keycloak;

import org.keycloak.provider.ProviderFactory;

public interface DaneVerifierProviderFactory extends ProviderFactory<DaneVerifierProvider> {
}
