package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.InvalidNameException;
import org.jboss.logging.Logger;
import org.keycloak.models.AuthenticatorConfigModel;

import java.util.Map;

/**
 * The per-execution settings of {@code auth-dane}, as the admin console stores them. An execution without a
 * configuration uses the defaults; one whose allow list does not parse admits no name (and says so in the log).
 */
public record DaneAuthenticatorConfig(AllowList allowList, IdentitySource identitySource, String identityHeader,
                                      UserMapping userMapping, String userAttribute, boolean confirmationPage) {

    private static final Logger LOG = Logger.getLogger(DaneAuthenticatorConfig.class);

    public static final String ALLOW_LIST = "dane.allow-list";
    public static final String IDENTITY_SOURCE = "dane.identity-source";
    public static final String IDENTITY_HEADER = "dane.identity-header";
    public static final String USER_MAPPING = "dane.user-mapping";
    public static final String USER_ATTRIBUTE = "dane.user-attribute";
    public static final String CONFIRMATION_PAGE = "dane.confirmation-page";

    public static final String DEFAULT_HEADER = "X-Dane-Clientid";
    public static final String DEFAULT_USER_ATTRIBUTE = "dane_clientid";

    /** Where the claimed {@code dane_clientid} comes from. */
    public enum IdentitySource {
        /** The request body's {@code dane_clientid} (a login form in the browser). */
        REQUEST_PARAMETER("request-parameter"),
        /** A header set by a trusted proxy (honoured only from proxy-trusted-addresses). */
        HEADER("header"),
        /** The leaf certificate's single SAN dNSName admitted by the allow list. */
        CERTIFICATE_SAN("certificate-san");

        public final String value;

        IdentitySource(String value) {
            this.value = value;
        }
    }

    /** How a verified name finds its user. */
    public enum UserMapping {
        /** The user whose attribute (default {@code dane_clientid}) equals the name. */
        USER_ATTRIBUTE("user-attribute"),
        /** The user whose username equals the name. */
        USERNAME("username");

        public final String value;

        UserMapping(String value) {
            this.value = value;
        }
    }

    /** Parses an execution's configuration; null means defaults. */
    public static DaneAuthenticatorConfig from(AuthenticatorConfigModel model) {
        Map<String, String> c = model == null || model.getConfig() == null ? Map.of() : model.getConfig();
        AllowList allowList;
        String allow = c.get(ALLOW_LIST);
        try {
            allowList = allow == null || allow.isBlank() ? AllowList.any() : AllowList.parse(allow);
        } catch (InvalidNameException e) {
            // a broken list must close the door, not open it, and must not turn logins into server errors
            LOG.errorf("auth-dane %s: %s; this execution admits no name until the list is fixed",
                    ALLOW_LIST, e.getMessage());
            allowList = AllowList.none();
        }
        IdentitySource source = IdentitySource.REQUEST_PARAMETER;
        for (IdentitySource s : IdentitySource.values()) {
            if (s.value.equals(c.get(IDENTITY_SOURCE))) {
                source = s;
            }
        }
        UserMapping mapping = UserMapping.USER_ATTRIBUTE;
        for (UserMapping m : UserMapping.values()) {
            if (m.value.equals(c.get(USER_MAPPING))) {
                mapping = m;
            }
        }
        String header = c.getOrDefault(IDENTITY_HEADER, "");
        String attribute = c.getOrDefault(USER_ATTRIBUTE, "");
        return new DaneAuthenticatorConfig(allowList, source, header.isBlank() ? DEFAULT_HEADER : header.strip(),
                mapping, attribute.isBlank() ? DEFAULT_USER_ATTRIBUTE : attribute.strip(),
                !"false".equalsIgnoreCase(c.getOrDefault(CONFIRMATION_PAGE, "true")));
    }
}
