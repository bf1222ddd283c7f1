package io.github.keycloakdane.keycloak.user;

import io.github.keycloakdane.core.DomainUser;
import io.github.keycloakdane.core.SafeText;
import io.github.keycloakdane.keycloak.DaneNames;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelDuplicateException;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a domain user ({@code uid@domain}, auth-dane's user mapping {@code domain-user}) finds its Keycloak user, and
 * how one is provisioned. Every candidate counts: the user whose username is the address, the one whose email is it
 * and verified, the ones whose {@value DaneNames#USER} attribute holds it. Two distinct users are a collision nobody
 * signs in through. No DNS here: the caller verifies first, then provisions.
 */
public final class DomainUsers {

    /** The attribute that maps a person onto a user, set on provisioned users. */
    public static final String ATTRIBUTE = DaneNames.USER;

    private DomainUsers() {
    }

    /**
     * The users the address maps to (at most a few), and, when none does, why provisioning one would collide.
     *
     * @param users     the distinct users found
     * @param collision null, or why the address is ambiguous although Keycloak names no two users (duplicate emails)
     * @param blocker   null, or why a new user with this address cannot be made (another user holds the email
     *                  unverified)
     */
    public record Candidates(List<UserModel> users, String collision, String blocker) {
        public boolean ambiguous() {
            return users.size() > 1 || collision != null;
        }

        /** What carries the address, for a log line and the event detail. */
        public String describe() {
            return collision != null ? collision : "users " + users.stream().map(UserModel::getId).toList()
                    + " all carry this address";
        }
    }

    public static Candidates find(KeycloakSession session, RealmModel realm, DomainUser person) {
        String address = person.address();
        Map<String, UserModel> found = new LinkedHashMap<>();
        String blocker = null;
        UserModel byUsername = session.users().getUserByUsername(realm, address);
        if (byUsername != null) {
            found.put(byUsername.getId(), byUsername);
        }
        try {
            UserModel byEmail = session.users().getUserByEmail(realm, address);
            if (byEmail != null && byEmail.isEmailVerified()) {
                found.put(byEmail.getId(), byEmail);
            } else if (byEmail != null) {
                blocker = "user " + byEmail.getId() + " holds the email " + address + " unverified";
            }
        } catch (ModelDuplicateException e) {
            // duplicate emails are allowed in this realm and several users hold this one: ambiguous by definition
            return new Candidates(new ArrayList<>(found.values()), "several users hold the email " + address, null);
        }
        session.users().searchForUserByUserAttributeStream(realm, ATTRIBUTE, address).limit(3)
                .forEach(u -> found.put(u.getId(), u));
        return new Candidates(new ArrayList<>(found.values()), null, blocker);
    }

    /**
     * A new, enabled user for a verified domain user: username and verified email {@code uid@domain}, attribute
     * {@value #ATTRIBUTE} the same, first and last name from the leaf's subject givenName and surname when it has
     * them, the way Keycloak's first broker login makes a brokered user. Whatever else the realm's user profile
     * requires, Keycloak asks for in the browser (its verify-profile action).
     */
    public static UserModel provision(KeycloakSession session, RealmModel realm, DomainUser person,
                                      X509Certificate leaf) {
        UserModel user = session.users().addUser(realm, person.address());
        user.setEnabled(true);
        user.setEmail(person.address());
        user.setEmailVerified(true);
        user.setSingleAttribute(ATTRIBUTE, person.address());
        Map<String, String> names = subjectNames(leaf);
        if (names.get(GIVEN_NAME) != null) {
            user.setFirstName(names.get(GIVEN_NAME));
        }
        if (names.get(SURNAME) != null) {
            user.setLastName(names.get(SURNAME));
        }
        return user;
    }

    private static final String GIVEN_NAME = "GIVENNAME";
    private static final String SURNAME = "SURNAME";
    /** The longest name taken over: Keycloak's user profile allows 255 characters. */
    private static final int MAX_NAME = 255;

    /** givenName (2.5.4.42) and surname (2.5.4.4) of the leaf's subject, each its first value, bounded and cleaned. */
    static Map<String, String> subjectNames(X509Certificate leaf) {
        Map<String, String> out = new LinkedHashMap<>();
        if (leaf == null) {
            return out;
        }
        try {
            String dn = leaf.getSubjectX500Principal().getName(X500Principal.RFC2253,
                    Map.of("2.5.4.42", GIVEN_NAME, "2.5.4.4", SURNAME));
            for (Rdn rdn : new LdapName(dn).getRdns()) {
                String type = rdn.getType().toUpperCase(java.util.Locale.ROOT);
                if ((type.equals(GIVEN_NAME) || type.equals(SURNAME)) && rdn.getValue() instanceof String v
                        && !v.isBlank()) {
                    String clean = SafeText.bounded(v.strip(), MAX_NAME);
                    out.merge(type, clean, (first, later) -> first);
                }
            }
        } catch (InvalidNameException | RuntimeException e) {
            // no names then: the realm's user profile asks the person
        }
        return out;
    }
}
