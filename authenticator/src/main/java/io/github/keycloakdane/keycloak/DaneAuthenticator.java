package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.keycloak.DaneAuthenticatorConfig.IdentitySource;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
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
import java.util.stream.Collectors;

/**
 * {@code auth-dane}: authenticates a user by the DANE identity of the device they log in from, in browser and
 * direct-grant flows. Order: name → allow list → the user exists and is enabled → DNS → match, so unknown names and
 * users cost no DNS query.
 */
public class DaneAuthenticator implements Authenticator {

    public static final String PARAM = "dane_clientid";
    /** The user-session note (and so the token claim, with the User Session Note mapper). */
    public static final String SESSION_NOTE = "dane_clientid";

    static final String LOGIN_TEMPLATE = "dane-login.ftl";
    static final String CONFIRM_TEMPLATE = "dane-confirm.ftl";
    private static final String VERIFIED_NAME = "dane.verified-name";
    private static final String VERIFIED_USER = "dane.verified-user";
    private static final String DIRECT_GRANT_FLOW_PATH = "token";
    private static final Logger LOG = Logger.getLogger(DaneAuthenticator.class);

    @Override
    public void authenticate(AuthenticationFlowContext context) {
        DaneAuthenticatorConfig config = DaneAuthenticatorConfig.from(context.getAuthenticatorConfig());
        String claimed = switch (config.identitySource()) {
            case REQUEST_PARAMETER -> formParameter(context, PARAM);
            case HEADER -> context.getHttpRequest().isProxyTrusted()
                    ? context.getHttpRequest().getHttpHeaders().getHeaderString(config.identityHeader()) : null;
            case CERTIFICATE_SAN -> nameFromCertificate(context, config);
        };
        if (claimed == null && config.identitySource() == IdentitySource.REQUEST_PARAMETER && !isDirectGrant(context)) {
            context.challenge(context.form().createForm(LOGIN_TEMPLATE)); // ask the browser user for the name
            return;
        }
        verify(context, config, claimed);
    }

    @Override
    public void action(AuthenticationFlowContext context) {
        DaneAuthenticatorConfig config = DaneAuthenticatorConfig.from(context.getAuthenticatorConfig());
        AuthenticationSessionModel authSession = context.getAuthenticationSession();
        String verifiedName = authSession.getAuthNote(VERIFIED_NAME);
        if (verifiedName == null) {
            verify(context, config, formParameter(context, PARAM)); // the login form was submitted
            return;
        }
        String userId = authSession.getAuthNote(VERIFIED_USER);
        authSession.removeAuthNote(VERIFIED_NAME);
        authSession.removeAuthNote(VERIFIED_USER);
        MultivaluedMap<String, String> form = context.getHttpRequest().getDecodedFormParameters();
        UserModel user = userId == null ? null : context.getSession().users().getUserById(context.getRealm(), userId);
        if (form.containsKey("cancel") || user == null || !user.isEnabled()) {
            DaneEvents.reject(context.getEvent(), verifiedName, "CANCELLED", "the user did not confirm the DANE identity");
            fail(context, AuthenticationFlowError.ACCESS_DENIED, "daneCancelled");
            return;
        }
        succeed(context, user, verifiedName);
    }

    private void verify(AuthenticationFlowContext context, DaneAuthenticatorConfig config, String claimed) {
        if (claimed == null || claimed.isBlank()) {
            DaneEvents.reject(context.getEvent(), null, Reason.INVALID_NAME.name(), "no dane_clientid was given");
            fail(context, AuthenticationFlowError.INVALID_USER, "daneMissingName");
            return;
        }
        DaneName name;
        try {
            name = DaneName.parse(claimed);
        } catch (InvalidNameException e) {
            DaneEvents.reject(context.getEvent(), claimed, Reason.INVALID_NAME.name(), e.getMessage());
            fail(context, AuthenticationFlowError.INVALID_USER, "daneInvalidName");
            return;
        }
        if (!config.allowList().admits(name)) {
            DaneEvents.reject(context.getEvent(), name.value(), Reason.NOT_ALLOWED.name(),
                    name + " is not on this execution's allow list");
            fail(context, AuthenticationFlowError.INVALID_USER, "daneAuthFailed");
            return;
        }
        UserModel user = findUser(context.getSession(), context.getRealm(), config, name);
        if (user == null) {
            DaneEvents.reject(context.getEvent(), name.value(), "UNKNOWN_USER", "no user is mapped to " + name);
            fail(context, AuthenticationFlowError.UNKNOWN_USER, "daneAuthFailed");
            return;
        }
        context.getEvent().user(user);
        if (!user.isEnabled()) {
            DaneEvents.reject(context.getEvent(), name.value(), "USER_DISABLED", "the user is disabled");
            fail(context, AuthenticationFlowError.USER_DISABLED, "daneAuthFailed");
            return;
        }
        DaneOutcome outcome = context.getSession().getProvider(DaneProvider.class).verifier()
                .verify(name.value(), ClientCertificates.chain(context.getSession()), config.allowList());
        DaneEvents.record(context.getEvent(), outcome);
        if (!outcome.authenticated()) {
            LOG.debugf("auth-dane: %s", outcome);
            fail(context, AuthenticationFlowError.INVALID_CREDENTIALS,
                    outcome.reason() == Reason.NO_CERTIFICATE ? "daneNoCertificate" : "daneAuthFailed");
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
        context.getAuthenticationSession().setUserSessionNote(SESSION_NOTE, name);
        context.getEvent().detail(DaneEvents.CLIENT_ID, name);
        context.success();
    }

    private static UserModel findUser(KeycloakSession session, RealmModel realm, DaneAuthenticatorConfig config,
                                      DaneName name) {
        if (config.userMapping() == DaneAuthenticatorConfig.UserMapping.USERNAME) {
            return session.users().getUserByUsername(realm, name.value());
        }
        List<UserModel> users = session.users()
                .searchForUserByUserAttributeStream(realm, config.userAttribute(), name.value()).limit(2).toList();
        return users.size() == 1 ? users.get(0) : null; // two users claiming one name is a misconfiguration: refuse
    }

    /** The leaf's SAN dNSName; when it has several, the single one the allow list admits. */
    private static String nameFromCertificate(AuthenticationFlowContext context, DaneAuthenticatorConfig config) {
        List<X509Certificate> chain = ClientCertificates.chain(context.getSession());
        if (chain.isEmpty()) {
            return null;
        }
        List<String> candidates = Certificates.dnsNames(chain.get(0)).stream().filter(n -> {
            try {
                return config.allowList().admits(DaneName.parse(n));
            } catch (InvalidNameException e) {
                return false;
            }
        }).collect(Collectors.toList());
        return candidates.size() == 1 ? candidates.get(0) : null;
    }

    private static String formParameter(AuthenticationFlowContext context, String name) {
        MediaType type = context.getHttpRequest().getHttpHeaders().getMediaType();
        if (type == null || !type.isCompatible(MediaType.APPLICATION_FORM_URLENCODED_TYPE)) {
            return null;
        }
        String value = context.getHttpRequest().getDecodedFormParameters().getFirst(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static boolean isDirectGrant(AuthenticationFlowContext context) {
        return DIRECT_GRANT_FLOW_PATH.equals(context.getFlowPath());
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
            default -> Errors.INVALID_USER_CREDENTIALS;
        });
        if (isDirectGrant(context)) {
            context.failure(error, Response.status(Response.Status.UNAUTHORIZED)
                    .entity(new OAuth2ErrorRepresentation("invalid_grant", "Invalid user credentials"))
                    .type(MediaType.APPLICATION_JSON_TYPE).build());
            return;
        }
        if (context.getExecution().getRequirement() == AuthenticationExecutionModel.Requirement.ALTERNATIVE) {
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
