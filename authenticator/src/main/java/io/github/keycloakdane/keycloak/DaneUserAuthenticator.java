package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.Reason;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.authentication.AuthenticationFlowError;
import org.keycloak.authentication.Authenticator;
import org.keycloak.events.Errors;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.representations.idm.OAuth2ErrorRepresentation;
import org.keycloak.sessions.AuthenticationSessionModel;

import java.security.cert.X509Certificate;
import java.util.List;

/**
 * {@code auth-dane}: authenticates a user by the DANE identity of the device they log in from, in browser and
 * direct-grant flows. Order: server settings → execution settings → a certificate is present → name → allow lists →
 * exactly one enabled user → DNS → match. The certificate comes before the name so that the page a person without
 * one sees never depends on whether a name maps to a user; unknown and ambiguous names cost no DNS query.
 */
public class DaneUserAuthenticator implements Authenticator {

    private static final DaneMetrics.Authenticator METRICS_TAG = DaneMetrics.Authenticator.AUTH_DANE;

    static final String LOGIN_TEMPLATE = "dane-login.ftl";
    static final String CONFIRM_TEMPLATE = "dane-confirm.ftl";
    private static final String VERIFIED_NAME = "dane.verified-name";
    private static final String VERIFIED_USER = "dane.verified-user";
    private static final String DIRECT_GRANT_FLOW_PATH = "token";
    private static final Logger LOG = Logger.getLogger(DaneUserAuthenticator.class);

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        start(context, false);
    }

    /** The steps up to the name's verification; {@code formSubmitted}: the login form's POST, so no new form. */
    private void start(AuthenticationFlowContext context, boolean formSubmitted) {
        DaneUserAuthenticatorConfig config = DaneUserAuthenticatorConfig.from(context.getAuthenticatorConfig());
        DaneVerifierProvider dane = context.getSession().getProvider(DaneVerifierProvider.class);
        if (dane.untrustedCertificateSource() != null) {
            reject(context, null, Reason.UNTRUSTED_CERTIFICATE_HEADER, dane.untrustedCertificateSource(),
                    AuthenticationFlowError.INVALID_CREDENTIALS, "daneAuthFailed");
            return;
        }
        if (config.isInvalid()) {
            reject(context, null, Reason.INVALID_CONFIG, config.invalidBecause(),
                    AuthenticationFlowError.INTERNAL_ERROR, "daneAuthFailed");
            return;
        }
        List<X509Certificate> chain = ClientCertificates.chain(context.getSession());
        if (chain.isEmpty()) {
            if (!isDirectGrant(context) && isAlternative(context)) {
                context.attempted(); // an ordinary password login: not ours, and not an error either
                return;
            }
            reject(context, null, Reason.NO_CERTIFICATE, "no client certificate was presented",
                    AuthenticationFlowError.INVALID_CREDENTIALS, "daneNoCertificate");
            return;
        }
        String claimed = switch (config.identitySource()) {
            case REQUEST_PARAMETER -> DaneNames.formParameter(context.getHttpRequest(), DaneNames.PARAMETER);
            case HEADER -> context.getHttpRequest().isProxyTrusted()
                    ? context.getHttpRequest().getHttpHeaders().getHeaderString(config.identityHeader()) : null;
            case CERTIFICATE_SAN -> nameFromCertificate(chain.get(0), config.allowList());
        };
        if (claimed == null && config.identitySource() == DaneUserAuthenticatorConfig.IdentitySource.REQUEST_PARAMETER
                && !isDirectGrant(context) && !formSubmitted) {
            context.challenge(context.form().createForm(LOGIN_TEMPLATE)); // ask the browser user for the name
            return;
        }
        verify(context, config, dane, claimed, chain);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        String verifiedName = authSession.getAuthNote(VERIFIED_NAME);
        if (verifiedName == null) {
            // the login form was submitted (or a stray POST): the same steps, the name from the configured source only
            start(context, true);
            return;
        }
        String userId = authSession.getAuthNote(VERIFIED_USER);
        authSession.removeAuthNote(VERIFIED_NAME);
        authSession.removeAuthNote(VERIFIED_USER);
        UserModel user = userId == null ? null : context.getSession().users().getUserById(context.getRealm(), userId);
        boolean cancelled = context.getHttpRequest().getDecodedFormParameters().containsKey("cancel");
        if (cancelled || user == null || !user.isEnabled()) {
            reject(context, verifiedName, Reason.CANCELLED, "the user did not confirm the DANE identity",
                    AuthenticationFlowError.ACCESS_DENIED, "daneCancelled");
            return;
        }
        succeed(context, user, verifiedName);
    }

    private void verify(AuthenticationFlowContext context, DaneUserAuthenticatorConfig config, DaneVerifierProvider dane,
                        String claimed, List<X509Certificate> chain) {
        if (claimed == null || claimed.isBlank()) {
            reject(context, null, Reason.INVALID_NAME, "no " + DaneNames.PARAMETER + " was given",
                    AuthenticationFlowError.INVALID_USER, "daneMissingName");
            return;
        }
        DaneName name;
        try {
            name = DaneName.parse(claimed);
        } catch (InvalidNameException e) {
            reject(context, claimed, Reason.INVALID_NAME, e.getMessage(),
                    AuthenticationFlowError.INVALID_USER, "daneInvalidName");
            return;
        }
        if (!config.allowList().admits(name) || !dane.verifier().allowList().admits(name)) {
            reject(context, name.value(), Reason.NOT_ALLOWED, name + " is not on the allow list",
                    AuthenticationFlowError.INVALID_USER, "daneAuthFailed");
            return;
        }
        List<UserModel> users = findUsers(context.getSession(), context.getRealm(), config, name);
        if (users.isEmpty()) {
            reject(context, name.value(), Reason.UNKNOWN_USER, "no user is mapped to " + name,
                    AuthenticationFlowError.UNKNOWN_USER, "daneAuthFailed");
            return;
        }
        if (users.size() > 1) {
            String ids = users.stream().map(UserModel::getId).toList().toString();
            LOG.warnf("auth-dane: users %s of realm %s all carry %s in %s; none can sign in with it until only one"
                    + " does", ids, context.getRealm().getName(), name, config.userAttribute());
            reject(context, name.value(), Reason.AMBIGUOUS_IDENTITY, "users " + ids + " all carry this name",
                    AuthenticationFlowError.INVALID_USER, "daneAuthFailed");
            return;
        }
        UserModel user = users.get(0);
        context.getEvent().user(user);
        if (!user.isEnabled()) {
            reject(context, name.value(), Reason.USER_DISABLED, "the user is disabled",
                    AuthenticationFlowError.USER_DISABLED, "daneAuthFailed");
            return;
        }
        DaneOutcome outcome = dane.verifier().verify(name, chain, config.allowList());
        DaneEvents.record(METRICS_TAG, context.getEvent(), outcome);
        if (!outcome.authenticated()) {
            LOG.debugf("auth-dane: %s", outcome);
            fail(context, AuthenticationFlowError.INVALID_CREDENTIALS, "daneAuthFailed");
            return;
        }
        if (config.confirmationPage() && !isDirectGrant(context)) {
            context.getAuthenticationSession().setAuthNote(VERIFIED_NAME, outcome.identity());
            context.getAuthenticationSession().setAuthNote(VERIFIED_USER, user.getId());
            context.challenge(context.form().setAttribute("daneClientId", outcome.identity())
                    .setAttribute("daneUsername", user.getUsername()).createForm(CONFIRM_TEMPLATE));
            return;
        }
        succeed(context, user, outcome.identity());
    }

    private static void succeed(AuthenticationFlowContext context, UserModel user, String name) {
        context.setUser(user);
        context.getAuthenticationSession().setUserSessionNote(DaneNames.PARAMETER, name);
        context.getEvent().detail(DaneEvents.CLIENT_ID, name);
        context.success();
    }

    /** At most two users: one is the answer, two is a collision nobody may sign in through. */
    private static List<UserModel> findUsers(KeycloakSession session, RealmModel realm, DaneUserAuthenticatorConfig config,
                                             DaneName name) {
        if (config.userMapping() == DaneUserAuthenticatorConfig.UserMapping.USERNAME) {
            UserModel user = session.users().getUserByUsername(realm, name.value());
            return user == null ? List.of() : List.of(user);
        }
        // values are stored in normal form (DaneUserAttributeValidator), so the normal form finds them
        return session.users().searchForUserByUserAttributeStream(realm, config.userAttribute(), name.value())
                .limit(2).toList();
    }

    /** The leaf's SAN dNSName; when it has several, the single one the allow list admits. */
    private static String nameFromCertificate(X509Certificate leaf, AllowList allowList) {
        List<String> candidates = Certificates.dnsNames(leaf).stream().filter(n -> {
            DaneName name = DaneNames.parseOrNull(n);
            return name != null && allowList.admits(name);
        }).toList();
        return candidates.size() == 1 ? candidates.get(0) : null;
    }

    private static boolean isDirectGrant(AuthenticationFlowContext context) {
        return DIRECT_GRANT_FLOW_PATH.equals(context.getFlowPath());
    }

    private static boolean isAlternative(AuthenticationFlowContext context) {
        return context.getExecution().getRequirement() == AuthenticationExecutionModel.Requirement.ALTERNATIVE;
    }

    private static void reject(AuthenticationFlowContext context, String identity, Reason reason, String detail,
                               AuthenticationFlowError error, String message) {
        DaneEvents.reject(METRICS_TAG, context.getEvent(), identity, reason, detail);
        fail(context, error, message);
    }

    /**
     * Direct grant: 401 invalid_grant with a generic description. Browser: the next method when this execution is an
     * alternative, else the theme's error page. The reason is in the event, never in the response.
     */
    private static void fail(AuthenticationFlowContext context, AuthenticationFlowError error, String message) {
        // Like Keycloak's own authenticators: the event is an error event even when the flow goes on.
        context.getEvent().error(switch (error) {
            case UNKNOWN_USER -> Errors.USER_NOT_FOUND;
            case USER_DISABLED -> Errors.USER_DISABLED;
            case INVALID_USER -> Errors.INVALID_USER;
            case ACCESS_DENIED -> Errors.ACCESS_DENIED;
            case INTERNAL_ERROR -> Errors.INVALID_CONFIG;
            default -> Errors.INVALID_USER_CREDENTIALS;
        });
        if (isDirectGrant(context)) {
            context.failure(error, Response.status(Response.Status.UNAUTHORIZED)
                    .entity(new OAuth2ErrorRepresentation("invalid_grant", "Invalid user credentials"))
                    .type(MediaType.APPLICATION_JSON_TYPE).build());
            return;
        }
        if (isAlternative(context)) {
            DaneEvents.clear(context.getEvent()); // the error event is sent; the next method starts clean
            context.attempted();
            return;
        }
        context.failureChallenge(error, context.form().setError(message).createErrorPage(Response.Status.UNAUTHORIZED));
    }

    @Override
    public boolean requiresUser() {
        return false;
    }

    @Override
    public boolean configuredFor(KeycloakSession session, RealmModel realm, UserModel user) {
        return true;
    }

    @Override
    public void setRequiredActions(KeycloakSession session, RealmModel realm, UserModel user) {
    }

    @Override
    public void close() {
    }
}
