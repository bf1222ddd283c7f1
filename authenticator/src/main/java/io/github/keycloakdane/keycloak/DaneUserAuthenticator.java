package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier.DomainUserOutcome;
import io.github.keycloakdane.core.DomainUser;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.core.SafeText;
import io.github.keycloakdane.keycloak.DaneUserAuthenticatorConfig.UserMapping;
import io.github.keycloakdane.keycloak.user.DomainUsers;
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
 * one sees never depends on whether a name maps to a user; unknown and ambiguous names cost no DNS query. With user
 * mapping {@code domain-user} the name is {@code _user.DOMAIN} and the leaf names the person ({@code uid@domain}):
 * the leaf is read and the address mapped (or provisioning allowed) before DNS; see {@link #verifyDomainUser}.
 */
public class DaneUserAuthenticator implements Authenticator {

    private static final DaneMetrics.Authenticator METRICS_TAG = DaneMetrics.Authenticator.AUTH_DANE;

    static final String LOGIN_TEMPLATE = "dane-login.ftl";
    static final String CONFIRM_TEMPLATE = "dane-confirm.ftl";
    private static final String VERIFIED_NAME = "dane.verified-name";
    private static final String VERIFIED_USER = "dane.verified-user";
    private static final String VERIFIED_ADDRESS = "dane.verified-address";
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
            case CERTIFICATE_SAN -> config.userMapping() == UserMapping.DOMAIN_USER
                    ? userNameFromCertificate(chain.get(0), config.allowList())
                    : nameFromCertificate(chain.get(0), config.allowList());
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
        String address = authSession.getAuthNote(VERIFIED_ADDRESS);
        authSession.removeAuthNote(VERIFIED_NAME);
        authSession.removeAuthNote(VERIFIED_USER);
        authSession.removeAuthNote(VERIFIED_ADDRESS);
        UserModel user = userId == null ? null : context.getSession().users().getUserById(context.getRealm(), userId);
        boolean cancelled = context.getHttpRequest().getDecodedFormParameters().containsKey("cancel");
        if (!cancelled && userId == null && address != null) {
            // a verified domain user nobody matched, provisioning on: the user is made now that the person confirmed
            user = findOrProvision(context, address);
            if (user == null) {
                return;
            }
        }
        if (cancelled || user == null || !user.isEnabled()) {
            reject(context, verifiedName, Reason.CANCELLED, "the user did not confirm the DANE identity",
                    AuthenticationFlowError.ACCESS_DENIED, "daneCancelled");
            return;
        }
        succeed(context, user, verifiedName, address);
    }

    private void verify(AuthenticationFlowContext context, DaneUserAuthenticatorConfig config, DaneVerifierProvider dane,
                        String claimed, List<X509Certificate> chain) {
        if (claimed == null || claimed.isBlank()) {
            reject(context, null, Reason.INVALID_NAME, "no " + DaneNames.PARAMETER + " was given",
                    AuthenticationFlowError.INVALID_USER, "daneMissingName");
            return;
        }
        DaneName name;
        // the browser form of a domain-user execution also takes the person's address uid@domain
        String typedAddress = config.userMapping() == UserMapping.DOMAIN_USER
                && config.identitySource() == DaneUserAuthenticatorConfig.IdentitySource.REQUEST_PARAMETER
                && !isDirectGrant(context) && claimed.contains("@") ? claimed.strip() : null;
        try {
            name = typedAddress != null ? DomainUser.userNameOfAddress(typedAddress) : DaneName.parse(claimed);
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
        if (config.userMapping() == UserMapping.DOMAIN_USER) {
            verifyDomainUser(context, config, dane, name, typedAddress, chain);
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
        succeed(context, user, outcome.identity(), null);
    }

    /**
     * User mapping {@code domain-user}: the leaf names the person (no I/O) → the address maps to at most one user, or
     * to none with provisioning on → DNS: a DANE-TA record at {@code _user.DOMAIN} matches the leaf's CA → the user
     * (provisioned now, or after the confirmation page).
     */
    private void verifyDomainUser(AuthenticationFlowContext context, DaneUserAuthenticatorConfig config,
                                  DaneVerifierProvider dane, DaneName name, String typedAddress,
                                  List<X509Certificate> chain) {
        DomainUser person;
        try {
            person = DomainUser.of(name, chain.get(0));
        } catch (DomainUser.DomainUserException e) {
            reject(context, name.value(), e.reason(), e.getMessage(), AuthenticationFlowError.INVALID_USER,
                    "daneAuthFailed");
            return;
        }
        context.getEvent().detail(DaneEvents.USER, SafeText.name(person.address()));
        if (typedAddress != null && !typedAddress.equalsIgnoreCase(person.address())) {
            reject(context, name.value(), Reason.USER_ID_INVALID, "the address typed, " + typedAddress
                    + ", is not the certificate's " + person.address(), AuthenticationFlowError.INVALID_USER,
                    "daneAuthFailed");
            return;
        }
        DomainUsers.Candidates candidates = DomainUsers.find(context.getSession(), context.getRealm(), person);
        if (candidates.ambiguous()) {
            LOG.warnf("auth-dane: %s of realm %s; none can sign in as %s until only one does",
                    SafeText.detail(candidates.describe()), context.getRealm().getName(), SafeText.name(person.address()));
            reject(context, name.value(), Reason.AMBIGUOUS_IDENTITY, candidates.describe(),
                    AuthenticationFlowError.INVALID_USER, "daneAuthFailed");
            return;
        }
        UserModel user = candidates.users().isEmpty() ? null : candidates.users().get(0);
        if (user == null && (!config.provisionUsers() || candidates.blocker() != null)) {
            reject(context, name.value(), Reason.UNKNOWN_USER, "no user is mapped to " + person.address()
                    + (candidates.blocker() == null ? "" : " and none can be provisioned: " + candidates.blocker()),
                    AuthenticationFlowError.UNKNOWN_USER, "daneAuthFailed");
            return;
        }
        if (user != null) {
            context.getEvent().user(user);
            if (!user.isEnabled()) {
                reject(context, name.value(), Reason.USER_DISABLED, "the user is disabled",
                        AuthenticationFlowError.USER_DISABLED, "daneAuthFailed");
                return;
            }
        }
        DomainUserOutcome verified = dane.verifier().verifyDomainUser(name, chain, config.allowList());
        DaneEvents.record(METRICS_TAG, context.getEvent(), verified.outcome());
        if (!verified.authenticated()) {
            LOG.debugf("auth-dane: %s", verified.outcome());
            fail(context, AuthenticationFlowError.INVALID_CREDENTIALS, "daneAuthFailed");
            return;
        }
        if (config.confirmationPage() && !isDirectGrant(context)) {
            AuthenticationSessionModel authSession = context.getAuthenticationSession();
            authSession.setAuthNote(VERIFIED_NAME, name.value());
            authSession.setAuthNote(VERIFIED_ADDRESS, person.address());
            if (user != null) {
                authSession.setAuthNote(VERIFIED_USER, user.getId());
            }
            context.challenge(context.form().setAttribute("daneClientId", person.address())
                    .setAttribute("daneUsername", user != null ? user.getUsername() : person.address())
                    .createForm(CONFIRM_TEMPLATE));
            return;
        }
        if (user == null) {
            user = DomainUsers.provision(context.getSession(), context.getRealm(), person, chain.get(0));
            LOG.infof("auth-dane: provisioned user %s (%s) of realm %s for a verified domain user", user.getId(),
                    SafeText.name(person.address()), context.getRealm().getName());
        }
        succeed(context, user, name.value(), person.address());
    }

    /** After the confirmation page: the one user the address maps to now, else a new one; null after a refusal. */
    private UserModel findOrProvision(AuthenticationFlowContext context, String address) {
        DomainUser person;
        try {
            int at = address.lastIndexOf('@');
            person = new DomainUser(address.substring(0, at), DaneName.parse(address.substring(at + 1)));
        } catch (InvalidNameException | RuntimeException e) {
            return null; // notes are written by verifyDomainUser only: not reachable with a valid session
        }
        DomainUsers.Candidates candidates = DomainUsers.find(context.getSession(), context.getRealm(), person);
        if (candidates.ambiguous() || (candidates.users().isEmpty() && candidates.blocker() != null)) {
            reject(context, person.userName().value(), Reason.AMBIGUOUS_IDENTITY, candidates.ambiguous()
                    ? candidates.describe() : candidates.blocker(), AuthenticationFlowError.INVALID_USER,
                    "daneAuthFailed");
            return null;
        }
        if (!candidates.users().isEmpty()) {
            return candidates.users().get(0);
        }
        UserModel user = DomainUsers.provision(context.getSession(), context.getRealm(), person,
                ClientCertificates.chain(context.getSession()).stream().findFirst().orElse(null));
        LOG.infof("auth-dane: provisioned user %s (%s) of realm %s for a verified domain user", user.getId(),
                SafeText.name(address), context.getRealm().getName());
        return user;
    }

    private static void succeed(AuthenticationFlowContext context, UserModel user, String name, String address) {
        context.setUser(user);
        context.getAuthenticationSession().setUserSessionNote(DaneNames.PARAMETER, name);
        context.getEvent().detail(DaneEvents.CLIENT_ID, name);
        if (address != null) {
            context.getAuthenticationSession().setUserSessionNote(DaneNames.USER, address);
            context.getEvent().detail(DaneEvents.USER, SafeText.name(address));
        }
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

    /**
     * Domain users: {@code _user.} in front of the leaf's dNSName. A leaf with several yields the first the allow
     * list admits, so that the check of the leaf's profile refuses it with its reason (exactly one dNSName).
     */
    private static String userNameFromCertificate(X509Certificate leaf, AllowList allowList) {
        List<DaneName> candidates = Certificates.dnsNames(leaf).stream().map(DaneNames::parseOrNull)
                .filter(n -> n != null && !n.value().startsWith(DomainUser.USER_LABEL + ".")
                        && n.value().length() <= DaneName.MAX_NAME_LENGTH - DomainUser.USER_LABEL.length() - 1)
                .map(DomainUser::userNameOf).toList();
        return candidates.stream().filter(allowList::admits).findFirst()
                .or(() -> candidates.stream().findFirst()).map(DaneName::value).orElse(null);
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
