package io.github.keycloakdane.keycloak.user;

import io.github.keycloakdane.core.DomainUser;
import io.github.keycloakdane.keycloak.DaneNames;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.ModelDuplicateException;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;

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
     * {@value #ATTRIBUTE} the same, the way Keycloak's first broker login makes a brokered user.
     */
    public static UserModel provision(KeycloakSession session, RealmModel realm, DomainUser person) {
        UserModel user = session.users().addUser(realm, person.address());
        user.setEnabled(true);
        user.setEmail(person.address());
        user.setEmailVerified(true);
        user.setSingleAttribute(ATTRIBUTE, person.address());
        return user;
    }
}
