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

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/** auth-dane end to end: a person's device in the direct-grant and browser flows of realm-config's realm. */
@ExtendWith(SharedStack.class)
class UserDaneIT {

    /** realm-config's user alice has dane_clientid = alice-laptop._user.example.test. */
    private static final String ALICE = "alice-laptop._user.example.test";

    private static Stack stack;
    private static Issued laptop;

    @BeforeAll
    static void publishLaptop(Stack shared) {
        stack = shared;
        // the browser flow takes the name from the certificate's SAN, so the laptop's certificate carries it
        laptop = TestPki.leaf("alice-laptop").dnsNames(ALICE).build();
        publish(stack, ALICE, daneEe(laptop.cert()));
        DaneScenarios.allowRedirectsThroughTheProxy(stack);
    }

    @Test
    void directGrantMapsTheDeviceToItsUser() {
        TlsHttp http = device(stack, laptop);

        TlsHttp.Response response = http.postForm(stack.tokenUri(REALM), Map.of("grant_type", "password",
                "client_id", "dane-login", "scope", "openid", "dane_clientid", ALICE));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JWTClaimsSet access = Tokens.verify(response.json().path("access_token").asText(), http, stack.realmUri(REALM));
        JWTClaimsSet id = Tokens.verify(response.json().path("id_token").asText(), http, stack.realmUri(REALM));
        assertThat(access.getClaim("dane_clientid")).isEqualTo(ALICE);
        assertThat(access.getClaim("preferred_username")).isEqualTo("alice");
        assertThat(id.getClaim("dane_clientid")).isEqualTo(ALICE);
    }

    @Test
    void directGrantForAnUnknownUserIsRefusedBeforeAnyDnsQuery() throws Exception {
        String bob = "bob-laptop._user.example.test";
        Issued bobsLaptop = TestPki.leaf("bob-laptop").build();
        publish(stack, bob, daneEe(bobsLaptop.cert()));
        long queriesBefore = knotQueries(stack);
        Instant since = Instant.now();

        TlsHttp.Response response = device(stack, bobsLaptop).postForm(stack.tokenUri(REALM), Map.of(
                "grant_type", "password", "client_id", "dane-login", "dane_clientid", bob));

        assertThat(response.status()).as(response.toString()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(knotQueries(stack)).isEqualTo(queriesBefore);
        JsonNode event = event(stack, "LOGIN_ERROR", bob, since).orElseThrow();
        assertThat(event.path("details").path("dane_reason").asText()).isEqualTo("UNKNOWN_USER");
    }

    @Test
    void directGrantWithAnotherKeyIsRefused() throws Exception {
        Instant since = Instant.now();

        TlsHttp.Response response = device(stack, TestPki.leaf("alice-laptop").dnsNames(ALICE).build())
                .postForm(stack.tokenUri(REALM), Map.of("grant_type", "password", "client_id", "dane-login",
                        "dane_clientid", ALICE));

        assertThat(response.status()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_grant");
        assertThat(event(stack, "LOGIN_ERROR", ALICE, since).orElseThrow().path("details").path("dane_reason").asText())
                .isEqualTo("NO_MATCH");
    }

    @Test
    void browserLoginConfirmsTheDeviceAndTheCodeYieldsATokenWithTheClaim() throws Exception {
        URI redirect = URI.create(stack.baseUri() + "/dane-callback");
        String authorize = stack.realmUri(REALM) + "/protocol/openid-connect/auth?client_id=dane-login"
                + "&response_type=code&scope=openid&redirect_uri=" + redirect;

        try (WebClient browser = Browsers.with(stack, laptop)) {
            HtmlPage confirm = browser.getPage(authorize);
            assertThat(confirm.asNormalizedText()).contains("Sign in as " + ALICE + "?");

            HtmlSubmitInput continueButton = confirm.getHtmlElementById("kc-login");
            Page landed = continueButton.click();
            URI callback = landed.getUrl().toURI();
            assertThat(callback.getPath()).isEqualTo("/dane-callback");
            String code = queryParameter(callback, "code");
            assertThat(code).isNotBlank();

            Map<String, String> exchange = new LinkedHashMap<>();
            exchange.put("grant_type", "authorization_code");
            exchange.put("client_id", "dane-login");
            exchange.put("code", code);
            exchange.put("redirect_uri", redirect.toString());
            TlsHttp.Response token = stack.https().postForm(stack.tokenUri(REALM), exchange);
            assertThat(token.status()).as(token.toString()).isEqualTo(200);
            JWTClaimsSet id = Tokens.verify(token.json().path("id_token").asText(), stack.https(), stack.realmUri(REALM));
            assertThat(id.getClaim("dane_clientid")).isEqualTo(ALICE);
            assertThat(id.getClaim("preferred_username")).isEqualTo("alice");
        }
    }

    @Test
    void browserWithAnUnpublishedKeyFallsBackToThePasswordForm() throws Exception {
        Issued stolenName = TestPki.leaf("alice-laptop").dnsNames(ALICE).build();
        String authorize = stack.realmUri(REALM) + "/protocol/openid-connect/auth?client_id=dane-login"
                + "&response_type=code&scope=openid&redirect_uri=" + stack.baseUri() + "/dane-callback";

        try (WebClient browser = Browsers.with(stack, stolenName)) {
            HtmlPage page = browser.getPage(authorize);

            // auth-dane is an alternative in realm-config's browser flow: the next method is offered
            assertThat(page.getElementById("kc-form-login")).isNotNull();
            assertThat(page.asNormalizedText()).doesNotContain("Sign in as");
        }
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
