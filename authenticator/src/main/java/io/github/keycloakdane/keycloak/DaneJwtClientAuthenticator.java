package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.core.SafeText;
import io.github.keycloakdane.keycloak.ClientAssertion.PresentedKey;
import io.github.keycloakdane.keycloak.ClientAssertion.Refused;
import org.jboss.logging.Logger;
import org.keycloak.OAuth2Constants;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.ClientAuthenticationFlowContext;
import org.keycloak.common.util.Time;
import org.keycloak.models.ClientModel;
import org.keycloak.protocol.oidc.OIDCLoginProtocolService;
import org.keycloak.services.Urls;

import java.util.List;

/**
 * {@code client-dane-jwt}: authenticates a client by a signed JWT client assertion (RFC 7523) whose key, carried in
 * the JWT's header ({@code x5c} or {@code jwk}) or named there by {@code x5u} as the client's DNS URI (the key in DNS),
 * matches the DNSSEC-signed TLSA records of the client's {@code dane.clientid}. No client certificate and no proxy
 * configuration are involved. Every check that needs no DNS runs first (parse, claims, iss/sub/aud, times, alg, key
 * bounds, signature, a read-only replay check), so a malformed, stale, forged or replayed assertion never causes a
 * query; the {@code jti} is stored only once the whole proof holds (docs/DANE-JWT.md says why).
 */
public class DaneJwtClientAuthenticator extends DaneClientAuthenticatorBase {

    public static final String PROVIDER_ID = "client-dane-jwt";

    private static final DaneMetrics.Authenticator METRICS_TAG = DaneMetrics.Authenticator.CLIENT_DANE_JWT;
    private static final Logger LOG = Logger.getLogger(DaneJwtClientAuthenticator.class);

    @Override
    public void authenticateClient(ClientAuthenticationFlowContext context) {
        String assertionType = DaneNames.formParameter(context.getHttpRequest(), OAuth2Constants.CLIENT_ASSERTION_TYPE);
        String raw = DaneNames.formParameter(context.getHttpRequest(), OAuth2Constants.CLIENT_ASSERTION);
        if (!OAuth2Constants.CLIENT_ASSERTION_TYPE_JWT.equals(assertionType) || raw == null) {
            return; // no JWT assertion: not for us (a client of ours then ends in Keycloak's CLIENT_NOT_FOUND / 401)
        }
        String clientIdParam = DaneNames.formParameter(context.getHttpRequest(), OAuth2Constants.CLIENT_ID);
        ClientAssertion assertion = null;
        Refused malformed = null;
        try {
            assertion = ClientAssertion.parse(raw);
        } catch (Refused e) {
            malformed = e;
        }
        ClientModel client = context.getClient();
        if (client == null) {
            String clientId = clientIdParam != null ? clientIdParam : assertion != null ? assertion.subject() : null;
            client = clientId == null ? null : context.getRealm().getClientByClientId(clientId);
        }
        if (client == null || !PROVIDER_ID.equals(client.getClientAuthenticatorType())) {
            return; // another authenticator's client (client-jwt reads the same parameters), or none
        }
        context.getEvent().client(client);
        context.setClient(client);
        if (!client.isEnabled()) {
            context.failure(AuthenticationFlowError.CLIENT_DISABLED, null);
            return;
        }
        String registered = client.getAttribute(DaneNames.CLIENT_ATTRIBUTE);
        DaneName name = DaneNames.parseOrNull(registered);
        if (name == null) {
            refuse(context, registered, registered == null || registered.isBlank() ? Reason.NOT_ALLOWED
                    : Reason.INVALID_NAME, "client " + client.getClientId() + " has no valid "
                    + DaneNames.CLIENT_ATTRIBUTE);
            return;
        }
        DaneVerifierProvider dane = context.getSession().getProvider(DaneVerifierProvider.class);
        try {
            if (malformed != null) {
                throw malformed;
            }
            if (clientIdParam != null && !clientIdParam.equals(client.getClientId())) {
                throw new Refused(Reason.ISSUER_MISMATCH, "client_id does not name the assertion's client");
            }
            ClientAssertion.KeyForm form = assertion.requireWellFormed();
            assertion.requireIssuer(client.getClientId());
            assertion.requireAudience(audiences(context));
            long now = Time.currentTime();
            assertion.requireCurrent(now, dane.assertionMaxLifetime());
            ClientAssertion.Algorithm alg = assertion.requireAlgorithm();
            PresentedKey key = null;
            if (form == ClientAssertion.KeyForm.X5U) {
                assertion.requireKeyName(name);
            } else {
                key = assertion.requireKey(alg);
                assertion.requireSignature(key, alg);
            }
            // read-only: a replay is refused before DNS; the jti is only stored once the whole proof holds, so that
            // nobody can spend a device's jti with an assertion that fails (a forged one, or one for another key)
            String replayKey = assertion.replayKey(client.getClientId());
            if (context.getSession().singleUseObjects().contains(replayKey)) {
                throw new Refused(Reason.ASSERTION_REPLAYED, "this jti was used before");
            }
            if (dane.clientNameSearchable()) {
                List<ClientModel> carriers = DaneClientAuthenticator.ambiguousCarriers(context, name, client);
                if (!carriers.isEmpty()) {
                    throw new Refused(Reason.AMBIGUOUS_IDENTITY, "clients " + carriers.stream()
                            .map(ClientModel::getClientId).toList() + " carry this name");
                }
            }
            ClientAssertion signed = assertion;
            DaneOutcome outcome = key == null
                    ? dane.verifier().verifyKeyInDns(name, spki -> signed.signedBy(spki, alg))
                    : key.bare() ? dane.verifier().verifyKey(name, key.publicKey().getEncoded())
                    : dane.verifier().verify(name, key.chain(), null);
            // putIfAbsent on the cluster-wide store: of two nodes seeing one assertion, exactly one gets true
            if (outcome.authenticated() && !context.getSession().singleUseObjects().putIfAbsent(replayKey,
                    assertion.replayWindowSeconds(now, dane.assertionMaxLifetime()))) {
                throw new Refused(Reason.ASSERTION_REPLAYED, "this jti was used at the same time");
            }
            finish(context, outcome);
        } catch (Refused r) {
            refuse(context, name.value(), r.reason, r.getMessage());
        }
    }

    /** The DANE check's outcome: success puts the name where the dane scope's mapper finds it. */
    private static void finish(ClientAuthenticationFlowContext context, DaneOutcome outcome) {
        DaneEvents.record(METRICS_TAG, context.getEvent(), outcome);
        if (!outcome.authenticated()) {
            LOG.debugf("client-dane-jwt %s: %s", SafeText.name(context.getClient().getClientId()), outcome);
            context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
            return;
        }
        context.getClientAuthAttributes().put(DaneNames.PARAMETER, outcome.identity());
        context.success();
    }

    /** RFC 7523 §3 item 3: the realm's issuer or its token endpoint, as this request reached Keycloak's frontend. */
    private static List<String> audiences(ClientAuthenticationFlowContext context) {
        String realm = context.getRealm().getName();
        return List.of(Urls.realmIssuer(context.getUriInfo().getBaseUri(), realm),
                OIDCLoginProtocolService.tokenUrl(context.getUriInfo().getBaseUriBuilder()).build(realm).toString());
    }

    private static void refuse(ClientAuthenticationFlowContext context, String identity, Reason reason, String detail) {
        DaneEvents.reject(METRICS_TAG, context.getEvent(), identity, reason, detail);
        // detail carries header text (alg, kty, parser messages): bounded and without control characters, as in events
        LOG.debugf("client-dane-jwt %s: %s (%s)", SafeText.name(context.getClient().getClientId()), reason,
                SafeText.detail(detail));
        context.failure(AuthenticationFlowError.INVALID_CLIENT_CREDENTIALS, invalidClient());
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "DANE (signed JWT, key in TLSA)";
    }

    @Override
    public String getHelpText() {
        return "Authenticates the client by a signed JWT client assertion (RFC 7523) whose key, in the JWT header (x5c "
                + "or jwk), matches the DNSSEC-signed TLSA records of its DNS name (client attribute "
                + DaneNames.CLIENT_ATTRIBUTE + "). Needs no client certificate and nothing from a proxy.";
    }

    @Override
    protected String identityHelpText() {
        return "The client's DNS name (dane_clientid), e.g. sensor8._device.example.com: the owner name of "
                + "its DNSSEC-signed TLSA records, which must match the key in the assertion's header.";
    }
}
