package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.keycloak.client.ClientCarriers;
import io.github.keycloakdane.settings.ServerOption;
import jakarta.ws.rs.core.HttpHeaders;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.models.ClientModel;
import org.keycloak.util.BasicAuthHelper;

import java.util.List;

/**
 * {@code client-dane}: authenticates a client (no secret) by the DANE identity in its attribute {@code dane.clientid}.
 * Registering the name on a client is what admits it: a name no client carries never causes a DNS query.
 */
public class DaneClientAuthenticator extends DaneClientAuthenticatorBase {

    private static final DaneMetrics.Authenticator METRICS_TAG = DaneMetrics.Authenticator.CLIENT_DANE;

    public static final String PROVIDER_ID = "client-dane";

    private static final Logger LOG = Logger.getLogger(DaneClientAuthenticator.class);

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        String clientId = DaneNames.formParameter(context.getHttpRequest(), OAuth2Constants.CLIENT_ID);
        if (clientId == null) {
            clientId = basicAuthUser(context);
        }
        String claimed = DaneNames.formParameter(context.getHttpRequest(), DaneNames.PARAMETER);
        DaneVerifierProvider dane = context.getSession().getProvider(DaneVerifierProvider.class);
        // a DANE-aware proxy's assertion: the identity it authenticated in the TLS handshake
        String asserted = dane.proxyIdentityHeader() == null ? null
                : context.getHttpRequest().getHttpHeaders().getHeaderString(dane.proxyIdentityHeader());
        boolean assertedByStranger = asserted != null && !context.getHttpRequest().isProxyTrusted();
        String nameToFind = claimed != null ? claimed : assertedByStranger ? null : asserted;

        ClientModel client = context.getClient();
        boolean foundByName = false;
        if (client == null && clientId != null) {
            client = context.getRealm().getClientByClientId(clientId);
        } else if (client == null && nameToFind != null) {
            client = clientByDaneName(context, dane, nameToFind);
            foundByName = true; // the one carrier of the name: no second search below
            if (client == null) {
                // With no client known, the flow ends in CLIENT_NOT_FOUND, which Keycloak answers with 401
                // invalid_client; the event keeps the details clientByDaneName left.
                return;
            }
        }
        if (client == null) {
            if (assertedByStranger) {
                refuse(context, asserted, Reason.UNTRUSTED_IDENTITY_HEADER, untrustedIdentityHeader(dane));
            }
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
        if (assertedByStranger) {
            refuse(context, asserted, Reason.UNTRUSTED_IDENTITY_HEADER, untrustedIdentityHeader(dane));
            return;
        }
        String registered = client.getAttribute(DaneNames.CLIENT_ATTRIBUTE);
        if (registered == null || registered.isBlank()) {
            refuse(context, null, Reason.NOT_ALLOWED, "client " + client.getClientId() + " has no "
                    + DaneNames.CLIENT_ATTRIBUTE);
            return;
        }
        DaneName name = DaneNames.parseOrNull(registered);
        if (name == null) {
            refuse(context, registered, Reason.INVALID_NAME, "the " + DaneNames.CLIENT_ATTRIBUTE + " of client "
                    + client.getClientId() + " is not a valid name");
            return;
        }
        if (claimed != null && !name.equals(DaneNames.parseOrNull(claimed))) {
            refuse(context, claimed, Reason.CLIENT_MISMATCH,
                    DaneNames.PARAMETER + " does not belong to client " + client.getClientId());
            return;
        }
        if (asserted != null && !name.equals(DaneNames.parseOrNull(asserted))) {
            refuse(context, asserted, Reason.CLIENT_MISMATCH, "the identity the proxy asserts in "
                    + dane.proxyIdentityHeader() + " does not belong to client " + client.getClientId());
            return;
        }
        if (dane.untrustedCertificateSource() != null) {
            refuse(context, name.value(), Reason.UNTRUSTED_CERTIFICATE_HEADER, dane.untrustedCertificateSource());
            return;
        }
        if (dane.clientNameSearchable() && !foundByName) {
            List<ClientModel> carriers = ambiguousCarriers(context, name, client);
            if (!carriers.isEmpty()) {
                refuseAmbiguous(context, name, carriers);
                return;
            }
        }
        if (asserted != null && dane.trustProxyIdentity()) {
            acceptProxyAssertion(context, dane, name);
            return;
        }
        DaneOutcome outcome = dane.verifier().verify(name, ClientCertificates.chain(context.getSession()), null);
        DaneEvents.record(METRICS_TAG, context.getEvent(), outcome);
        if (!outcome.authenticated()) {
            LOG.debugf("client-dane %s: %s", client.getClientId(), outcome);
            context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
            return;
        }
        context.getClientAuthAttributes().put(DaneNames.PARAMETER, outcome.identity());
        context.success();
    }

    /**
     * {@code trust-proxy-identity}: the proxy checked DANE in the handshake and the operator believes it fully, so no
     * certificate is read and no DNS query made here; the server allow list still applies.
     */
    private static void acceptProxyAssertion(ClientAuthenticationFlowContext context, DaneVerifierProvider dane,
                                             DaneName name) {
        if (!dane.verifier().allowList().admits(name)) {
            refuse(context, name.value(), Reason.NOT_ALLOWED, name + " is not on the server allow list");
            return;
        }
        DaneEvents.reject(METRICS_TAG, context.getEvent(), name.value(), Reason.OK, "asserted by the trusted proxy in "
                + dane.proxyIdentityHeader() + ", not re-verified (" + ServerOption.TRUST_PROXY_IDENTITY.key + ")");
        context.getClientAuthAttributes().put(DaneNames.PARAMETER, name.value());
        context.success();
    }

    private static String untrustedIdentityHeader(DaneVerifierProvider dane) {
        return dane.proxyIdentityHeader() + " came from an address outside --proxy-trusted-addresses";
    }

    /**
     * The one client whose {@code dane.clientid} is the claimed name, or null with the reason in the event. Every
     * cheap refusal comes first (syntax, the server allow list), and the search is a database query on the indexed
     * attribute or nothing at all: an unauthenticated request never makes Keycloak walk a realm's clients.
     */
    private static ClientModel clientByDaneName(ClientAuthenticationFlowContext context, DaneVerifierProvider dane,
                                                String claimed) {
        DaneName name;
        try {
            name = DaneName.parse(claimed);
        } catch (InvalidNameException e) {
            DaneEvents.reject(METRICS_TAG, context.getEvent(), claimed, Reason.INVALID_NAME, e.getMessage());
            return null;
        }
        if (!dane.verifier().allowList().admits(name)) {
            DaneEvents.reject(METRICS_TAG, context.getEvent(), name.value(), Reason.NOT_ALLOWED,
                    name + " is not on the server allow list");
            return null;
        }
        if (!dane.clientNameSearchable()) {
            DaneEvents.reject(METRICS_TAG, context.getEvent(), name.value(), Reason.NAME_SEARCH_DISABLED, "clients can be found by "
                    + DaneNames.PARAMETER + " alone only when " + DaneNames.CLIENT_ATTRIBUTE
                    + " is searchable (--spi-client--jpa--searchable-attributes); send client_id");
            return null;
        }
        List<ClientModel> clients = clientsCarrying(context, name);
        if (clients.isEmpty()) {
            DaneEvents.reject(METRICS_TAG, context.getEvent(), name.value(), Reason.NOT_ALLOWED,
                    "no client has this " + DaneNames.CLIENT_ATTRIBUTE);
            return null;
        }
        if (clients.size() > 1) {
            refuseAmbiguous(context, name, clients);
            return null;
        }
        return clients.get(0);
    }

    /**
     * At most two clients carrying the name (one is the answer; two is a collision): from this node's carrier index
     * when warm, else one indexed query.
     */
    private static List<ClientModel> clientsCarrying(ClientAuthenticationFlowContext context, DaneName name) {
        return ClientCarriers.carrying(context.getSession(), context.getRealm(), name,
                context.getSession().getProvider(DaneVerifierProvider.class).carrierIndex());
    }

    /**
     * When {@code client} is not the only client carrying the name: the carriers, {@code client} among them (two clients
     * with one name authenticate neither); else empty.
     */
    static List<ClientModel> ambiguousCarriers(ClientAuthenticationFlowContext context, DaneName name,
                                               ClientModel client) {
        List<ClientModel> carriers = clientsCarrying(context, name);
        if (carriers.stream().allMatch(c -> c.getId().equals(client.getId()))) {
            return List.of();
        }
        return carriers.size() == 1 ? List.of(client, carriers.get(0)) : carriers;
    }

    private static void refuseAmbiguous(ClientAuthenticationFlowContext context, DaneName name,
                                        List<ClientModel> clients) {
        String ids = clients.stream().map(ClientModel::getClientId).toList().toString();
        LOG.warnf("client-dane: clients %s of realm %s all carry %s %s; none can authenticate with it until only"
                + " one does", ids, context.getRealm().getName(), DaneNames.CLIENT_ATTRIBUTE, name);
        refuse(context, name.value(), Reason.AMBIGUOUS_IDENTITY, "clients " + ids + " all carry this name");
    }

    private static void refuse(ClientAuthenticationFlowContext context, String identity, Reason reason, String detail) {
        DaneEvents.reject(METRICS_TAG, context.getEvent(), identity, reason, detail);
        if (context.getClient() != null) {
            context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
        }
    }

    private static String basicAuthUser(ClientAuthenticationFlowContext context) {
        String header = context.getHttpRequest().getHttpHeaders().getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            return null;
        }
        String[] userAndSecret = BasicAuthHelper.RFC6749.parseHeader(header);
        return userAndSecret == null ? null : userAndSecret[0];
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
        return "Authenticates the client by its DNS name (client attribute " + DaneNames.CLIENT_ATTRIBUTE + "): the client "
                + "certificate presented over TLS must match the name's DNSSEC-signed TLSA records (DANE, IETF DANCE).";
    }

    @Override
    protected String identityHelpText() {
        return "The client's DNS name (dane_clientid), e.g. sensor7._device.example.com: the owner name of "
                + "its DNSSEC-signed TLSA records. Stored in normal form (lower case, no trailing dot); one client per name.";
    }
}
