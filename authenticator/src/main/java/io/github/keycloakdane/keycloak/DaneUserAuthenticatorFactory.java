package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.keycloak.DaneUserAuthenticatorConfig.IdentitySource;
import io.github.keycloakdane.keycloak.DaneUserAuthenticatorConfig.UserMapping;
import org.keycloak.authentication.Authenticator;
import org.keycloak.authentication.AuthenticatorFactory;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

import java.util.Arrays;
import java.util.List;

/** Registers {@code auth-dane} for browser and direct-grant flows. */
public class DaneUserAuthenticatorFactory implements AuthenticatorFactory, StatelessProviderFactory<Authenticator> {

    public static final String PROVIDER_ID = "auth-dane";
    private static final DaneUserAuthenticator SINGLETON = new DaneUserAuthenticator();

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public String getDisplayType() {
        return "DANE device identity";
    }

    @Override
    public String getHelpText() {
        return "Authenticates the user by a DNS name (dane_clientid) whose DNSSEC-signed TLSA records match the client "
                + "certificate presented over TLS (DANE, IETF DANCE).";
    }

    @Override
    public String getReferenceCategory() {
        return "dane";
    }

    @Override
    public boolean isConfigurable() {
        return true;
    }

    @Override
    public AuthenticationExecutionModel.Requirement[] getRequirementChoices() {
        return REQUIREMENT_CHOICES;
    }

    @Override
    public boolean isUserSetupAllowed() {
        return false;
    }

    /** The execution's settings, as the admin console shows them; the README's settings table is checked against it. */
    @Override
    public List<ProviderConfigProperty> getConfigProperties() {
        return ProviderConfigurationBuilder.create()
                .property().name(DaneUserAuthenticatorConfig.ALLOW_LIST).label("Allow list")
                .type(ProviderConfigProperty.MULTIVALUED_STRING_TYPE)
                .helpText("Names this execution accepts: exact names, '*.parent' (exactly one label in front) or"
                        + " '.domain' (any name below, never the domain itself). Empty: no restriction beyond the"
                        + " server-wide list and the user mapping; not allowed with user mapping 'username' or 'domain-user' (with"
                        + " 'domain-user': the partners' _user names, e.g. _user.partner.example).")
                .add()
                .property().name(DaneUserAuthenticatorConfig.IDENTITY_SOURCE).label("Identity source")
                .type(ProviderConfigProperty.LIST_TYPE)
                .options(Arrays.stream(IdentitySource.values()).map(s -> s.value).toList())
                .defaultValue(IdentitySource.REQUEST_PARAMETER.value)
                .helpText("Where dane_clientid comes from: 'request-parameter', the request body (the browser gets a"
                        + " form asking for it); 'header', a header set by the proxy, honoured only from"
                        + " proxy-trusted-addresses; 'certificate-san', the leaf certificate's SAN dNSName (the single"
                        + " one the allow list admits; with user mapping 'domain-user' the leaf's one dNSName with"
                        + " '_user.' in front). With 'domain-user' the browser form also takes the address"
                        + " uid@domain.")
                .add()
                .property().name(DaneUserAuthenticatorConfig.IDENTITY_HEADER).label("Identity header")
                .type(ProviderConfigProperty.STRING_TYPE).defaultValue(DaneUserAuthenticatorConfig.DEFAULT_HEADER)
                .helpText("With identity source 'header': the header.")
                .add()
                .property().name(DaneUserAuthenticatorConfig.USER_MAPPING).label("User mapping")
                .type(ProviderConfigProperty.LIST_TYPE)
                .options(Arrays.stream(UserMapping.values()).map(m -> m.value).toList())
                .defaultValue(UserMapping.USER_ATTRIBUTE.value)
                .helpText("'user-attribute': the one user whose attribute equals the name (two users with one name:"
                        + " refused); 'username': the user with that username, only together with an allow list"
                        + " (otherwise whoever can publish TLSA at a name spelled like a username would sign in as"
                        + " that user); 'domain-user': a person certified by their own domain, whose CA is published"
                        + " as DANE-TA (2 x x) at _user.DOMAIN; the certificate carries the dNSName DOMAIN and the"
                        + " uid (otherName uid or an email address of DOMAIN), the user is the one whose username,"
                        + " verified email or attribute dane_user is uid@domain; only with an allow list of the"
                        + " partners' _user names.")
                .add()
                .property().name(DaneUserAuthenticatorConfig.USER_ATTRIBUTE).label("User attribute")
                .type(ProviderConfigProperty.STRING_TYPE)
                .defaultValue(DaneUserAuthenticatorConfig.DEFAULT_USER_ATTRIBUTE)
                .helpText("With user mapping 'user-attribute': the attribute holding the user's device names (declare"
                        + " it in the realm's user profile with the validator 'dane-name').")
                .add()
                .property().name(DaneUserAuthenticatorConfig.CONFIRMATION_PAGE).label("Confirmation page")
                .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("true")
                .helpText("Browser flows: ask 'Sign in as NAME?' before signing in.")
                .add()
                .property().name(DaneUserAuthenticatorConfig.PROVISION_USERS).label("Provision users")
                .type(ProviderConfigProperty.BOOLEAN_TYPE).defaultValue("false")
                .helpText("With user mapping 'domain-user': a person of an allowed domain whom no user matches yet"
                        + " is created at the first sign-in (username and verified email uid@domain, attribute"
                        + " dane_user, names from the subject's givenName and surname), after the certificate is"
                        + " verified; later sign-ins find that user.")
                .add()
                .build();
    }

    @Override
    public Authenticator create(KeycloakSession session) {
        return SINGLETON;
    }
}
