package io.github.keycloakdane.keycloak.diagnostics;

import io.github.keycloakdane.keycloak.StatelessProviderFactory;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.resource.RealmResourceProvider;
import org.keycloak.services.resource.RealmResourceProviderFactory;

/**
 * Keycloak's realm-restapi-extension SPI: the DANE console page at {@code /realms/{realm}/dane-console/}. The page
 * itself is public (static HTML and JavaScript); the data comes from the admin resource of
 * {@link DaneDiagnosticsProviderFactory}, with a token the page gets by the realm's own login (see
 * {@link DaneConsoleResource}).
 */
public class DaneConsoleProviderFactory
        implements RealmResourceProviderFactory, StatelessProviderFactory<RealmResourceProvider> {

    /** The path segment under {@code /realms/{realm}/}, and the client id the page signs in with. */
    public static final String PROVIDER_ID = "dane-console";

    @Override
    public RealmResourceProvider create(KeycloakSession session) {
        return new RealmResourceProvider() {
            @Override
            public Object getResource() {
                return new DaneConsoleResource(session);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }
}
