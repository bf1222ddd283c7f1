package io.github.keycloakdane.keycloak.diagnostics;

import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.services.resources.admin.AdminEventBuilder;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProvider;
import org.keycloak.services.resources.admin.ext.AdminRealmResourceProviderFactory;

/**
 * Keycloak's admin-realm-restapi-extension SPI: the resource is served at {@code /admin/realms/{realm}/dane}, behind
 * Keycloak's own admin authentication (a token of the realm or of master), with the caller's permissions at hand.
 */
public class DaneDiagnosticsProviderFactory extends StatelessProviderFactory
        implements AdminRealmResourceProviderFactory {

    /** The path segment under {@code /admin/realms/{realm}/}. */
    public static final String PROVIDER_ID = "dane";

    @Override
    public AdminRealmResourceProvider create(KeycloakSession session) {
        return new AdminRealmResourceProvider() {
            @Override
            public Object getResource(KeycloakSession s, RealmModel realm, AdminPermissionEvaluator auth,
                                      AdminEventBuilder adminEvent) {
                return new DaneDiagnosticsResource(s, realm, auth);
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
