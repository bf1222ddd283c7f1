package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.MatchingType;
import io.github.keycloakdane.it.harness.AdminApi;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the Keycloak scenarios share: the realm from realm-config, publishing TLSA records, clients, events. */
final class DaneScenarios {

    static final String REALM = "dane";
    static final String ZONE = "example.test";
    static final String UNSIGNED_ZONE = "unsigned.test";
    /** Short, so that the rotation scenario sees a replaced record within seconds. */
    static final int TTL = 2;

    private DaneScenarios() {
    }

    /** {@code 3 1 1} for the certificate's key, as a device publishes it. */
    static String daneEe(X509Certificate cert) {
        return "3 1 1 " + HexFormat.of().formatHex(MatchingType.SHA2_256.apply(Certificates.subjectPublicKeyInfo(cert)));
    }

    /** {@code 2 0 0}: the CA certificate itself in DNS (nginx forwards the leaf only). */
    static String daneTaFull(X509Certificate ca) {
        try {
            return "2 0 0 " + HexFormat.of().formatHex(ca.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Replaces the TLSA RRset at {@code owner} (absolute name) in the zone it belongs to. */
    static void publish(Stack stack, String owner, String... rdata) {
        String zone = owner.endsWith("." + UNSIGNED_ZONE) ? UNSIGNED_ZONE : ZONE;
        String[] lines = new String[rdata.length];
        for (int i = 0; i < rdata.length; i++) {
            lines[i] = owner + ". " + TTL + " IN TLSA " + rdata[i];
        }
        stack.knot().replace(zone, lines);
    }

    /** A confidential client using client-dane with the given DANE identity and a service account. */
    static void daneClient(AdminApi admin, String clientId, String daneName) {
        if (admin.client(REALM, clientId).isPresent()) {
            return;
        }
        Map<String, Object> client = new LinkedHashMap<>();
        client.put("clientId", clientId);
        client.put("enabled", true);
        client.put("publicClient", false);
        client.put("clientAuthenticatorType", "client-dane");
        client.put("serviceAccountsEnabled", true);
        client.put("standardFlowEnabled", false);
        client.put("directAccessGrantsEnabled", false);
        client.put("attributes", Map.of("dane.clientid", daneName));
        client.put("defaultClientScopes", List.of("basic", "profile", "dane"));
        admin.createClient(REALM, client);
    }

    /** A flow's and its one auth-dane execution's ids. */
    record AuthDaneFlow(String flowId, String executionId) {
    }

    /**
     * A top-level flow {@code alias} holding one auth-dane execution with {@code requirement}, configured with
     * {@code config} (the execution's settings, as the admin console saves them), made through the admin REST API.
     */
    static AuthDaneFlow authDaneFlow(AdminApi admin, String alias, String requirement, Map<String, String> config) {
        String flows = "/" + REALM + "/authentication/flows";
        admin.create(flows, Map.of("alias", alias, "description", "auth-dane: " + config, "providerId", "basic-flow",
                "topLevel", true, "builtIn", false));
        admin.create(flows + "/" + alias + "/executions/execution", Map.of("provider", "auth-dane"));
        ObjectNode execution = (ObjectNode) admin.get(flows + "/" + alias + "/executions").get(0);
        execution.put("requirement", requirement);
        admin.put(flows + "/" + alias + "/executions", execution);
        String executionId = execution.path("id").asText();
        admin.create("/" + REALM + "/authentication/executions/" + executionId + "/config",
                Map.of("alias", alias + "-config", "config", config));
        for (JsonNode f : admin.get(flows)) {
            if (alias.equals(f.path("alias").asText())) {
                return new AuthDaneFlow(f.path("id").asText(), executionId);
            }
        }
        throw new IllegalStateException("flow " + alias + " was not created");
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
    static Optional<JsonNode> event(AdminApi admin, String type, String name, Instant since) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        do {
            for (JsonNode e : admin.events(REALM, type)) {
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
