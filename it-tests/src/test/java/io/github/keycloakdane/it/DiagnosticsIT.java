package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.keycloakdane.it.FaultyDns.Fault;
import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.keycloak.DaneMetrics;
import io.github.keycloakdane.keycloak.diagnostics.DaneDiagnosticsProviderFactory;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.AuthenticationExecutionInfoRepresentation;
import org.keycloak.representations.idm.AuthenticationFlowRepresentation;
import org.keycloak.representations.idm.AuthenticatorConfigRepresentation;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.RealmRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.ZONE;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.createdId;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
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
    private static String otherRealmManager;
    /** Signed in to the master realm, with view-clients of this realm (its {@code dane-realm} client's role). */
    private static String masterViewer;

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
        otherRealmManager = token(OTHER_REALM, user(admin.realm(OTHER_REALM), "diag-manager", "manage-clients"));
        masterViewer = masterAdminOfTheRealm("diag-master-viewer");
    }

    /** A user of the master realm with view-clients of this realm; returns its access token. */
    private static String masterAdminOfTheRealm(String username) throws Exception {
        RealmResource master = stack.admin().realm("master");
        user(master, username);
        String id = master.users().searchByUsername(username, true).get(0).getId();
        String realmClient = master.clients().findByClientId(REALM + "-realm").get(0).getId();
        RoleRepresentation view = master.clients().get(realmClient).roles().get("view-clients").toRepresentation();
        master.users().get(id).roles().clientLevel(realmClient).add(List.of(view));
        return token("master", username);
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
        String nobodys = "name=nobody-here._diag.example.test";
        long queriesBefore = knotQueries(stack);
        JsonNode byRealmAdmin = JSON.readTree(diagnose(viewer, nobodys, null).body());
        assertThat(byRealmAdmin.path("clients")).isEmpty();
        assertThat(byRealmAdmin.path("lookup").path("performed").asBoolean()).isFalse();
        assertThat(byRealmAdmin.path("lookup").path("why").asText()).as("a name no client or user of the realm"
                + " carries is looked up only for a master-realm admin").contains("master realm");
        assertThat(byRealmAdmin.path("cache").path("shown").asBoolean(true)).isFalse();
        assertThat(byRealmAdmin.path("cache").has("cached")).isFalse();
        assertThat(knotQueries(stack)).as("no DNS query for it").isEqualTo(queriesBefore);

        JsonNode unknown = JSON.readTree(diagnose(masterViewer, nobodys, null).body());
        assertThat(unknown.path("clients")).isEmpty();
        assertThat(unknown.path("lookup").path("dnssec").asText()).isEqualTo("NXDOMAIN");
        assertThat(unknown.path("lookup").path("reason").asText()).contains("does not exist");
        assertThat(unknown.path("cache").has("cached")).as("not the realm's name: no cache state").isFalse();
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

    @Test
    void aColdLoginSucceedsWhileFortyDiagnosesWaitOnBlackHoledNames() throws Exception {
        String cold = "cold1._diag.example.test";
        Issued key = TestPki.leaf("cold1").build();
        publish(stack, cold, daneEe(key.cert()));
        daneClient(stack.admin(), "diag-cold1", cold);
        // two admins of master (20 diagnoses each, within each one's burst): the lookup budget alone must hold
        List<String> attackers = List.of(masterAdminOfTheRealm("diag-master-flood1"),
                masterAdminOfTheRealm("diag-master-flood2"));
        List<String> holes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            holes.add("hole" + i + "._diag.example.test");
            SharedStack.faults().set(holes.get(i), Fault.DROP);
        }
        ExecutorService pool = Executors.newFixedThreadPool(holes.size());
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> diagnoses = new ArrayList<>();
            for (int i = 0; i < holes.size(); i++) {
                String hole = holes.get(i);
                String attacker = attackers.get(i % 2);
                diagnoses.add(pool.submit(() -> {
                    go.await();
                    return diagnose(attacker, "name=" + hole, null);
                }));
            }
            go.countDown();
            // the first black-holed queries have arrived: their lookups wait (2 s) from now on
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (holes.stream().mapToInt(h -> SharedStack.faults().queries(h)).sum() < 2
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            int blackHoled = holes.stream().mapToInt(h -> SharedStack.faults().queries(h)).sum();

            TlsHttp.Response login = clientCredentials(stack, device(stack, key), "client_id", "diag-cold1");

            Map<String, Integer> outcomes = new LinkedHashMap<>();
            List<String> busyReasons = new ArrayList<>();
            for (Future<HttpResponse<String>> f : diagnoses) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                JsonNode lookup = r.statusCode() == 200 ? JSON.readTree(r.body()).path("lookup") : null;
                String outcome = lookup != null ? lookup.path("dnssec").asText() : "HTTP " + r.statusCode();
                outcomes.merge(outcome, 1, Integer::sum);
                if (outcome.equals("BUSY")) {
                    busyReasons.add(lookup.path("reason").asText());
                }
            }
            // with the diagnoses on the logins' slots (the code before this test) this is 401 DNS_BUSY, and the
            // BUSY ones say "32 lookups are running on this node already (max-concurrent-lookups)"
            assertThat(login.status()).as("the cold login while the diagnoses waited (%d black-holed queries"
                    + " seen; diagnoses: %s): %s", blackHoled, outcomes, login).isEqualTo(200);
            assertThat(busyReasons).allSatisfy(reason -> assertThat(reason)
                    .contains("diagnostics-max-concurrent-lookups"));
            assertThat(outcomes.keySet()).as(outcomes.toString()).isSubsetOf("TIMEOUT", "BUSY");
            assertThat(outcomes.getOrDefault("TIMEOUT", 0)).as("at most the diagnostics' own 2 slots waited at once,"
                    + " give or take a late arrival after they were free again: %s", outcomes).isBetween(1, 6);
            assertThat(holes.stream().mapToInt(h -> SharedStack.faults().queries(h)).sum())
                    .as("queries for black-holed names: only the lookups that waited asked DNS, BUSY ones did not")
                    .isLessThanOrEqualTo(3 * outcomes.getOrDefault("TIMEOUT", 0));
        } finally {
            pool.shutdownNow();
            holes.forEach(h -> SharedStack.faults().set(h, Fault.NONE));
        }
    }

    @Test
    void beyondTheBurstAnAdminIsAnswered429InThatRealmOnly() throws Exception {
        String burster = token(REALM, user(stack.admin().realm(REALM), "diag-burst", "view-clients"));
        int admitted = 0;
        HttpResponse<String> refused = null;
        for (int i = 0; i < 200 && refused == null; i++) {
            // off the server allow list: nothing but the rate limit costs anything
            HttpResponse<String> r = diagnose(burster, "name=device.elsewhere.test", null);
            if (r.statusCode() == 429) {
                refused = r;
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                admitted++;
            }
        }
        assertThat(refused).as("refused at some point").isNotNull();
        assertThat(admitted).as("the burst (30) first").isGreaterThanOrEqualTo(30);
        assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
                v -> assertThat(Long.parseLong(v)).isPositive());
        assertThat(refused.body()).contains("diagnostics-per-minute");
        assertThat(diagnose(viewer, "name=device.elsewhere.test", null).statusCode()).as("another admin")
                .isEqualTo(200);
        assertThat(identities(burster).statusCode()).as("only diagnoses count").isEqualTo(200);
    }

    @Test
    void anotherRealmsNamesAndCacheStateAreNotShownNorRefreshed() throws Exception {
        String theirs = "other1._diag.example.test";
        publishLongLived(theirs, daneEe(TestPki.leaf("other1").build().cert()));
        Keycloak admin = stack.admin();
        if (admin.realm(OTHER_REALM).clients().findByClientId("other1").isEmpty()) {
            DaneScenarios.createClient(admin.realm(OTHER_REALM), Map.of("clientId", "other1",
                    "clientAuthenticatorType", "client-dane", "publicClient", false,
                    "attributes", Map.of("dane.clientid", theirs)));
        }
        // their admin puts it into the node's cache: their name
        HttpResponse<String> refreshed = diagnose(OTHER_REALM, otherRealmManager, "refresh=true&name=" + theirs, null);
        assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
        JsonNode cachedForThem = JSON.readTree(diagnose(OTHER_REALM, otherRealmManager, "name=" + theirs, null)
                .body()).path("cache");
        assertThat(cachedForThem.path("cached").asBoolean()).as(cachedForThem.toString()).isTrue();

        JsonNode seenHere = JSON.readTree(diagnose(viewer, "name=" + theirs, null).body());
        assertThat(seenHere.path("clients")).as("not a client of this realm").isEmpty();
        assertThat(seenHere.path("cache").has("cached")).as(seenHere.toString()).isFalse();
        assertThat(seenHere.path("cache").has("until")).isFalse();
        assertThat(seenHere.path("lookup").path("performed").asBoolean()).isFalse();
        assertThat(diagnose(manager, "refresh=true&name=" + theirs, null).statusCode())
                .as("refresh only for this realm's names").isEqualTo(403);
        JsonNode byMaster = JSON.readTree(diagnose(masterViewer, "name=" + theirs, null).body());
        assertThat(byMaster.path("lookup").path("dnssec").asText()).as("looked up for a master admin").isEqualTo(
                "SECURE");
        assertThat(byMaster.path("cache").has("cached")).as("but its cache state is still not shown here").isFalse();
    }

    @Test
    void aFailureInTheNegativeCacheIsShownAsCachedUnlessRefreshed() throws Exception {
        String failing = "failing1._diag.example.test";
        daneClient(stack.admin(), "diag-failing1", failing);
        TlsHttp http = device(stack, TestPki.leaf("failing1").build());
        // the shared stack caches failures for 1 s only: a slow step may miss the window, so a few tries
        JsonNode lookup = null;
        long queriesBefore = 0;
        long queriesAfter = -1;
        for (int attempt = 0; attempt < 5 && queriesAfter != queriesBefore; attempt++) {
            TlsHttp.Response login = clientCredentials(stack, http, "client_id", "diag-failing1");
            assertThat(login.status()).as("the login's failure is cached (cache-negative-ttl)").isEqualTo(401);
            queriesBefore = knotQueries(stack);
            lookup = JSON.readTree(diagnose(viewer, "name=" + failing, null).body()).path("lookup");
            queriesAfter = knotQueries(stack);
        }

        assertThat(queriesAfter).as("no query for a cached failure: %s", lookup).isEqualTo(queriesBefore);
        assertThat(lookup.path("fromCache").asBoolean()).as(lookup.toString()).isTrue();
        assertThat(lookup.path("performed").asBoolean()).isFalse();
        assertThat(lookup.path("dnssec").asText()).isEqualTo("NXDOMAIN");
        JsonNode refreshed = JSON.readTree(diagnose(manager, "refresh=true&name=" + failing, null).body());
        assertThat(refreshed.path("lookup").path("performed").asBoolean()).as(refreshed.toString()).isTrue();
        assertThat(knotQueries(stack)).isGreaterThan(queriesBefore);
    }

    @Test
    void anotherRealmsExecutionIsRefusedByItsIdAndItsConfigurationsId() throws Exception {
        var flows = stack.admin().realm(OTHER_REALM).flows();
        String alias = "diag-other-auth-dane";
        if (flows.getFlows().stream().noneMatch(f -> f.getAlias().equals(alias))) {
            AuthenticationFlowRepresentation flow = new AuthenticationFlowRepresentation();
            flow.setAlias(alias);
            flow.setProviderId("basic-flow");
            flow.setTopLevel(true);
            flow.setBuiltIn(false);
            createdId(flows.createFlow(flow));
            flows.addExecution(alias, Map.of("provider", "auth-dane"));
            AuthenticatorConfigRepresentation settings = new AuthenticatorConfigRepresentation();
            settings.setAlias(alias + "-config");
            settings.setConfig(Map.of("dane.allow-list", ".example.test"));
            createdId(flows.newExecutionConfig(flows.getExecutions(alias).get(0).getId(), settings));
        }
        AuthenticationExecutionInfoRepresentation theirs = flows.getExecutions(alias).get(0);
        assertThat(theirs.getAuthenticationConfig()).isNotBlank();

        HttpResponse<String> byExecution = diagnose(viewer, "execution=" + theirs.getId() + "&name=" + KNOWN, null);
        HttpResponse<String> byConfig = diagnose(viewer, "execution=" + theirs.getAuthenticationConfig()
                + "&name=" + KNOWN, null);

        assertThat(byExecution.statusCode()).as(byExecution.body()).isEqualTo(400);
        assertThat(byConfig.statusCode()).as(byConfig.body()).isEqualTo(400);
        assertThat(diagnose(OTHER_REALM, otherRealmViewer, "execution=" + theirs.getId() + "&name=" + KNOWN, null)
                .statusCode()).as("in its own realm it is found").isEqualTo(200);
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
        daneClient(stack.admin(), "diag-fresh1", name);
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
        daneClient(stack.admin(), "diag-fresh2", name);

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
        return diagnose(REALM, token, query, pem);
    }

    /** {@link #diagnose(String, String, String)} in any realm. */
    private static HttpResponse<String> diagnose(String realm, String token, String query, String pem)
            throws Exception {
        URI uri = URI.create(stack.keycloak().baseUri() + "/admin/realms/" + realm + "/"
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
