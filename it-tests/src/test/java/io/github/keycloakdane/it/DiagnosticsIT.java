package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.keycloak.DaneMetrics;
import io.github.keycloakdane.keycloak.diagnostics.DaneDiagnosticsProviderFactory;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.RealmRepresentation;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.ZONE;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /admin/realms/{realm}/dane/diagnose} on the shared stack: what it tells a realm admin, who may call it, and
 * that it leaves the lookup cache alone unless asked to refresh; {@code .../identities} under the same rules.
 */
@ExtendWith(SharedStack.class)
class DiagnosticsIT {

    private static final String PASSWORD = "diag-Passw0rd";
    private static final String OTHER_REALM = "diag-other";
    private static final String KNOWN = "diag7._device.example.test";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Stack stack;
    private static Issued device;
    private static String knownClientId;
    private static String viewer;
    private static String manager;
    private static String nobody;
    private static String otherRealmViewer;

    @BeforeAll
    static void adminsAndADevice(Stack shared) throws Exception {
        stack = shared;
        Keycloak admin = stack.admin();
        device = TestPki.leaf("diag7").build();
        publishLongLived(KNOWN, daneEe(device.cert()));
        daneClient(admin, "diag7", KNOWN);
        knownClientId = admin.realm(REALM).clients().findByClientId("diag7").get(0).getId();

        // the dane realm's direct grant flow is DANE's: admin-cli signs these admins in with the built-in one
        RealmResource dane = admin.realm(REALM);
        String builtIn = dane.flows().getFlows().stream().filter(f -> f.getAlias().equals("direct grant"))
                .findFirst().orElseThrow().getId();
        ClientRepresentation cli = dane.clients().findByClientId("admin-cli").get(0);
        cli.setAuthenticationFlowBindingOverrides(Map.of("direct_grant", builtIn));
        dane.clients().get(cli.getId()).update(cli);
        viewer = token(REALM, user(dane, "diag-viewer", "view-clients"));
        manager = token(REALM, user(dane, "diag-manager", "manage-clients"));
        nobody = token(REALM, user(dane, "diag-nobody"));

        if (admin.realms().findAll().stream().noneMatch(r -> r.getRealm().equals(OTHER_REALM))) {
            RealmRepresentation other = new RealmRepresentation();
            other.setRealm(OTHER_REALM);
            other.setEnabled(true);
            admin.realms().create(other);
        }
        otherRealmViewer = token(OTHER_REALM, user(admin.realm(OTHER_REALM), "diag-viewer", "view-clients"));
    }

    @Test
    void aRealmAdminSeesTheWholeVerdictForAKnownClientAndItsCertificate() throws Exception {
        HttpResponse<String> response = diagnose(viewer, "name=" + KNOWN.toUpperCase(), TestPki.pem(List.of(device.cert())));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode json = JSON.readTree(response.body());
        assertThat(json.path("name").asText()).isEqualTo(KNOWN);
        assertThat(json.path("allowList").path("server").asBoolean()).isTrue();
        assertThat(json.path("clients")).extracting(JsonNode::asText).containsExactly(knownClientId);
        assertThat(json.has("users")).as("view-clients alone does not list users").isFalse();
        assertThat(json.path("usersHidden").asText()).contains("view-users");
        assertThat(json.path("cache").path("cached").asBoolean()).as("no login has asked for it").isFalse();
        JsonNode lookup = json.path("lookup");
        assertThat(lookup.path("dnssec").asText()).isEqualTo("SECURE");
        assertThat(lookup.path("stored").asBoolean()).isFalse();
        assertThat(lookup.path("usable")).hasSize(1);
        assertThat(lookup.path("usable").get(0).asText()).startsWith("3 1 1 ");
        JsonNode match = json.path("match");
        assertThat(match.path("authenticated").asBoolean()).isTrue();
        assertThat(match.path("reason").asText()).isEqualTo("OK");
        assertThat(match.path("record").asText()).isEqualTo("3 1 1");
        assertThat(match.path("depth").asInt()).isZero();

        // an admin who may see users gets their ids too (the master realm's admin here)
        JsonNode byMasterAdmin = JSON.readTree(diagnose(stack.admin().tokenManager().getAccessTokenString(),
                "name=" + KNOWN, null).body());
        assertThat(byMasterAdmin.path("users").isArray()).as(byMasterAdmin.toString()).isTrue();
        assertThat(byMasterAdmin.path("clients")).extracting(JsonNode::asText).containsExactly(knownClientId);

        Issued thief = TestPki.leaf("diag7").build();
        JsonNode wrong = JSON.readTree(diagnose(viewer, "name=" + KNOWN, TestPki.pem(List.of(thief.cert()))).body());
        assertThat(wrong.path("match").path("reason").asText()).isEqualTo("NO_MATCH");
        assertThat(wrong.path("match").path("depth").asInt()).isEqualTo(-1);
    }

    @Test
    void unknownUnlistedAndInvalidNamesAreExplained() throws Exception {
        // under a label of its own: other classes publish wildcards at *._device
        JsonNode unknown = JSON.readTree(diagnose(viewer, "name=nobody-here._diag.example.test", null).body());
        assertThat(unknown.path("clients")).isEmpty();
        assertThat(unknown.path("lookup").path("dnssec").asText()).isEqualTo("NXDOMAIN");
        assertThat(unknown.path("lookup").path("reason").asText()).contains("does not exist");
        assertThat(unknown.has("match")).as("no certificate, no match").isFalse();

        JsonNode unlisted = JSON.readTree(diagnose(viewer, "name=device.elsewhere.test", null).body());
        assertThat(unlisted.path("allowList").path("server").asBoolean()).isFalse();
        assertThat(unlisted.path("lookup").path("performed").asBoolean()).isFalse();
        assertThat(unlisted.path("lookup").path("why").asText()).contains("allow list");

        assertThat(diagnose(viewer, "execution=no-such-execution&name=" + KNOWN, null).statusCode())
                .as("an execution that is not there").isEqualTo(400);

        JsonNode invalid = JSON.readTree(diagnose(viewer, "name=" + enc("bad name..test"), null).body());
        assertThat(invalid.has("name")).isFalse();
        assertThat(invalid.path("nameError").asText()).isNotBlank();
    }

    @Test
    void onlyRealmAdminsWhoMayViewClientsMayCallIt() throws Exception {
        assertThat(diagnose(nobody, "name=" + KNOWN, null).statusCode()).as("no realm-management role").isEqualTo(403);
        // a token of another realm is not an admin of this one, whatever its roles there: Keycloak answers 403
        assertThat(diagnose(otherRealmViewer, "name=" + KNOWN, null).statusCode()).isEqualTo(403);
        assertThat(diagnose(null, "name=" + KNOWN, null).statusCode()).as("no token").isEqualTo(401);
        assertThat(diagnose("not-a-token", "name=" + KNOWN, null).statusCode()).isEqualTo(401);
        assertThat(diagnose(manager, "name=" + KNOWN, null).statusCode()).as("manage-clients implies view")
                .isEqualTo(200);
    }

    @Test
    void theIdentitiesListHasTheSameRulesAndNamesTheCarriers() throws Exception {
        HttpResponse<String> byViewer = identities(viewer);
        assertThat(byViewer.statusCode()).as(byViewer.body()).isEqualTo(200);
        JsonNode list = JSON.readTree(byViewer.body());
        JsonNode diag7 = null;
        for (JsonNode c : list.path("clients")) {
            if (c.path("clientId").asText().equals("diag7")) {
                diag7 = c;
            }
        }
        assertThat(diag7).as(list.toString()).isNotNull();
        assertThat(diag7.path("id").asText()).isEqualTo(knownClientId);
        assertThat(diag7.path("dane").asText()).isEqualTo(KNOWN);
        assertThat(diag7.path("authenticator").asText()).isEqualTo("client-dane");
        assertThat(list.has("users")).as("view-clients alone does not list users").isFalse();
        assertThat(list.path("usersHidden").asText()).contains("view-users");
        assertThat(list.path("executions")).extracting(e -> e.path("flow").asText())
                .contains("dane browser", "dane direct grant");

        JsonNode byMasterAdmin = JSON.readTree(identities(stack.admin().tokenManager().getAccessTokenString()).body());
        assertThat(byMasterAdmin.path("users")).extracting(u -> u.path("username").asText()).contains("alice");

        assertThat(identities(nobody).statusCode()).isEqualTo(403);
        assertThat(identities(otherRealmViewer).statusCode()).isEqualTo(403);
        assertThat(identities(null).statusCode()).isEqualTo(401);
    }

    private static HttpResponse<String> identities(String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(stack.keycloak().baseUri() + "/admin/realms/"
                + REALM + "/" + DaneDiagnosticsProviderFactory.PROVIDER_ID + "/identities"))
                .timeout(Duration.ofSeconds(60));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withoutRefreshTheCacheIsNotWritten() throws Exception {
        String name = "fresh1._device.example.test";
        publishLongLived(name, daneEe(TestPki.leaf("fresh1").build().cert()));
        double sizeBefore = cacheSize();
        long queriesBefore = knotQueries(stack);

        JsonNode first = JSON.readTree(diagnose(viewer, "name=" + name, null).body());
        JsonNode second = JSON.readTree(diagnose(viewer, "name=" + name, null).body());

        assertThat(first.path("lookup").path("dnssec").asText()).isEqualTo("SECURE");
        assertThat(first.path("cache").path("cached").asBoolean()).isFalse();
        assertThat(second.path("cache").path("cached").asBoolean()).as("still not cached").isFalse();
        assertThat(knotQueries(stack)).as("each diagnosis asked DNS itself").isGreaterThan(queriesBefore + 1);
        assertThat(cacheSize()).isEqualTo(sizeBefore);
    }

    @Test
    void refreshNeedsManageClientsAndReplacesTheCachedAnswer() throws Exception {
        String name = "fresh2._device.example.test";
        publishLongLived(name, daneEe(TestPki.leaf("fresh2").build().cert()));

        assertThat(diagnose(viewer, "refresh=true&name=" + name, null).statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(diagnose(viewer, "name=" + name, null).body()).path("cache").path("cached")
                .asBoolean()).as("the refused refresh wrote nothing").isFalse();

        HttpResponse<String> refreshed = diagnose(manager, "refresh=true&name=" + name, null);
        assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
        assertThat(JSON.readTree(refreshed.body()).path("lookup").path("stored").asBoolean()).isTrue();
        Instant firstUntil = cachedUntil(name);
        assertThat(firstUntil).isAfter(Instant.now());

        Thread.sleep(1100);
        diagnose(manager, "refresh=true&name=" + name, null);
        assertThat(cachedUntil(name)).as("a new answer, cached from now").isAfter(firstUntil);
    }

    private static Instant cachedUntil(String name) throws Exception {
        JsonNode cache = JSON.readTree(diagnose(viewer, "name=" + name, null).body()).path("cache");
        assertThat(cache.path("cached").asBoolean()).as(cache.toString()).isTrue();
        return Instant.parse(cache.path("until").asText());
    }

    private static double cacheSize() throws Exception {
        return MetricsIT.scrape(stack).get(DaneMetrics.CACHE_SIZE.replace('.', '_'));
    }

    /** The longest TTL Knot signs here, so that a cached answer outlives the test's steps. */
    private static void publishLongLived(String owner, String rdata) {
        stack.knot().replace(ZONE, owner + ". " + KnotDns.MAX_TTL + " IN TLSA " + rdata);
    }

    /** GET without a PEM body, POST (text/plain) with one; the token is sent when not null. */
    private static HttpResponse<String> diagnose(String token, String query, String pem) throws Exception {
        URI uri = URI.create(stack.keycloak().baseUri() + "/admin/realms/" + REALM + "/"
                + DaneDiagnosticsProviderFactory.PROVIDER_ID + "/diagnose?" + query);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (pem != null) {
            request.header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(pem));
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A user with the password and the given realm-management roles of its realm; returns its username. */
    private static String user(RealmResource realm, String username, String... roles) {
        return DaneScenarios.realmUser(realm, username, PASSWORD, roles);
    }

    /** An access token of the user, from the realm's admin-cli with the password grant, straight from Keycloak. */
    private static String token(String realm, String username) throws Exception {
        URI uri = URI.create(stack.keycloak().realmUri(realm) + "/protocol/openid-connect/token");
        String form = "grant_type=password&client_id=admin-cli&username=" + enc(username) + "&password="
                + enc(PASSWORD);
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("access_token").asText();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
