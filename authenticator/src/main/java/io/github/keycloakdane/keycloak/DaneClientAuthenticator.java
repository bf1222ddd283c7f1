package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.Reason;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.authentication.authenticators.client.AbstractClientAuthenticator;
import org.keycloak.authentication.authenticators.client.ClientAuthUtil;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelException;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.util.BasicAuthHelper;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code client-dane}: authenticates a client (no secret) by the DANE identity in its attribute {@code dane.clientid}.
 * Registering the name on a client is what admits it: a name no client carries never causes a DNS query.
 */
public class DaneClientAuthenticator extends AbstractClientAuthenticator {

    public static final String PROVIDER_ID = "client-dane";
    /** The client attribute holding the client's DANE identity. */
    public static final String CLIENT_ATTRIBUTE = "dane.clientid";
    /** The request-body parameter a client may identify itself with instead of client_id. */
    public static final String PARAM = "dane_clientid";
    /** The client-auth attribute, copied into a user-session note of the same name. */
    public static final String SESSION_NOTE = "dane_clientid";

    private static final Logger LOG = Logger.getLogger(DaneClientAuthenticator.class);
    private static volatile boolean searchWarningLogged;

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        MultivaluedMap<String, String> form = formParameters(context);
        String clientId = form == null ? null : form.getFirst(OAuth2Constants.CLIENT_ID);
        if (clientId == null) {
            clientId = basicAuthUser(context);
        }
        String claimed = form == null ? null : form.getFirst(PARAM);

        ClientModel client = context.getClient();
        if (client == null && clientId != null) {
            client = context.getRealm().getClientByClientId(clientId);
        } else if (client == null && claimed != null) {
            client = clientByDaneName(context, claimed);
            if (client == null) {
                // Nobody registered this name: no DNS query. With no client known, the flow ends in
                // CLIENT_NOT_FOUND, which Keycloak answers with 401 invalid_client; the event keeps these details.
                DaneEvents.reject(context.getEvent(), claimed, Reason.NOT_ALLOWED.name(), "no client has this " + CLIENT_ATTRIBUTE);
                return;
            }
        }
        if (client == null) {
            return; // neither client_id nor dane_clientid: not for us
        }
        context.getEvent().client(client);
        context.setClient(client);
        if (!PROVIDER_ID.equals(client.getClientAuthenticatorType())) {
            return; // another authenticator's client: only its own result counts
        }
        if (!client.isEnabled()) {
            context.failure(AuthenticationFlowError.CLIENT_DISABLED, null);
            return;
        }
        String registered = client.getAttribute(CLIENT_ATTRIBUTE);
        if (registered == null || registered.isBlank()) {
            DaneEvents.reject(context.getEvent(), null, Reason.NOT_ALLOWED.name(),
                    "client " + client.getClientId() + " has no " + CLIENT_ATTRIBUTE);
            context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
            return;
        }
        if (claimed != null && !sameName(claimed, registered)) {
            DaneEvents.reject(context.getEvent(), claimed, "CLIENT_MISMATCH",
                    "dane_clientid does not belong to client " + client.getClientId());
            context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
            return;
        }
        DaneOutcome outcome = context.getSession().getProvider(DaneProvider.class).verifier()
                .verify(registered, ClientCertificates.chain(context.getSession()));
        DaneEvents.record(context.getEvent(), outcome);
        if (!outcome.authenticated()) {
            LOG.debugf("client-dane %s: %s", client.getClientId(), outcome);
            context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
            return;
        }
        context.getClientAuthAttributes().put(SESSION_NOTE, outcome.identity());
        context.success();
    }

    private static ClientModel clientByDaneName(ClientAuthenticationFlowContext context, String claimed) {
        String name;
        try {
            name = DaneName.parse(claimed).value();
        } catch (InvalidNameException e) {
            return null;
        }
        List<ClientModel> clients;
        try {
            clients = context.getSession().clients()
                    .searchClientsByAttributes(context.getRealm(), Map.of(CLIENT_ATTRIBUTE, name), 0, 2).toList();
        } catch (ModelException e) {
            // Keycloak searches only the client attributes an operator declared searchable. Without that, scan the
            // realm's clients: correct, but linear in their number, so say once how to make it an indexed query.
            if (!searchWarningLogged) {
                searchWarningLogged = true;
                LOG.warnf("client-dane: finding clients by dane_clientid alone scans every client of the realm; start"
                        + " Keycloak with --spi-client--jpa--searchable-attributes=%s to make it a database query"
                        + " (%s)", CLIENT_ATTRIBUTE, e.getMessage());
            }
            clients = context.getSession().clients().getClientsStream(context.getRealm())
                    .filter(c -> name.equals(c.getAttribute(CLIENT_ATTRIBUTE))).limit(2).toList();
        }
        return clients.size() == 1 ? clients.get(0) : null; // one name, one client: two is a misconfiguration
    }

    private static boolean sameName(String a, String b) {
        try {
            return DaneName.parse(a).equals(DaneName.parse(b));
        } catch (InvalidNameException e) {
            return false;
        }
    }

    private static MultivaluedMap<String, String> formParameters(ClientAuthenticationFlowContext context) {
        MediaType type = context.getHttpRequest().getHttpHeaders().getMediaType();
        return type != null && type.isCompatible(MediaType.APPLICATION_FORM_URLENCODED_TYPE)
                ? context.getHttpRequest().getDecodedFormParameters() : null;
    }

    private static String basicAuthUser(ClientAuthenticationFlowContext context) {
        String header = context.getHttpRequest().getHttpHeaders().getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            return null;
        }
        String[] userAndSecret = BasicAuthHelper.RFC6749.parseHeader(header);
        return userAndSecret == null ? null : userAndSecret[0];
    }

    private static Response invalidClient() {
        return ClientAuthUtil.errorResponse(Response.Status.UNAUTHORIZED.getStatusCode(), "invalid_client",
                "Invalid client or Invalid client credentials");
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "DANE (TLSA in DNSSEC)";
    }

    @Override
    public String getHelpText() {
        return "Authenticates the client by its DNS name (client attribute " + CLIENT_ATTRIBUTE + "): the client "
                + "certificate presented over TLS must match the name's DNSSEC-signed TLSA records (DANE, IETF DANCE).";
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
                .property().name(CLIENT_ATTRIBUTE).label("DANE client identity")
                .type(ProviderConfigProperty.STRING_TYPE)
                .helpText("The client's DNS name (dane_clientid), e.g. sensor7._device.example.com: the owner name of "
                        + "its DNSSEC-signed TLSA records.")
                .add().build();
    }

    @Override
    public Map<String, Object> getAdapterConfiguration(KeycloakSession session, ClientModel client) {
        return Collections.emptyMap();
    }

    @Override
    public Set<String> getProtocolAuthenticatorMethods(String loginProtocol) {
        // No OAuth token_endpoint_auth_method is registered for DANE yet: advertise none rather than invent one.
        return Collections.emptySet();
    }
}
