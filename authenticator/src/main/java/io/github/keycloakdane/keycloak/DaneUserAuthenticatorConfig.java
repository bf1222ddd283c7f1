package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.SafeText;
import io.github.keycloakdane.settings.ServerSettings;
import org.jboss.logging.Logger;
import org.keycloak.models.AuthenticatorConfigModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The per-execution settings of {@code auth-dane}, as the admin console stores them. An execution without a
 * configuration uses the defaults. {@link #problems} is the one check of a stored map: the factory runs it when the
 * admin saves the settings (and refuses them), and {@link #from} runs it on every use, so a configuration that is
 * invalid anyway (imported JSON) admits nothing and says why, instead of falling back to a default.
 *
 * @param invalidBecause null for a usable configuration, else why this execution admits nobody
 */
public record DaneUserAuthenticatorConfig(AllowList allowList, IdentitySource identitySource, String identityHeader,
                                      UserMapping userMapping, String userAttribute, boolean confirmationPage,
                                      boolean provisionUsers, String invalidBecause) {

    private static final Logger LOG = Logger.getLogger(DaneUserAuthenticatorConfig.class);

    public static final String ALLOW_LIST = "dane.allow-list";
    public static final String IDENTITY_SOURCE = "dane.identity-source";
    public static final String IDENTITY_HEADER = "dane.identity-header";
    public static final String USER_MAPPING = "dane.user-mapping";
    public static final String USER_ATTRIBUTE = "dane.user-attribute";
    public static final String CONFIRMATION_PAGE = "dane.confirmation-page";
    public static final String PROVISION_USERS = "dane.provision-users";

    public static final String DEFAULT_HEADER = "X-Dane-Clientid";
    public static final String DEFAULT_USER_ATTRIBUTE = DaneNames.PARAMETER;

    /** RFC 9110 §5.1: a field name is a token. */
    /** Keycloak's user attribute names: letters, digits and a few separators, no blanks. */
    private static final Pattern ATTRIBUTE_NAME = Pattern.compile("[A-Za-z0-9._:-]{1,255}");

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
        /** The user whose username equals the name: only with a non-empty allow list (see {@link #problems}). */
        USERNAME("username"),
        /**
         * A person certified by their domain: the name is {@code _user.DOMAIN}, the certificate names {@code uid@domain}
         * ({@link io.github.keycloakdane.core.DomainUser}); the user is the one whose username, verified email or
         * {@code dane_user} attribute is that address. Only with a non-empty allow list.
         */
        DOMAIN_USER("domain-user");

        public final String value;

        UserMapping(String value) {
            this.value = value;
        }
    }

    /** Parses an execution's configuration; null means defaults. Never throws: an invalid one admits nothing. */
    public static DaneUserAuthenticatorConfig from(AuthenticatorConfigModel model) {
        Map<String, String> c = model == null || model.getConfig() == null ? Map.of() : model.getConfig();
        List<String> problems = problems(c);
        if (!problems.isEmpty()) {
            String why = String.join("; ", problems);
            // a broken configuration must close the door, not open it, and must not turn logins into server errors
            LOG.errorf("auth-dane configuration %s admits nobody until it is fixed: %s",
                    model == null ? "" : SafeText.name(model.getAlias()), SafeText.detail(why));
            return new DaneUserAuthenticatorConfig(AllowList.none(), IdentitySource.REQUEST_PARAMETER, DEFAULT_HEADER,
                    UserMapping.USER_ATTRIBUTE, DEFAULT_USER_ATTRIBUTE, true, false, why);
        }
        return new DaneUserAuthenticatorConfig(allowList(c), choice(IdentitySource.class, c.get(IDENTITY_SOURCE)),
                text(c, IDENTITY_HEADER, DEFAULT_HEADER), choice(UserMapping.class, c.get(USER_MAPPING)),
                text(c, USER_ATTRIBUTE, DEFAULT_USER_ATTRIBUTE),
                !"false".equalsIgnoreCase(text(c, CONFIRMATION_PAGE, "true")),
                "true".equalsIgnoreCase(text(c, PROVISION_USERS, "false")), null);
    }

    /**
     * Everything wrong with a stored configuration, each message naming its field; empty when it is usable. An
     * absent or blank value takes its default, except where blank is a choice nobody can mean (a header or attribute
     * the admin cleared while it is in use).
     */
    public static List<String> problems(Map<String, String> c) {
        List<String> problems = new ArrayList<>();
        try {
            allowList(c);
        } catch (IllegalArgumentException e) {
            problems.add("Allow list (" + ALLOW_LIST + "): " + e.getMessage());
        }
        IdentitySource source = null;
        try {
            source = choice(IdentitySource.class, c.get(IDENTITY_SOURCE));
        } catch (IllegalArgumentException e) {
            problems.add("Identity source (" + IDENTITY_SOURCE + "): " + e.getMessage());
        }
        UserMapping mapping = null;
        try {
            mapping = choice(UserMapping.class, c.get(USER_MAPPING));
        } catch (IllegalArgumentException e) {
            problems.add("User mapping (" + USER_MAPPING + "): " + e.getMessage());
        }
        String header = c.get(IDENTITY_HEADER);
        if (header != null && !(header.isBlank() && source != IdentitySource.HEADER)
                && !ServerSettings.isHeaderName(header.strip())) {
            problems.add("Identity header (" + IDENTITY_HEADER + "): '" + header.strip()
                    + "' is not a header name (letters, digits and !#$%&'*+.^_`|~- only, not empty)");
        }
        String attribute = c.get(USER_ATTRIBUTE);
        if (attribute != null && !(attribute.isBlank() && mapping != UserMapping.USER_ATTRIBUTE)
                && !ATTRIBUTE_NAME.matcher(attribute.strip()).matches()) {
            problems.add("User attribute (" + USER_ATTRIBUTE + "): '" + attribute.strip()
                    + "' is not an attribute name (letters, digits, '.', '_', ':', '-'; not empty)");
        }
        String confirmation = c.get(CONFIRMATION_PAGE);
        if (!isBlank(confirmation)
                && !confirmation.strip().equalsIgnoreCase("true") && !confirmation.strip().equalsIgnoreCase("false")) {
            problems.add("Confirmation page (" + CONFIRMATION_PAGE + "): must be true or false, not '"
                    + confirmation.strip() + "'");
        }
        if (mapping == UserMapping.USERNAME && isBlank(c.get(ALLOW_LIST))) {
            problems.add("User mapping (" + USER_MAPPING + ") 'username' needs an Allow list (" + ALLOW_LIST
                    + "): without one, whoever can publish DNSSEC-signed TLSA records at a name spelled like a"
                    + " username (john.green: .green is a top-level domain) would sign in as that user");
        }
        if (mapping == UserMapping.DOMAIN_USER && isBlank(c.get(ALLOW_LIST))) {
            problems.add("User mapping (" + USER_MAPPING + ") 'domain-user' needs an Allow list (" + ALLOW_LIST
                    + ") naming the partner domains' _user names (_user.partner.example): without one, every domain"
                    + " that signs its zone could certify users who sign in here");
        }
        String provision = c.get(PROVISION_USERS);
        if (!isBlank(provision)
                && !provision.strip().equalsIgnoreCase("true") && !provision.strip().equalsIgnoreCase("false")) {
            problems.add("Provision users (" + PROVISION_USERS + "): must be true or false, not '"
                    + provision.strip() + "'");
        } else if ("true".equalsIgnoreCase(provision == null ? null : provision.strip())
                && mapping != null && mapping != UserMapping.DOMAIN_USER) {
            problems.add("Provision users (" + PROVISION_USERS + ") applies to user mapping 'domain-user' only");
        }
        return problems;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    /** An empty setting is no restriction beyond the server-wide list and the user mapping. */
    private static AllowList allowList(Map<String, String> c) {
        String allow = c.get(ALLOW_LIST);
        if (isBlank(allow)) {
            return AllowList.any();
        }
        try {
            return AllowList.parse(allow);
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The constant whose value is {@code raw}; blank or absent is the first constant (the default). */
    private static <E extends Enum<E>> E choice(Class<E> type, String raw) {
        E[] constants = type.getEnumConstants();
        if (isBlank(raw)) {
            return constants[0];
        }
        for (E e : constants) {
            if (value(e).equals(raw.strip())) {
                return e;
            }
        }
        List<String> known = new ArrayList<>();
        for (E e : constants) {
            known.add(value(e));
        }
        throw new IllegalArgumentException("'" + raw.strip() + "' is not one of " + String.join(", ", known));
    }

    private static String value(Enum<?> e) {
        return e instanceof IdentitySource s ? s.value : ((UserMapping) e).value;
    }

    private static String text(Map<String, String> c, String key, String fallback) {
        String v = c.get(key);
        return isBlank(v) ? fallback : v.strip();
    }

    /** Whether this execution admits nobody because its settings are invalid. */
    public boolean isInvalid() {
        return invalidBecause != null;
    }
}
