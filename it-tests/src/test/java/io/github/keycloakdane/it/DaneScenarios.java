package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki.Issued;
import jakarta.ws.rs.core.Response;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.keycloak.admin.client.CreatedResponseUtil;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.resource.AuthenticationManagementResource;
import org.keycloak.admin.client.resource.ClientsResource;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.AuthenticationExecutionInfoRepresentation;
import org.keycloak.representations.idm.AuthenticationFlowRepresentation;
import org.keycloak.representations.idm.AuthenticatorConfigRepresentation;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.CredentialRepresentation;
import org.keycloak.representations.idm.RealmEventsConfigRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the Keycloak scenarios share: the realm from realm-config, publishing TLSA records, clients, flows and events
 * through the admin client. The TLSA data is computed here with BouncyCastle and the JDK, never with the code under
 * test.
 */
public final class DaneScenarios {

    static final String REALM = "dane";
    static final String ZONE = "example.test";
    static final String UNSIGNED_ZONE = "unsigned.test";
    /** Short, so that the rotation scenario sees a replaced record within seconds. */
    static final int TTL = 2;

    private static final ObjectMapper JSON = new ObjectMapper();

    private DaneScenarios() {
    }

    /** {@code 3 1 1} for the certificate's key, as a device publishes it. */
    public static String daneEe(X509Certificate cert) {
        try {
            return "3 1 1 " + sha256Hex(new JcaX509CertificateHolder(cert).getSubjectPublicKeyInfo().getEncoded());
        } catch (java.io.IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code 2 0 1}: the digest of the CA certificate (usable where the chain reaches Keycloak). */
    static String daneTaDigest(X509Certificate ca) {
        try {
            return "2 0 1 " + sha256Hex(ca.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code 2 1 1}: the digest of the CA's public key (usable where the chain reaches Keycloak). */
    static String daneTaKeyDigest(X509Certificate ca) {
        try {
            return "2 1 1 " + sha256Hex(ca.getPublicKey().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code 2 0 0}: the CA certificate itself in DNS (nginx forwards the leaf only). */
    static String daneTaFull(X509Certificate ca) {
        try {
            return "2 0 0 " + HexFormat.of().formatHex(ca.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(byte[] data) throws GeneralSecurityException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    /** Replaces the TLSA RRset at {@code owner} (absolute name) in the zone it belongs to. */
    static void publish(Stack stack, String owner, String... rdata) {
        publish(stack.knot(), owner, rdata);
    }

    /** {@link #publish(Stack, String, String...)} on any Knot serving {@link #ZONE}. */
    static void publish(KnotDns knot, String owner, String... rdata) {
        String zone = owner.endsWith("." + UNSIGNED_ZONE) ? UNSIGNED_ZONE : ZONE;
        String[] lines = new String[rdata.length];
        for (int i = 0; i < rdata.length; i++) {
            lines[i] = owner + ". " + TTL + " IN TLSA " + rdata[i];
        }
        knot.replace(zone, lines);
    }

    /** A confidential client using client-dane with the given DANE identity and a service account. */
    static void daneClient(Keycloak admin, String clientId, String daneName) {
        daneClient(admin, clientId, daneName, Map.of());
    }

    /** The same, with more client attributes (e.g. {@code tls.client.certificate.bound.access.tokens}). */
    static void daneClient(Keycloak admin, String clientId, String daneName, Map<String, String> moreAttributes) {
        if (!admin.realm(REALM).clients().findByClientId(clientId).isEmpty()) {
            return;
        }
        Map<String, String> attributes = new LinkedHashMap<>(moreAttributes);
        attributes.put("dane.clientid", daneName);
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", clientId);
        client.put("enabled", true);
        client.put("publicClient", false);
        client.put("clientAuthenticatorType", "client-dane");
        client.put("serviceAccountsEnabled", true);
        client.put("standardFlowEnabled", false);
        client.put("directAccessGrantsEnabled", false);
        client.put("attributes", attributes);
        client.put("defaultClientScopes", List.of("basic", "profile", "dane"));
        createClient(admin.realm(REALM), client);
    }

    /**
     * A user of {@code realm} with a password and the given realm-management roles (e.g. {@code view-clients},
     * {@code realm-admin}), made unless there; returns its username.
     */
    static String realmUser(RealmResource realm, String username, String password, String... roles) {
        if (realm.users().searchByUsername(username, true).isEmpty()) {
            UserRepresentation user = new UserRepresentation();
            user.setUsername(username);
            user.setEnabled(true);
            user.setEmail(username + "@example.test");
            user.setEmailVerified(true);
            user.setFirstName("Realm");
            user.setLastName("Admin");
            CredentialRepresentation credential = new CredentialRepresentation();
            credential.setType(CredentialRepresentation.PASSWORD);
            credential.setValue(password);
            credential.setTemporary(false);
            user.setCredentials(List.of(credential));
            String id = createdId(realm.users().create(user));
            if (roles.length > 0) {
                String management = realm.clients().findByClientId("realm-management").get(0).getId();
                List<RoleRepresentation> wanted = Arrays.stream(roles)
                        .map(r -> realm.clients().get(management).roles().get(r).toRepresentation()).toList();
                realm.users().get(id).roles().clientLevel(management).add(wanted);
            }
        }
        return username;
    }

    /** Creates a client from its representation written as a map; returns its internal id. */
    public static String createClient(RealmResource realm, Map<String, ?> representation) {
        return createdId(realm.clients().create(representation(representation, ClientRepresentation.class)));
    }

    /** A confidential client_credentials client authenticated by Keycloak's own client-x509 with this subject DN. */
    static String createX509Client(RealmResource realm, String clientId, String subjectDn) {
        return createClient(realm, Map.of("clientId", clientId, "enabled", true, "publicClient", false,
                "serviceAccountsEnabled", true, "standardFlowEnabled", false,
                "clientAuthenticatorType", "client-x509", "attributes", Map.of("x509.subjectdn", subjectDn)));
    }

    /** A representation written as a map (as in a realm export), in the admin client's type. */
    static <T> T representation(Object map, Class<T> type) {
        return JSON.convertValue(map, type);
    }

    /** The id of what a create call made; throws when Keycloak refused it. */
    static String createdId(Response response) {
        try (response) {
            return CreatedResponseUtil.getCreatedId(response);
        }
    }

    /**
     * realm-config's example app {@code dane-login} names redirect URIs without a port: allow the proxy's origin of
     * this run (once, whichever IT asks first).
     */
    static void allowRedirectsThroughTheProxy(Stack stack) {
        ClientsResource clients = stack.admin().realm(REALM).clients();
        ClientRepresentation app = clients.findByClientId("dane-login").get(0);
        if (!app.getRedirectUris().contains(stack.baseUri() + "/*")) {
            app.getRedirectUris().add(stack.baseUri() + "/*");
            clients.get(app.getId()).update(app);
        }
    }

    /** A flow's and its one auth-dane execution's ids. */
    record AuthDaneFlow(String flowId, String executionId) {
    }

    /**
     * A top-level flow {@code alias} holding one auth-dane execution with {@code requirement}, configured with
     * {@code config} (the execution's settings, as the admin console saves them), made through the admin client.
     */
    static AuthDaneFlow authDaneFlow(Keycloak admin, String alias, String requirement, Map<String, String> config) {
        AuthenticationManagementResource flows = admin.realm(REALM).flows();
        AuthenticationFlowRepresentation flow = new AuthenticationFlowRepresentation();
        flow.setAlias(alias);
        flow.setDescription("auth-dane: " + config);
        flow.setProviderId("basic-flow");
        flow.setTopLevel(true);
        flow.setBuiltIn(false);
        String flowId = createdId(flows.createFlow(flow));
        flows.addExecution(alias, Map.of("provider", "auth-dane"));
        AuthenticationExecutionInfoRepresentation execution = flows.getExecutions(alias).get(0);
        execution.setRequirement(requirement);
        flows.updateExecutions(alias, execution);
        AuthenticatorConfigRepresentation settings = new AuthenticatorConfigRepresentation();
        settings.setAlias(alias + "-config");
        settings.setConfig(config);
        createdId(flows.newExecutionConfig(execution.getId(), settings));
        return new AuthDaneFlow(flowId, execution.getId());
    }

    /**
     * Turns on user events (which carry their details) of the types the ITs read, and admin events with
     * representations; keeps the realm's event listeners.
     */
    static void enableEvents(RealmResource realm) {
        RealmEventsConfigRepresentation config = realm.getRealmEventsConfig();
        config.setEnabledEventTypes(List.of("CLIENT_LOGIN", "CLIENT_LOGIN_ERROR", "LOGIN", "LOGIN_ERROR"));
        config.setEventsEnabled(true);
        config.setAdminEventsEnabled(true);
        config.setAdminEventsDetailsEnabled(true);
        realm.updateRealmEventsConfig(config);
    }

    /**
     * The realm's stored user events of these types (all types when none given), newest first, at most 1000, as the
     * JSON the REST API sends.
     */
    static List<JsonNode> events(RealmResource realm, String... types) {
        return realm.getEvents(List.of(types), null, null, null, null, null, 0, 1000).stream()
                .map(e -> (JsonNode) JSON.valueToTree(e)).toList();
    }

    /**
     * Polls {@link #events} until at least {@code count} events of these types are stored or {@code timeout} passes;
     * returns what is there then (the caller asserts).
     */
    static List<JsonNode> awaitEvents(RealmResource realm, int count, Duration timeout, String... types) {
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

    static TlsHttp device(Stack stack, Issued leaf, X509Certificate... issuers) {
        return stack.https().withClientCertificate(leaf, issuers);
    }

    static TlsHttp.Response clientCredentials(Stack stack, TlsHttp http, String... formNameValues) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        for (int i = 0; i < formNameValues.length; i += 2) {
            form.put(formNameValues[i], formNameValues[i + 1]);
        }
        return http.postForm(stack.tokenUri(REALM), form);
    }

    /**
     * The newest stored event of {@code type} whose {@code dane_clientid} detail is {@code name} and that happened
     * after {@code since}. Keycloak stores events asynchronously to the response only in rare cases, so this polls
     * briefly.
     */
    static Optional<JsonNode> event(Stack stack, String type, String name, Instant since) throws InterruptedException {
        return event(stack.admin(), type, name, since);
    }

    /** {@link #event(Stack, String, String, Instant)} on any Keycloak. */
    static Optional<JsonNode> event(Keycloak admin, String type, String name, Instant since) throws InterruptedException {
        return event(admin.realm(REALM), type, name, since);
    }

    /** {@link #event(Stack, String, String, Instant)} in any realm. */
    static Optional<JsonNode> event(RealmResource realm, String type, String name, Instant since)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        do {
            for (JsonNode e : events(realm, type)) {
                if (e.path("time").asLong() >= since.toEpochMilli()
                        && name.equals(e.path("details").path("dane_clientid").asText(null))) {
                    return Optional.of(e);
                }
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        return Optional.empty();
    }

    /** Queries Knot has answered so far, over every transport: proof that a step made no DNS query. */
    static long knotQueries(Stack stack) throws Exception {
        return stack.knot().stats().entrySet().stream()
                .filter(e -> e.getKey().startsWith("mod-stats.request-protocol["))
                .mapToLong(Map.Entry::getValue).sum();
    }
}
