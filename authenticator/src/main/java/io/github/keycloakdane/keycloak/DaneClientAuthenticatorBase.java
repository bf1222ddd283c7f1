package io.github.keycloakdane.keycloak;

import jakarta.ws.rs.core.Response;
import org.keycloak.authentication.authenticators.client.AbstractClientAuthenticator;
import org.keycloak.authentication.authenticators.client.ClientAuthUtil;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code client-dane} and {@code client-dane-jwt} share as Keycloak client authenticators: no execution
 * configuration, one per-client field (the client's DNS name, {@value DaneNames#CLIENT_ATTRIBUTE}), no adapter
 * configuration, no advertised OAuth method, and the one 401 they answer with.
 */
abstract class DaneClientAuthenticatorBase extends AbstractClientAuthenticator {

    /** The help text of the "DANE client identity" field on the client's Credentials tab. */
    protected abstract String identityHelpText();

    /** RFC 6749 §5.2 {@code invalid_client}, as Keycloak's own client authenticators answer. */
    protected static Response invalidClient() {
        return ClientAuthUtil.errorResponse(Response.Status.UNAUTHORIZED.getStatusCode(), "invalid_client",
                "Invalid client or Invalid client credentials");
    }

    @Override
    public boolean isConfigurable() {
        return false;
    }

    @Override
    public AuthenticationExecutionModel.Requirement[] getRequirementChoices() {
        return REQUIREMENT_CHOICES;
    }

    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return Collections.emptyList();
    }

    @Override
    public List<ProviderConfigProperty> getConfigPropertiesPerClient() {
        return ProviderConfigurationBuilder.create()
                .property().name(DaneNames.CLIENT_ATTRIBUTE).label("DANE client identity")
                .type(ProviderConfigProperty.STRING_TYPE).helpText(identityHelpText())
                .add().build();
    }

    @Override
    public Map<String, Object> getAdapterConfiguration(KeycloakSession session, ClientModel client) {
        return Collections.emptyMap();
    }

    /**
     * None: no OAuth {@code token_endpoint_auth_method} is registered for DANE, and client-dane-jwt is
     * {@code private_key_jwt} on the wire, which client-jwt already advertises (claiming it too would make dynamic
     * registration's choice of authenticator ambiguous).
     */
    @Override
    public Set<String> getProtocolAuthenticatorMethods(String loginProtocol) {
        return Collections.emptySet();
    }
}
