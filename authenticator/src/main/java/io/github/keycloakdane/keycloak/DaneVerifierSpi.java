package io.github.keycloakdane.keycloak;

import org.keycloak.provider.Provider;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.provider.Spi;

/**
 * The server-wide DANE settings, configured the Keycloak way: {@code --spi-dane--default--OPTION=VALUE}.
 * Its one provider ({@code default}) holds the node's single shared {@link io.github.keycloakdane.core.DaneVerifier}.
 */
public class DaneVerifierSpi implements Spi {

    public static final String NAME = "dane";

    @Override
    public boolean isInternal() {
        return false;
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public Class<? extends Provider> getProviderClass() {
        return DaneVerifierProvider.class;
    }

    @Override
    public Class<? extends ProviderFactory> getProviderFactoryClass() {
        return DaneVerifierProviderFactory.class;
    }
}
