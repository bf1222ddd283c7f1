package io.github.keycloakdane.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A minimal Keycloak admin REST client (java.net.http + Jackson) logged in as the bootstrap admin of the master realm
 * ({@code admin-cli}, password grant; the token is renewed before it expires).
 *
 * <p>Paths are relative to {@code BASE/admin/realms}: {@code ""} is the realm list, {@code "/dane/clients"} the
 * clients of realm dane. Bodies are Jackson-serialised (a {@code String} is sent as it is). Any status outside 2xx
 * throws {@link AdminException}.
 */
public final class AdminApi {

    /** The user and client events {@link #enableEvents} always enables. */
    public static final List<String> EVENT_TYPES = List.of("CLIENT_LOGIN", "CLIENT_LOGIN_ERROR", "LOGIN", "LOGIN_ERROR");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TOKEN_MARGIN = Duration.ofSeconds(15);

    /** A non-2xx answer. */
    public static final class AdminException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int status;
        private final String body;

        AdminException(String request, int status, String body) {
            super(request + " -> " + status + " " + body);
            this.status = status;
            this.body = body;
        }

        public int status() {
            return status;
        }

        public String body() {
            return body;
        }
    }

    private final URI base;
    private final TlsHttp http;
    private final String username;
    private final String password;
    private String token;
    private long tokenExpiresAt;

    /** For Keycloak at {@code base} (e.g. {@code http://127.0.0.1:PORT}), reached with {@code http}. */
    public AdminApi(URI base, TlsHttp http, String username, String password) {
        this.base = URI.create(base.toString().replaceAll("/+$", ""));
        this.http = http;
        this.username = username;
        this.password = password;
    }

    // ------------------------------------------------------------------------------------------------ token

    /** A valid admin access token (cached; renewed 15 s before it expires). */
    public synchronized String accessToken() {
        if (token == null || System.nanoTime() > tokenExpiresAt) {
            URI uri = URI.create(base + "/realms/master/protocol/openid-connect/token");
            TlsHttp.Response r = http.postForm(uri, Map.of("grant_type", "password", "client_id", "admin-cli",
                    "username", username, "password", password));
            if (r.status() != 200) {
                throw new AdminException("POST " + uri, r.status(), r.body());
            }
            JsonNode json = r.json();
            token = json.get("access_token").asText();
            long lifetime = Math.max(1, json.path("expires_in").asLong(60) - TOKEN_MARGIN.toSeconds());
            tokenExpiresAt = System.nanoTime() + Duration.ofSeconds(lifetime).toNanos();
        }
        return token;
    }

    // ------------------------------------------------------------------------------------------------ generic

    /** Sends {@code METHOD BASE/admin/realms PATH} with the admin token; no status check. */
    public TlsHttp.Response request(String method, String path, Object body) {
        URI uri = uri(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + accessToken())
                .header("Accept", "application/json");
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(TlsHttp.json(body)));
        }
        return http.send(b.build());
    }

    public JsonNode get(String path) {
        return parse(checked("GET", path, null));
    }

    /** POST; the response body as JSON (null when empty). */
    public JsonNode post(String path, Object body) {
        return parse(checked("POST", path, body));
    }

    /** POST that creates something; the id at the end of the Location header (null without one). */
    public String create(String path, Object body) {
        TlsHttp.Response r = checked("POST", path, body);
        return r.location().map(l -> l.substring(l.lastIndexOf('/') + 1)).orElse(null);
    }

    public void put(String path, Object body) {
        checked("PUT", path, body);
    }

    public void delete(String path) {
        checked("DELETE", path, null);
    }

    private TlsHttp.Response checked(String method, String path, Object body) {
        TlsHttp.Response r = request(method, path, body);
        if (r.status() / 100 != 2) {
            throw new AdminException(method + " " + uri(path), r.status(), r.body());
        }
        return r;
    }

    private URI uri(String path) {
        if (!path.isEmpty() && !path.startsWith("/") && !path.startsWith("?")) {
            throw new IllegalArgumentException("admin paths start with /: " + path);
        }
        return URI.create(base + "/admin/realms" + path);
    }

    private static JsonNode parse(TlsHttp.Response r) {
        return r.body().isBlank() ? null : r.json();
    }

    /** A path segment, URL-encoded. */
    public static String enc(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    // ------------------------------------------------------------------------------------------------ realms

    /** Creates a realm from its representation (a Map, a JsonNode or JSON text). */
    public void createRealm(Object representation) {
        post("", representation);
    }

    /** Creates the realm in a realm-export JSON file. */
    public void importRealm(Path realmJson) {
        try {
            createRealm(Files.readString(realmJson, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public JsonNode realm(String realm) {
        return get("/" + enc(realm));
    }

    public boolean realmExists(String realm) {
        return request("GET", "/" + enc(realm), null).status() == 200;
    }

    /** PUT of a partial representation: only the fields given change. */
    public void updateRealm(String realm, Object partialRepresentation) {
        put("/" + enc(realm), partialRepresentation);
    }

    /** Deletes the realm if it exists. */
    public void deleteRealm(String realm) {
        TlsHttp.Response r = request("DELETE", "/" + enc(realm), null);
        if (r.status() != 204 && r.status() != 404) {
            throw new AdminException("DELETE realm " + realm, r.status(), r.body());
        }
    }

    // ------------------------------------------------------------------------------------------------ clients

    /** Creates a client; returns its internal id. */
    public String createClient(String realm, Object representation) {
        return create("/" + enc(realm) + "/clients", representation);
    }

    /** The client with this clientId, if any. */
    public Optional<JsonNode> client(String realm, String clientId) {
        JsonNode list = get("/" + enc(realm) + "/clients?clientId=" + enc(clientId));
        for (JsonNode c : list) {
            if (clientId.equals(c.path("clientId").asText())) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The internal id of the client with this clientId. */
    public String clientUuid(String realm, String clientId) {
        return client(realm, clientId).map(c -> c.get("id").asText())
                .orElseThrow(() -> new IllegalArgumentException("no client " + clientId + " in realm " + realm));
    }

    /** Creates a user; returns its id. */
    public String createUser(String realm, Object representation) {
        return create("/" + enc(realm) + "/users", representation);
    }

    // ------------------------------------------------------------------------------------------------ events

    /**
     * Turns on user events (which carry their details) for {@link #EVENT_TYPES} plus {@code moreTypes}, and admin
     * events with representations; keeps the realm's event listeners.
     */
    public void enableEvents(String realm, String... moreTypes) {
        String path = "/" + enc(realm) + "/events/config";
        ObjectNode config = (ObjectNode) get(path);
        Set<String> types = new LinkedHashSet<>(EVENT_TYPES);
        types.addAll(List.of(moreTypes));
        ArrayNode enabled = config.putArray("enabledEventTypes");
        types.forEach(enabled::add);
        config.put("eventsEnabled", true);
        config.put("adminEventsEnabled", true);
        config.put("adminEventsDetailsEnabled", true);
        put(path, config);
    }

    /** The realm's stored user events of these types (all types when none given), newest first, at most 1000. */
    public List<JsonNode> events(String realm, String... types) {
        StringBuilder q = new StringBuilder("/" + enc(realm) + "/events?max=1000");
        for (String t : types) {
            q.append("&type=").append(enc(t));
        }
        List<JsonNode> events = new ArrayList<>();
        get(q.toString()).forEach(events::add);
        return events;
    }

    /**
     * Polls {@link #events} until at least {@code count} events of these types are stored or {@code timeout} passes;
     * returns what is there then (the caller asserts).
     */
    public List<JsonNode> awaitEvents(String realm, int count, Duration timeout, String... types) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<JsonNode> events = events(realm, types);
        while (events.size() < count && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            events = events(realm, types);
        }
        return events;
    }

    /** Deletes the realm's stored user events. */
    public void clearEvents(String realm) {
        delete("/" + enc(realm) + "/events");
    }

    public URI base() {
        return base;
    }

    static ObjectMapper mapper() {
        return JSON;
    }
}
