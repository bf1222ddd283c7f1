package io.github.keycloakdane.keycloak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Refuses an invalid {@code auth-dane} execution configuration when the admin saves it. Keycloak 26.7 has no
 * validation hook for authenticator configurations (required actions have one, authenticators do not), so this
 * request filter checks the two admin REST calls that store one, the ones the admin console makes:
 * {@code POST .../authentication/executions/{id}/config} and {@code PUT .../authentication/config/{id}}. A body whose
 * configuration holds an {@code auth-dane} key is checked with {@link DaneUserAuthenticatorConfig#problems}; a problem
 * ends the request with HTTP 400 and the messages, each naming its field, which the admin console shows. Anything
 * else passes untouched. A configuration stored another way (realm import) is checked again on every use. The filter
 * runs after matching, on the worker thread that also runs the admin resource, so reading the body may block.
 */
@Provider
public class AuthenticatorConfigCheck implements ContainerRequestFilter {

    private static final Pattern CONFIG_PATH =
            Pattern.compile(".*/admin/realms/[^/]+/authentication/(executions/[^/]+/config|config/[^/]+)/?");
    private static final List<String> KEYS = List.of(DaneUserAuthenticatorConfig.ALLOW_LIST,
            DaneUserAuthenticatorConfig.IDENTITY_SOURCE, DaneUserAuthenticatorConfig.IDENTITY_HEADER,
            DaneUserAuthenticatorConfig.USER_MAPPING, DaneUserAuthenticatorConfig.USER_ATTRIBUTE,
            DaneUserAuthenticatorConfig.CONFIRMATION_PAGE, DaneUserAuthenticatorConfig.PROVISION_USERS);
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public void filter(ContainerRequestContext request) throws IOException {
        String method = request.getMethod();
        if (!(HttpMethod.POST.equals(method) || HttpMethod.PUT.equals(method))
                || !CONFIG_PATH.matcher(request.getUriInfo().getPath()).matches() || !request.hasEntity()) {
            return;
        }
        byte[] body = request.getEntityStream().readAllBytes();
        request.setEntityStream(new ByteArrayInputStream(body)); // the resource reads it again
        List<String> problems = problems(body);
        if (!problems.isEmpty()) {
            String message = "auth-dane settings refused: " + String.join("; ", problems);
            ObjectNode error = JSON.createObjectNode().put("error", "invalid_input")
                    .put("error_description", message).put("errorMessage", message);
            request.abortWith(Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(JSON.writeValueAsString(error)).build());
        }
    }

    /** The problems of an auth-dane configuration in a request body; empty for any other body. */
    static List<String> problems(byte[] body) {
        JsonNode config;
        try {
            config = JSON.readTree(body).path("config");
        } catch (IOException e) {
            return List.of(); // not JSON: Keycloak answers that itself
        }
        if (!config.isObject() || KEYS.stream().noneMatch(config::has)) {
            return List.of();
        }
        Map<String, String> values = new LinkedHashMap<>();
        config.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        return DaneUserAuthenticatorConfig.problems(values);
    }
}
