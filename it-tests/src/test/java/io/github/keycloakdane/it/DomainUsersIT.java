package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.htmlunit.Page;
import org.htmlunit.WebClient;
import org.htmlunit.html.HtmlPage;
import org.htmlunit.html.HtmlSubmitInput;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.AuthenticationFlowRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.authDaneFlow;
import static io.github.keycloakdane.it.DaneScenarios.createClient;
import static io.github.keycloakdane.it.DaneScenarios.createdId;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.daneTaFull;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.events;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Domain users (auth-dane, user mapping {@code domain-user}) through nginx on the shared stack: two partner domains
 * in the signed zone, each publishing its own user CA as {@code 2 0 0} at {@code _user.DOMAIN} (nginx forwards the
 * leaf only, so the CA comes from DNS). Client {@code partner-portal} uses realm-config's flow "dane domain users"
 * (the name from the certificate, provisioning on, the confirmation page in the browser); {@code partner-app} a flow
 * made here (the name from {@code dane_clientid}, provisioning off).
 */
@ExtendWith(SharedStack.class)
class DomainUsersIT {

    private static final String A = "partner-a.example.test";
    private static final String B = "partner-b.example.test";
    /** On partner-app's allow list, with a DANE-EE record at its _user name: a usage that does not apply there. */
    private static final String EE = "partner-ee.example.test";
    private static final String PORTAL = "partner-portal";
    private static final String APP = "partner-app";
    private static final String APP_FLOW = "dane-domain-users-parameter";

    private static Stack stack;
    private static Issued caA;
    private static Issued caB;

    @BeforeAll
    static void partnersFlowsAndClients(Stack shared) {
        stack = shared;
        caA = TestPki.ca("Users of " + A).build();
        caB = TestPki.ca("Users of " + B).build();
        publish(stack, "_user." + A, daneTaFull(caA.cert()));
        publish(stack, "_user." + B, daneTaFull(caB.cert()));
        DaneScenarios.allowRedirectsThroughTheProxy(stack);
        RealmResource realm = stack.admin().realm(REALM);

        String portalFlow = realm.flows().getFlows().stream().filter(f -> "dane domain users".equals(f.getAlias()))
                .map(AuthenticationFlowRepresentation::getId).findFirst().orElseThrow();
        String appFlow = authDaneFlow(stack.admin(), APP_FLOW, "REQUIRED", Map.of(
                "dane.identity-source", "request-parameter",
                "dane.user-mapping", "domain-user",
                "dane.allow-list", "_user." + A + "##_user." + B + "##_user." + EE)).flowId();
        createClient(realm, Map.of("clientId", PORTAL, "publicClient", true, "directAccessGrantsEnabled", true,
                "standardFlowEnabled", true, "redirectUris", List.of(stack.baseUri() + "/*"),
                "authenticationFlowBindingOverrides", Map.of("browser", portalFlow, "direct_grant", portalFlow),
                "defaultClientScopes", List.of("basic", "profile", "email", "dane")));
        createClient(realm, Map.of("clientId", APP, "publicClient", true, "directAccessGrantsEnabled", true,
                "standardFlowEnabled", false, "authenticationFlowBindingOverrides", Map.of("direct_grant", appFlow),
                "defaultClientScopes", List.of("basic", "profile", "email", "dane")));
    }

    private static TlsHttp.Response grant(String client, Issued leaf, String... form) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("grant_type", "password");
        body.put("client_id", client);
        body.put("scope", "openid");
        for (int i = 0; i < form.length; i += 2) {
            body.put(form[i], form[i + 1]);
        }
        return device(stack, leaf).postForm(stack.tokenUri(REALM), body);
    }

    /** The newest LOGIN_ERROR after {@code since} whose detail {@code key} is {@code value}; polls briefly. */
    private static JsonNode loginError(String key, String value, Instant since) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(5));
        do {
            for (JsonNode e : events(stack.admin().realm(REALM), "LOGIN_ERROR")) {
                if (e.path("time").asLong() >= since.toEpochMilli()
                        && value.equals(e.path("details").path(key).asText(null))) {
                    return e;
                }
            }
            Thread.sleep(200);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("no LOGIN_ERROR with " + key + "=" + value);
    }

    private static String reasonOf(JsonNode event) {
        return event.path("details").path("dane_reason").asText();
    }

    private static void assertRefused(TlsHttp.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_grant");
    }

    private static UserRepresentation user(String username) {
        return stack.admin().realm(REALM).users().searchByUsername(username, true).stream().findFirst().orElseThrow();
    }

    private static void createUser(Map<String, Object> representation) {
        createdId(stack.admin().realm(REALM).users().create(representation(representation, UserRepresentation.class)));
    }

    @Test
    void aPersonSignsInByRfc822NameAndIsProvisionedOnceTheSameUserOnTheSecondSignIn() {
        Issued alice = TestPki.leaf("Alice").subject("CN=Alice Partner,GIVENNAME=Alice,SURNAME=Partner").issuer(caA)
                .dnsNames(A).emails("Alice@" + A).build();

        TlsHttp.Response first = grant(PORTAL, alice);
        TlsHttp.Response second = grant(PORTAL, alice);

        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(second.status()).as(second.toString()).isEqualTo(200);
        JWTClaimsSet one = Tokens.verify(first.json().path("access_token").asText(), stack.https(), stack.realmUri(REALM));
        JWTClaimsSet two = Tokens.verify(second.json().path("access_token").asText(), stack.https(), stack.realmUri(REALM));
        assertThat(one.getClaim("dane_user")).isEqualTo("alice@" + A);
        assertThat(one.getClaim("dane_clientid")).isEqualTo("_user." + A);
        assertThat(one.getClaim("preferred_username")).isEqualTo("alice@" + A);
        assertThat(two.getSubject()).as("the same user on the second sign-in").isEqualTo(one.getSubject());
        UserRepresentation provisioned = user("alice@" + A);
        assertThat(provisioned.getId()).isEqualTo(one.getSubject());
        assertThat(provisioned.getEmail()).isEqualTo("alice@" + A);
        assertThat(provisioned.isEmailVerified()).isTrue();
        assertThat(provisioned.getFirstName()).as("the subject's givenName").isEqualTo("Alice");
        assertThat(provisioned.getLastName()).as("the subject's surname").isEqualTo("Partner");
        assertThat(stack.admin().realm(REALM).users().searchByAttributes("dane_user:alice@" + A)).hasSize(1);
    }

    @Test
    void aPersonSignsInByOtherNameUidInTheBrowserAfterConfirming() throws Exception {
        Issued bob = TestPki.leaf("Bob").subject("CN=Bob Partner,GIVENNAME=Bob,SURNAME=Partner").issuer(caB)
                .dnsNames(B).otherNameUid("bob").build();
        URI redirect = URI.create(stack.baseUri() + "/dane-callback");
        String authorize = stack.realmUri(REALM) + "/protocol/openid-connect/auth?client_id=" + PORTAL
                + "&response_type=code&scope=openid&redirect_uri=" + redirect;

        try (WebClient browser = Browsers.with(stack, bob)) {
            HtmlPage confirm = browser.getPage(authorize);
            assertThat(confirm.asNormalizedText()).contains("Sign in as bob@" + B + "?");
            assertThat(stack.admin().realm(REALM).users().searchByUsername("bob@" + B, true))
                    .as("nobody is provisioned before the person confirms").isEmpty();

            HtmlSubmitInput continueButton = confirm.getHtmlElementById("kc-login");
            Page landed = continueButton.click();
            URI callback = landed.getUrl().toURI();
            assertThat(callback.getPath()).isEqualTo("/dane-callback");
            Map<String, String> exchange = new LinkedHashMap<>();
            exchange.put("grant_type", "authorization_code");
            exchange.put("client_id", PORTAL);
            exchange.put("code", queryParameter(callback, "code"));
            exchange.put("redirect_uri", redirect.toString());
            TlsHttp.Response token = stack.https().postForm(stack.tokenUri(REALM), exchange);
            assertThat(token.status()).as(token.toString()).isEqualTo(200);
            JWTClaimsSet id = Tokens.verify(token.json().path("id_token").asText(), stack.https(), stack.realmUri(REALM));
            assertThat(id.getClaim("dane_user")).isEqualTo("bob@" + B);
            assertThat(id.getClaim("dane_clientid")).isEqualTo("_user." + B);
            assertThat(id.getSubject()).isEqualTo(user("bob@" + B).getId());
        }
    }

    @Test
    void anExistingUserIsFoundByUsernameThroughTheRequestParameter() throws Exception {
        createUser(Map.of("username", "frank@" + A, "enabled", true, "email", "frank@" + A, "emailVerified", true,
                "firstName", "Frank", "lastName", "Partner"));
        Issued frank = TestPki.leaf("Frank").issuer(caA).dnsNames(A).otherNameUid("Frank").build();

        TlsHttp.Response response = grant(APP, frank, "dane_clientid", "_user." + A);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(response.json().path("access_token").asText(), stack.https(),
                stack.realmUri(REALM));
        assertThat(claims.getSubject()).isEqualTo(user("frank@" + A).getId());
        assertThat(claims.getClaim("dane_user")).isEqualTo("frank@" + A);
    }

    @Test
    void aCertificateFromOneDomainsCaNamingTheOtherDomainIsRefused() throws Exception {
        // partner A's CA (or whoever holds it) mints a user of partner B: B's record names B's CA only
        Issued forged = TestPki.leaf("Mallory").issuer(caA).dnsNames(B).emails("mallory@" + B).build();
        Instant since = Instant.now();

        assertRefused(grant(PORTAL, forged));

        assertThat(reasonOf(loginError("dane_user", "mallory@" + B, since))).isEqualTo("NO_MATCH");
        assertThat(stack.admin().realm(REALM).users().searchByUsername("mallory@" + B, true))
                .as("nothing is stored before the proof").isEmpty();
    }

    @Test
    void aMailboxOfAnotherDomainThanTheDnsNameIsRefusedWithoutAnyDnsQuery() throws Exception {
        Issued mixed = TestPki.leaf("Gina").issuer(caA).dnsNames(A).emails("gina@" + B).build();
        long queries = knotQueries(stack);
        Instant since = Instant.now();

        assertRefused(grant(PORTAL, mixed));

        JsonNode event = loginError("dane_clientid", "_user." + A, since);
        assertThat(reasonOf(event)).isEqualTo("USER_ID_INVALID");
        assertThat(event.path("details").path("dane_detail").asText()).contains("gina@" + B);
        assertThat(knotQueries(stack)).isEqualTo(queries);
    }

    @Test
    void aLeafWithTwoDnsNamesIsRefused() throws Exception {
        Issued two = TestPki.leaf("Hank").issuer(caA).dnsNames(A, B).emails("hank@" + A).build();
        long queries = knotQueries(stack);
        Instant since = Instant.now();

        assertRefused(grant(APP, two, "dane_clientid", "_user." + A));

        JsonNode event = loginError("dane_clientid", "_user." + A, since);
        assertThat(reasonOf(event)).isEqualTo("NAME_MISMATCH");
        assertThat(event.path("details").path("dane_detail").asText()).contains("exactly one dNSName");
        assertThat(knotQueries(stack)).isEqualTo(queries);
    }

    @Test
    void aDaneEeRecordAtAUserNameIsNotUsable() throws Exception {
        Issued dan = TestPki.leaf("Dan").issuer(caA).dnsNames(EE).emails("dan@" + EE).build();
        publish(stack, "_user." + EE, daneEe(dan.cert()));
        createUser(Map.of("username", "dan@" + EE, "enabled", true, "email", "dan@" + EE, "emailVerified", true,
                "firstName", "Dan", "lastName", "Partner"));
        Instant since = Instant.now();

        assertRefused(grant(APP, dan, "dane_clientid", "_user." + EE));

        JsonNode event = loginError("dane_user", "dan@" + EE, since);
        assertThat(reasonOf(event)).isEqualTo("NO_USABLE_RECORDS");
        assertThat(event.path("details").path("dane_dnssec").asText()).isEqualTo("SECURE");
    }

    @Test
    void aDomainOffTheAllowListIsRefusedWithoutAnyDnsQuery() throws Exception {
        String elsewhere = "elsewhere.example.test";
        Issued ivy = TestPki.leaf("Ivy").issuer(caA).dnsNames(elsewhere).emails("ivy@" + elsewhere).build();
        long queries = knotQueries(stack);
        Instant since = Instant.now();

        assertRefused(grant(APP, ivy, "dane_clientid", "_user." + elsewhere));

        assertThat(reasonOf(loginError("dane_clientid", "_user." + elsewhere, since))).isEqualTo("NOT_ALLOWED");
        assertThat(knotQueries(stack)).isEqualTo(queries);
    }

    @Test
    void anAddressThatMapsToTwoUsersIsRefusedWithoutAnyDnsQuery() throws Exception {
        createUser(Map.of("username", "erin@" + A, "enabled", true, "firstName", "Erin", "lastName", "One"));
        createUser(Map.of("username", "erin-two", "enabled", true, "firstName", "Erin", "lastName", "Two",
                "attributes", Map.of("dane_user", List.of("erin@" + A))));
        Issued erin = TestPki.leaf("Erin").issuer(caA).dnsNames(A).emails("erin@" + A).build();
        long queries = knotQueries(stack);
        Instant since = Instant.now();

        assertRefused(grant(APP, erin, "dane_clientid", "_user." + A));

        JsonNode event = loginError("dane_user", "erin@" + A, since);
        assertThat(reasonOf(event)).isEqualTo("AMBIGUOUS_IDENTITY");
        assertThat(event.path("details").path("dane_detail").asText())
                .contains(user("erin@" + A).getId(), user("erin-two").getId());
        assertThat(knotQueries(stack)).isEqualTo(queries);
    }

    @Test
    void withoutProvisioningAnUnknownPersonIsRefusedWithoutAnyDnsQuery() throws Exception {
        Issued jack = TestPki.leaf("Jack").issuer(caB).dnsNames(B).otherNameUid("jack").build();
        long queries = knotQueries(stack);
        Instant since = Instant.now();

        assertRefused(grant(APP, jack, "dane_clientid", "_user." + B));

        assertThat(reasonOf(loginError("dane_user", "jack@" + B, since))).isEqualTo("UNKNOWN_USER");
        assertThat(knotQueries(stack)).isEqualTo(queries);
    }

    @Test
    void aDomainUserMappingWithoutAnAllowListIsRefusedWhenTheAdminSavesIt() {
        var execution = stack.admin().realm(REALM).flows().getExecutions(APP_FLOW).get(0);
        org.keycloak.representations.idm.AuthenticatorConfigRepresentation config =
                new org.keycloak.representations.idm.AuthenticatorConfigRepresentation();
        config.setAlias("domain-users-without-allow-list");
        config.setConfig(Map.of("dane.user-mapping", "domain-user", "dane.provision-users", "true"));

        try (jakarta.ws.rs.core.Response saved = stack.admin().realm(REALM).flows()
                .newExecutionConfig(execution.getId(), config)) {
            assertThat(saved.getStatus()).isEqualTo(400);
            assertThat(saved.readEntity(String.class)).contains("'domain-user' needs an Allow list");
        }
    }

    @Test
    void theDiagnosisOfAUserNameWithAPersonsCertificateSaysWhichUidAndWhichRecord() throws Exception {
        Issued kim = TestPki.leaf("Kim").issuer(caB).dnsNames(B).otherNameUid("Kim").build();
        URI uri = URI.create(stack.keycloak().baseUri() + "/admin/realms/" + REALM + "/dane/diagnose?name=_user." + B);

        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + stack.admin().tokenManager().getAccessTokenString())
                        .header("Content-Type", "text/plain")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(kim.pem())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode d = new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body());
        assertThat(d.path("domainUser").path("address").asText()).isEqualTo("kim@" + B);
        assertThat(d.path("domainUser").path("uid").asText()).isEqualTo("kim");
        assertThat(d.path("domainUser").path("users").isArray()).isTrue();
        assertThat(d.path("match").path("authenticated").asBoolean()).as(response.body()).isTrue();
        assertThat(d.path("match").path("record").asText()).isEqualTo("2 0 0");

        Issued twoNames = TestPki.leaf("Kim").issuer(caB).dnsNames(B, A).otherNameUid("kim").build();
        JsonNode refused = new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.net.http.HttpClient
                .newHttpClient().send(java.net.http.HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
                        .header("Authorization", "Bearer " + stack.admin().tokenManager().getAccessTokenString())
                        .header("Content-Type", "text/plain")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(twoNames.pem())).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        assertThat(refused.path("domainUser").path("valid").asBoolean()).isFalse();
        assertThat(refused.path("match").path("reason").asText()).isEqualTo("NAME_MISMATCH");
    }

    private static String queryParameter(URI uri, String name) {
        for (String pair : uri.getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
