package io.github.keycloakdane.it;

import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakLine;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.settings.SpiSpelling;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.representations.idm.UserRepresentation;
import org.keycloak.representations.info.ProviderRepresentation;
import org.keycloak.representations.info.SpiInfoRepresentation;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The support range: a core scenario on every older Keycloak line of {@code keycloak.lines} (root pom), each line's
 * own Keycloak started from its dist zip with the realm-config realm, behind its own nginx, and each given its
 * options in that line's spelling ({@link SpiSpelling}): a {@code client-dane} token through nginx, a
 * {@code client-dane-jwt} token, an {@code auth-dane} direct grant, the server info listing every provider of the jar,
 * the DANE meters, and the ERROR that names the right spelling of an option the line did not read. The lines start in
 * parallel; their DNS is the shared stack's Knot ({@link #resolver}: where a line's resolver options point).
 * Everything else runs on {@code keycloak.version} in the other ITs.
 */
@ExtendWith(SharedStack.class)
class KeycloakLinesIT {

    /** The option written in the spelling a line does not read, in conf/keycloak.conf; harmless to the scenario. */
    private static final ServerOption PROBE = ServerOption.TIMEOUT;
    private static final int PROBE_VALUE = 4321;

    /** Every provider of the jar, by the SPI the server info lists it under. */
    static final Map<String, Set<String>> PROVIDERS = Map.of(
            "dane", Set.of("default"),
            "client-authenticator", Set.of("client-dane", "client-dane-jwt"),
            "authenticator", Set.of("auth-dane"),
            "validator", Set.of("dane-name"),
            "realm-restapi-extension", Set.of("dane-console"),
            "admin-realm-restapi-extension", Set.of("dane"));

    private static Stack shared;
    private static final Map<KeycloakLine, Stack> LINES = new LinkedHashMap<>();
    private static final Map<KeycloakLine, Double> STARTED_IN = new LinkedHashMap<>();

    @BeforeAll
    static void startEveryLine(Stack stack) throws Exception {
        shared = stack;
        List<KeycloakLine> lines = KeycloakLine.tested();
        assertThat(lines).as("keycloak.lines (root pom)").isNotEmpty();
        ExecutorService pool = Executors.newFixedThreadPool(lines.size());
        try {
            Map<KeycloakLine, Future<Stack>> starting = new LinkedHashMap<>();
            for (KeycloakLine line : lines) {
                starting.put(line, pool.submit(() -> {
                    long t0 = System.nanoTime();
                    Stack s = lineStack(line).start();
                    STARTED_IN.put(line, (System.nanoTime() - t0) / 1e9);
                    return s;
                }));
            }
            for (Map.Entry<KeycloakLine, Future<Stack>> e : starting.entrySet()) {
                LINES.put(e.getKey(), e.getValue().get());
            }
        } finally {
            pool.shutdown();
        }
        STARTED_IN.forEach((line, s) -> System.out.printf(Locale.ROOT, "[KeycloakLinesIT] Keycloak %s up in %.1f s%n",
                line.version(), s));
    }

    @AfterAll
    static void stopEveryLine() {
        LINES.values().forEach(Stack::close);
    }

    /**
     * Where a line's DNSSEC-validating resolver options point: by default the shared stack's Knot with its trust
     * anchors (the provider validates locally); one place to point a line elsewhere, e.g. at a validating resolver.
     */
    static InetSocketAddress resolver(KeycloakLine line) {
        return shared.knot().address();
    }

    static Path trustAnchors(KeycloakLine line) {
        return shared.trustAnchorFile();
    }

    /** A line's Keycloak: the shared stack's options (the harness respells them for the line), and the probe. */
    private static Stack.Builder lineStack(KeycloakLine line) {
        // the probe in the spelling the line does not read for sure: 26.2 ignores the double-dash form, while
        // 26.3 and later read the single-dash form too (so there it must take effect, without an error)
        SpiSpelling probeSpelling = line.spelling() == SpiSpelling.SINGLE_DASH ? SpiSpelling.DOUBLE_DASH
                : SpiSpelling.SINGLE_DASH;
        Stack.Builder b = Stack.builder().name("line-" + line.label()).line(line).provider(ItConfig.daneJar())
                .dns(resolver(line), trustAnchors(line))
                .keycloakOptions(KeycloakOptions.dane(ServerOption.ALLOW_LIST, ".example.test"),
                        KeycloakOptions.SEARCHABLE_NAME, KeycloakOptions.METRICS)
                .keycloakConf(probeSpelling.confKey(PROBE) + "=" + PROBE_VALUE);
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
    }

    @TestFactory
    List<DynamicContainer> coreScenarioOnEveryLine() {
        List<DynamicContainer> lines = new ArrayList<>();
        LINES.forEach((line, stack) -> lines.add(DynamicContainer.dynamicContainer("Keycloak " + line.version(), List.of(
                DynamicTest.dynamicTest("client-dane token through nginx", () -> clientDane(line, stack)),
                DynamicTest.dynamicTest("client-dane-jwt token", () -> clientDaneJwt(line, stack)),
                DynamicTest.dynamicTest("auth-dane direct grant", () -> authDaneDirectGrant(line, stack)),
                DynamicTest.dynamicTest("server info lists every provider", () -> serverInfo(stack)),
                DynamicTest.dynamicTest("DANE meters", () -> metrics(stack)),
                DynamicTest.dynamicTest("an option in the other spelling", () -> spelling(line, stack))))));
        return lines;
    }

    private static void clientDane(KeycloakLine line, Stack stack) {
        String name = "line-" + line.label() + "._device.example.test";
        String clientId = "line-device";
        Issued leaf = TestPki.leaf("line-device").build();
        publish(shared, name, daneEe(leaf.cert()));
        daneClient(stack.admin(), clientId, name);

        TlsHttp http = device(stack, leaf);
        TlsHttp.Response granted = clientCredentials(stack, http, "client_id", clientId);
        TlsHttp.Response refused = clientCredentials(stack, device(stack, TestPki.leaf("line-device").build()),
                "client_id", clientId);

        assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(granted.json().path("access_token").asText(), http, stack.realmUri(REALM));
        assertThat(claims.getClaim("dane_clientid")).isEqualTo(name);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
        assertThat(refused.json().path("error").asText()).isEqualTo("invalid_client");
    }

    private static void clientDaneJwt(KeycloakLine line, Stack stack) throws Exception {
        String name = "line-jwt-" + line.label() + "._device.example.test";
        String clientId = "line-meter";
        Issued meter = TestPki.leaf("line-meter").build();
        publish(shared, name, daneEe(meter.cert()));
        if (stack.admin().realm(REALM).clients().findByClientId(clientId).isEmpty()) {
            DaneScenarios.createClient(stack.admin().realm(REALM), Map.of("clientId", clientId, "enabled", true,
                    "publicClient", false, "clientAuthenticatorType", "client-dane-jwt",
                    "serviceAccountsEnabled", true, "standardFlowEnabled", false,
                    "attributes", Map.of("dane.clientid", name), "defaultClientScopes", List.of("basic", "dane")));
        }
        Instant now = Instant.now();
        JWTClaimsSet assertion = new JWTClaimsSet.Builder().issuer(clientId).subject(clientId)
                .audience(stack.realmUri(REALM).toString()).issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(30))).jwtID(UUID.randomUUID().toString()).build();

        TlsHttp.Response granted = ClientDaneJwtIT.token(stack, REALM, ClientDaneJwtIT.jwkAssertion(meter, assertion));

        assertThat(granted.status()).as(granted.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(granted.json().path("access_token").asText(), stack.https(),
                stack.realmUri(REALM));
        assertThat(claims.getClaim("dane_clientid")).isEqualTo(name);
    }

    private static void authDaneDirectGrant(KeycloakLine line, Stack stack) {
        String name = "line-user-" + line.label() + "._user.example.test";
        Issued laptop = TestPki.leaf("line-user").build();
        publish(shared, name, daneEe(laptop.cert()));
        if (stack.admin().realm(REALM).users().searchByUsername("line-user", true).isEmpty()) {
            UserRepresentation user = new UserRepresentation();
            user.setUsername("line-user");
            user.setEnabled(true);
            user.setEmail("line-user@example.test");
            user.setEmailVerified(true);
            user.setFirstName("Line");
            user.setLastName("User");
            user.setAttributes(Map.of("dane_clientid", List.of(name)));
            DaneScenarios.createdId(stack.admin().realm(REALM).users().create(user));
        }
        TlsHttp http = device(stack, laptop);

        TlsHttp.Response response = http.postForm(stack.tokenUri(REALM), Map.of("grant_type", "password",
                "client_id", "dane-login", "scope", "openid", "dane_clientid", name));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JWTClaimsSet access = Tokens.verify(response.json().path("access_token").asText(), http, stack.realmUri(REALM));
        assertThat(access.getClaim("dane_clientid")).isEqualTo(name);
        // the user the name maps to is the one logged in (the realm's profile claims depend on the line's defaults)
        String userId = stack.admin().realm(REALM).users().searchByUsername("line-user", true).get(0).getId();
        assertThat(stack.admin().realm(REALM).users().get(userId).getUserSessions()).as("line-user's sessions")
                .isNotEmpty();
    }

    private static void serverInfo(Stack stack) {
        Map<String, SpiInfoRepresentation> spis = stack.admin().serverInfo().getInfo().getProviders();
        PROVIDERS.forEach((spi, ids) -> {
            assertThat(spis).as("the server info's SPIs").containsKey(spi);
            Map<String, ProviderRepresentation> providers = spis.get(spi).getProviders();
            assertThat(providers.keySet()).as("providers of " + spi).containsAll(ids);
        });
    }

    private static void metrics(Stack stack) throws IOException, InterruptedException {
        Map<String, Double> samples = MetricsIT.scrape(stack);
        double clientDaneSuccesses = samples.entrySet().stream()
                .filter(e -> e.getKey().startsWith("keycloak_dane_authentications_total{")
                        && e.getKey().contains("authenticator=client-dane,") && e.getKey().contains("result=success"))
                .mapToDouble(Map.Entry::getValue).sum();
        assertThat(samples.keySet().stream().filter(k -> k.startsWith("keycloak_dane_")).collect(Collectors.toSet()))
                .as("DANE series").isNotEmpty();
        assertThat(clientDaneSuccesses).as("client-dane successes on this node").isPositive();
    }

    private static void spelling(KeycloakLine line, Stack stack) {
        String log = stack.keycloak().log();
        if (line.spelling() == SpiSpelling.SINGLE_DASH) {
            // not read: the provider runs on the default and the log names the spelling to use
            assertThat(log).contains("DANE: Keycloak " + line.version() + " reads SPI options spelt with single dashes")
                    .contains(SpiSpelling.DOUBLE_DASH.confKey(PROBE) + " (conf/keycloak.conf): write "
                            + SpiSpelling.SINGLE_DASH.confKey(PROBE))
                    .contains("timeout " + PROBE.defaultValue + " ms");
        } else {
            // read in the legacy spelling: no error, the value took effect
            assertThat(log).doesNotContain("reads SPI options spelt with").contains("timeout " + PROBE_VALUE + " ms");
        }
    }
}
