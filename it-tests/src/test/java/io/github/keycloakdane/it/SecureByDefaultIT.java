package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.keycloakdane.it.DaneScenarios.AuthDaneFlow;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.htmlunit.WebClient;
import org.htmlunit.html.HtmlForm;
import org.htmlunit.html.HtmlPage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.representations.idm.RealmRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.authDaneFlow;
import static io.github.keycloakdane.it.DaneScenarios.awaitEvents;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.createClient;
import static io.github.keycloakdane.it.DaneScenarios.createdId;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.events;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The places where a reasonable-looking configuration or an unusual input could turn into a login for the wrong
 * party: each ends in a refusal with a reason in the event (or at save time), never in a login.
 */
@ExtendWith(SharedStack.class)
class SecureByDefaultIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Stack stack;
    private static Keycloak admin;
    private static Issued laptop;

    @BeforeAll
    static void shared(Stack shared) {
        stack = shared;
        admin = stack.admin();
        laptop = TestPki.leaf("some-laptop").build();
        DaneScenarios.allowRedirectsThroughTheProxy(stack);
    }

    // ------------------------------------------------------------------------------------------- settings (1, 9)

    @Test
    void unsafeOrInvalidExecutionSettingsAreRefusedWhenTheAdminSavesThem() throws Exception {
        AuthDaneFlow flow = authDaneFlow(admin, "sbd-save", "REQUIRED", Map.of("dane.allow-list", ".example.test"));
        String configPath = "/" + REALM + "/authentication/executions/" + flow.executionId();
        String configId = admin.realm(REALM).flows().getExecution(flow.executionId()).getAuthenticatorConfig();

        TlsHttp.Response byUsername = adminRequest("PUT", "/" + REALM + "/authentication/config/" + configId,
                Map.of("alias", "sbd-save-config", "config", Map.of("dane.user-mapping", "username")));
        TlsHttp.Response badSource = adminRequest("PUT", "/" + REALM + "/authentication/config/" + configId,
                Map.of("alias", "sbd-save-config", "config", Map.of("dane.identity-source", "cookie")));
        TlsHttp.Response emptyHeader = adminRequest("PUT", "/" + REALM + "/authentication/config/" + configId,
                Map.of("alias", "sbd-save-config", "config", Map.of("dane.identity-source", "header",
                        "dane.identity-header", "")));
        TlsHttp.Response badList = adminRequest("POST", configPath + "/config",
                Map.of("alias", "sbd-save-config-2", "config", Map.of("dane.allow-list", "a/b.example.test")));

        assertThat(byUsername.status()).as(byUsername.toString()).isEqualTo(400);
        assertThat(byUsername.json().path("errorMessage").asText())
                .contains("User mapping (dane.user-mapping) 'username' needs an Allow list (dane.allow-list)");
        assertThat(badSource.status()).isEqualTo(400);
        assertThat(badSource.json().path("errorMessage").asText()).contains("Identity source (dane.identity-source)");
        assertThat(emptyHeader.status()).isEqualTo(400);
        assertThat(emptyHeader.json().path("errorMessage").asText()).contains("Identity header (dane.identity-header)");
        assertThat(badList.status()).isEqualTo(400);
        assertThat(badList.json().path("errorMessage").asText()).contains("Allow list (dane.allow-list)", "'/'");
        // nothing was stored
        assertThat(admin.realm(REALM).flows().getAuthenticatorConfig(configId).getConfig().get("dane.allow-list"))
                .isEqualTo(".example.test");
    }

    @Test
    void anImportedUsernameMappingWithoutAnAllowListAdmitsNobodyAndTheLogSaysWhy() throws Exception {
        String realm = "sbd-import";
        String lookAlike = "john-green._user.example.test"; // a user name that is also a DNS name anyone may own
        publish(stack, lookAlike, daneEe(laptop.cert()));
        Map<String, Object> execution = new LinkedHashMap<>();
        execution.put("authenticator", "auth-dane");
        execution.put("authenticatorConfig", "by-username");
        execution.put("requirement", "REQUIRED");
        execution.put("priority", 10);
        execution.put("authenticatorFlow", false);
        execution.put("userSetupAllowed", false);
        Map<String, Object> representation = new LinkedHashMap<>();
        representation.put("realm", realm);
        representation.put("enabled", true);
        representation.put("eventsEnabled", true);
        representation.put("enabledEventTypes", List.of("LOGIN", "LOGIN_ERROR"));
        representation.put("authenticationFlows", List.of(Map.of("alias", "by username", "providerId", "basic-flow",
                "topLevel", true, "builtIn", false, "authenticationExecutions", List.of(execution))));
        representation.put("authenticatorConfig", List.of(Map.of("alias", "by-username",
                "config", Map.of("dane.user-mapping", "username"))));
        representation.put("directGrantFlow", "by username");
        representation.put("clients", List.of(Map.of("clientId", "app", "publicClient", true,
                "directAccessGrantsEnabled", true, "standardFlowEnabled", false)));
        representation.put("users", List.of(Map.of("username", lookAlike, "enabled", true, "email", "jg@example.test",
                "emailVerified", true, "firstName", "John", "lastName", "Green")));
        admin.realms().create(representation(representation, RealmRepresentation.class));
        try {
            Instant since = Instant.now();

            TlsHttp.Response response = device(stack, laptop).postForm(stack.tokenUri(realm),
                    Map.of("grant_type", "password", "client_id", "app", "dane_clientid", lookAlike));

            assertThat(response.status()).as(response.toString()).isEqualTo(401);
            assertThat(response.json().path("error").asText()).isEqualTo("invalid_grant");
            JsonNode error = awaitEvents(admin.realm(realm), 1, java.time.Duration.ofSeconds(5), "LOGIN_ERROR").stream()
                    .filter(e -> e.path("time").asLong() >= since.toEpochMilli()).findFirst().orElseThrow();
            assertThat(error.path("details").path("dane_reason").asText()).isEqualTo("INVALID_CONFIG");
            assertThat(error.path("details").path("dane_detail").asText()).contains("needs an Allow list");
            assertThat(stack.keycloak().log()).contains("auth-dane configuration by-username admits nobody");
        } finally {
            admin.realm(realm).remove();
        }
    }

    // ---------------------------------------------------------------------------------------- one normal form (2)

    @Test
    void aClientsNameIsStoredInNormalFormAndAnInvalidOneIsRefused() throws Exception {
        String name = "norm7._device.example.test";
        Issued norm7 = TestPki.leaf("norm7").build();
        publish(stack, name, daneEe(norm7.cert()));
        daneClient(admin, "sbd-norm7", "Norm7._device.Example.TEST.");

        JsonNode stored = client("sbd-norm7").orElseThrow();
        TlsHttp.Response byName = clientCredentials(stack, device(stack, norm7), "dane_clientid", name);
        TlsHttp.Response invalid = adminRequest("POST", "/" + REALM + "/clients", Map.of("clientId", "sbd-norm8",
                "clientAuthenticatorType", "client-dane", "attributes", Map.of("dane.clientid", "norm 8.example.test")));
        ((com.fasterxml.jackson.databind.node.ObjectNode) stored.path("attributes")).put("dane.clientid", "*.example.test");
        TlsHttp.Response invalidUpdate = adminRequest("PUT", "/" + REALM + "/clients/" + stored.path("id").asText(),
                stored);

        assertThat(stored.path("attributes").path("dane.clientid").asText()).isEqualTo("*.example.test");
        assertThat(client("sbd-norm7").orElseThrow().path("attributes").path("dane.clientid").asText())
                .isEqualTo(name);
        assertThat(byName.status()).as(byName.toString()).isEqualTo(200);
        assertThat(invalid.status()).as(invalid.toString()).isEqualTo(400);
        assertThat(invalid.json().path("error_description").asText())
                .contains("dane.clientid of client sbd-norm8", "non-ASCII or control character");
        assertThat(client("sbd-norm8")).isEmpty();
        assertThat(invalidUpdate.status()).as(invalidUpdate.toString()).isEqualTo(400);
        assertThat(invalidUpdate.json().path("error_description").asText()).contains("wildcard");
    }

    @Test
    void aUsersNameMustBeAValidNameInNormalForm() throws Exception {
        Map<String, Object> dora = new LinkedHashMap<>(Map.of("username", "sbd-dora", "enabled", true,
                "email", "dora@example.test", "firstName", "Dora", "lastName", "Example"));

        dora.put("attributes", Map.of("dane_clientid", List.of("Dora-Laptop._user.Example.test.")));
        TlsHttp.Response otherSpelling = adminRequest("POST", "/" + REALM + "/users", dora);
        dora.put("attributes", Map.of("dane_clientid", List.of("dora laptop._user.example.test")));
        TlsHttp.Response invalid = adminRequest("POST", "/" + REALM + "/users", dora);
        dora.put("attributes", Map.of("dane_clientid", List.of("dora-laptop._user.example.test")));
        TlsHttp.Response normal = adminRequest("POST", "/" + REALM + "/users", dora);

        assertThat(otherSpelling.status()).as(otherSpelling.toString()).isEqualTo(400);
        assertThat(otherSpelling.body()).contains("must be written in normal form: dora-laptop._user.example.test");
        assertThat(invalid.status()).as(invalid.toString()).isEqualTo(400);
        assertThat(invalid.body()).contains("not a DANE client name");
        assertThat(normal.status()).as(normal.toString()).isEqualTo(201);
    }

    // --------------------------------------------------------------------------------------------- ambiguity (3)

    @Test
    void aSecondClientCarryingANameIsRefusedWhenTheAdminSavesIt() throws Exception {
        String twin = "twin._device.example.test";
        Issued twinDevice = TestPki.leaf("twin").build();
        publish(stack, twin, daneEe(twinDevice.cert()));
        daneClient(admin, "sbd-twin-a", twin);
        daneClient(admin, "sbd-twin-c", "twin-c._device.example.test");

        TlsHttp.Response second = adminRequest("POST", "/" + REALM + "/clients", Map.of("clientId", "sbd-twin-b",
                "clientAuthenticatorType", "client-dane", "attributes", Map.of("dane.clientid", "Twin._device.Example.test.")));
        JsonNode other = client("sbd-twin-c").orElseThrow();
        ((com.fasterxml.jackson.databind.node.ObjectNode) other.path("attributes")).put("dane.clientid", twin);
        TlsHttp.Response renamed = adminRequest("PUT", "/" + REALM + "/clients/" + other.path("id").asText(), other);

        // what the admin console shows: HTTP 400 with the message, nothing saved
        assertThat(second.status()).as(second.toString()).isEqualTo(400);
        assertThat(second.json().path("error_description").asText()).contains("dane.clientid of client sbd-twin-b",
                twin + " is already the dane.clientid of client sbd-twin-a");
        assertThat(client("sbd-twin-b")).isEmpty();
        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(400);
        assertThat(renamed.json().path("error_description").asText()).contains("dane.clientid of client sbd-twin-c",
                "client sbd-twin-a");
        assertThat(client("sbd-twin-c").orElseThrow().path("attributes").path("dane.clientid").asText())
                .isEqualTo("twin-c._device.example.test");
        // the one carrier is not ambiguous: it authenticates on both paths
        TlsHttp http = device(stack, twinDevice);
        TlsHttp.Response byClientId = clientCredentials(stack, http, "client_id", "sbd-twin-a");
        TlsHttp.Response byName = clientCredentials(stack, http, "dane_clientid", twin);
        assertThat(byClientId.status()).as(byClientId.toString()).isEqualTo(200);
        assertThat(byName.status()).as(byName.toString()).isEqualTo(200);
        // two carriers stored all the same (two saves at one moment, data from before) are refused at every login:
        // ProductionClusterIT.aSecondCarrierAddedBehindNodeAsBackIsRefusedOnNodeBAtOnceOnEveryPath, on PostgreSQL
    }

    @Test
    void twoUsersCarryingOneNameAreRefusedWithoutADnsQuery() throws Exception {
        String twin = "twin-laptop._user.example.test";
        publish(stack, twin, daneEe(laptop.cert()));
        String first = createdId(admin.realm(REALM).users().create(user("sbd-twin1", twin)));
        String second = createdId(admin.realm(REALM).users().create(user("sbd-twin2", twin)));
        long queriesBefore = knotQueries(stack);
        Instant since = Instant.now();

        TlsHttp.Response response = device(stack, laptop).postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "password", "client_id", "dane-login", "dane_clientid", twin));

        assertThat(response.status()).as(response.toString()).isEqualTo(401);
        assertThat(knotQueries(stack)).isEqualTo(queriesBefore);
        JsonNode error = event(stack, "LOGIN_ERROR", twin, since).orElseThrow();
        assertThat(error.path("details").path("dane_reason").asText()).isEqualTo("AMBIGUOUS_IDENTITY");
        assertThat(error.path("details").path("dane_detail").asText()).contains(first, second);
    }

    private static UserRepresentation user(String username, String daneName) {
        return representation(Map.of("username", username, "enabled", true, "email", username + "@example.test",
                "emailVerified", true, "firstName", "Twin", "lastName", "Example",
                "attributes", Map.of("dane_clientid", List.of(daneName))), UserRepresentation.class);
    }

    /** The client with this clientId, as the JSON the REST API sends. */
    private static Optional<JsonNode> client(String clientId) {
        return admin.realm(REALM).clients().findByClientId(clientId).stream().findFirst()
                .map(c -> (JsonNode) JSON.valueToTree(c));
    }

    /**
     * One admin REST request sent exactly as given (not through the admin client, which throws on refusals and
     * hides their body): what Keycloak answers to a change it must refuse.
     */
    private static TlsHttp.Response adminRequest(String method, String path, Object body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.keycloak().baseUri() + "/admin/realms" + path))
                .header("Authorization", "Bearer " + admin.tokenManager().getAccessTokenString())
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
        HttpResponse<String> r = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        return new TlsHttp.Response(r.statusCode(), r.body());
    }

    // ------------------------------------------------------------------------------------ the browser (5, 7)

    @Test
    void thePageAPersonSeesDoesNotRevealWhetherANameMapsToAUser() throws Exception {
        AuthDaneFlow flow = authDaneFlow(admin, "sbd-browser", "REQUIRED", Map.of("dane.allow-list", ".example.test",
                "dane.confirmation-page", "false"));
        createClient(admin.realm(REALM), Map.of("clientId", "sbd-browser-app", "publicClient", true,
                "standardFlowEnabled", true, "redirectUris", List.of(stack.baseUri() + "/*"),
                "authenticationFlowBindingOverrides", Map.of("browser", flow.flowId())));
        String authorize = stack.realmUri(REALM) + "/protocol/openid-connect/auth?client_id=sbd-browser-app"
                + "&response_type=code&scope=openid&redirect_uri=" + stack.baseUri() + "/cb";

        String withoutCertificate;
        try (WebClient browser = Browsers.with(stack, null)) {
            HtmlPage page = browser.getPage(authorize);
            assertThat(page.getElementsByName("dane_clientid")).as("no name is asked for without a certificate").isEmpty();
            withoutCertificate = page.asNormalizedText();
        }
        String knownUser = submitName(authorize, "alice-laptop._user.example.test"); // realm-config's alice
        String unknownUser = submitName(authorize, "nobody-laptop._user.example.test");

        assertThat(withoutCertificate).contains("Your device did not present a client certificate.");
        assertThat(knownUser).contains("Your device could not be authenticated.").isEqualTo(unknownUser);
    }

    private static String submitName(String authorize, String name) throws Exception {
        try (WebClient browser = Browsers.with(stack, TestPki.leaf("mallory").build())) {
            HtmlPage form = browser.getPage(authorize);
            HtmlForm login = form.getForms().get(0);
            login.getInputByName("dane_clientid").setValue(name);
            HtmlPage result = login.getOneHtmlElementByAttribute("input", "type", "submit").click();
            return result.asNormalizedText();
        }
    }

    @Test
    void anAlternativeAuthDaneStepsAsideQuietlyWhenNoCertificateIsPresented() throws Exception {
        // realm-config's browser flow: cookie, auth-dane (certificate SAN), password form, all alternatives
        String authorize = stack.realmUri(REALM) + "/protocol/openid-connect/auth?client_id=dane-login"
                + "&response_type=code&scope=openid&redirect_uri=" + stack.baseUri() + "/dane-callback";
        Instant since = Instant.now();

        try (WebClient browser = Browsers.with(stack, null)) {
            HtmlPage page = browser.getPage(authorize);
            assertThat(page.getElementById("kc-form-login")).isNotNull();
        }

        Thread.sleep(500); // events are stored with the request; give a slow store a moment all the same
        assertThat(events(admin.realm(REALM), "LOGIN_ERROR").stream()
                .filter(e -> e.path("time").asLong() >= since.toEpochMilli())
                .filter(e -> "dane-login".equals(e.path("clientId").asText()))).isEmpty();
    }

    // ------------------------------------------------------------------------------------ untrusted text (10)

    @Test
    void namesFromTheRequestAreBoundedAndStrippedOfControlCharactersInEvents() throws Exception {
        String forged = "evil.example.test\r\nINFO [org.keycloak] forged line " + "x".repeat(5000);
        Instant since = Instant.now();

        TlsHttp.Response response = device(stack, laptop).postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "password", "client_id", "dane-login", "dane_clientid", forged));

        assertThat(response.status()).isEqualTo(401);
        Optional<JsonNode> error = events(admin.realm(REALM), "LOGIN_ERROR").stream()
                .filter(e -> e.path("time").asLong() >= since.toEpochMilli())
                .filter(e -> e.path("details").path("dane_clientid").asText().startsWith("evil.example.test"))
                .findFirst();
        assertThat(error).isPresent();
        String name = error.get().path("details").path("dane_clientid").asText();
        String detail = error.get().path("details").path("dane_detail").asText();
        assertThat(name).doesNotContain("\r", "\n").hasSizeLessThanOrEqualTo(300)
                .startsWith("evil.example.test??INFO");
        assertThat(detail).doesNotContain("\r", "\n").hasSizeLessThanOrEqualTo(500);
        assertThat(error.get().path("details").path("dane_reason").asText()).isEqualTo("INVALID_NAME");
    }
}
