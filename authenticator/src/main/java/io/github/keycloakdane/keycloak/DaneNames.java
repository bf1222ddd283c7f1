package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import jakarta.ws.rs.core.MediaType;
import org.keycloak.http.HttpRequest;

/** The names under which a DANE identity travels through Keycloak, and the one reader of the request body. */
public final class DaneNames {

    /**
     * {@code dane_clientid}: the request-body parameter, the user-session note and so the token claim, the event
     * detail, and the default user attribute. One name for one fact, wherever it appears.
     */
    public static final String PARAMETER = "dane_clientid";
    /**
     * {@code dane_user}: a domain user's address {@code uid@domain}: the user-session note and so the token claim,
     * the event detail, and the user attribute that maps a person onto a user (user mapping {@code domain-user}).
     */
    public static final String USER = "dane_user";
    /** The client attribute holding a {@code client-dane} client's DANE identity. */
    public static final String CLIENT_ATTRIBUTE = "dane.clientid";

    private DaneNames() {
    }

    /** A form parameter of a {@code application/x-www-form-urlencoded} body, stripped; null when absent or blank. */
    public static String formParameter(HttpRequest request, String name) {
        MediaType type = request.getHttpHeaders().getMediaType();
        if (type == null || !type.isCompatible(MediaType.APPLICATION_FORM_URLENCODED_TYPE)) {
            return null;
        }
        String value = request.getDecodedFormParameters().getFirst(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** The normal form of a stored name, or null when it is not a valid name. */
    public static DaneName parseOrNull(String raw) {
        try {
            return raw == null ? null : DaneName.parse(raw);
        } catch (InvalidNameException e) {
            return null;
        }
    }
}
