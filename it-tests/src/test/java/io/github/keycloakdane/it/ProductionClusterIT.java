package io.github.keycloakdane.it;

import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.KeycloakServer;
import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.NginxProxy;
import io.github.keycloakdane.it.harness.Postgres;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.keycloak.admin.client.resource.ClientResource;
import org.keycloak.representations.idm.ProtocolMapperRepresentation;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.ZONE;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a production admin runs: {@code kc.sh build} then {@code kc.sh start --optimized} on PostgreSQL behind nginx
 * (the options of docs/PRODUCTION.md's "The tested build and start lines", from {@link KeycloakOptions#productionBuild()} and
 * {@link KeycloakOptions#production}), first one node, then a second one clustering with it the way Keycloak 26.7
 * does by default (embedded Infinispan, JGroups discovery {@code jdbc-ping} over the shared database), both behind
 * one nginx balancing round robin.
 *
 * <p>Everything is this class's own (Knot, PostgreSQL, nginx, two Keycloak homes), stopped after it. Skipped, saying
 * why, only when PostgreSQL is not installed ({@code scripts/install-deps.sh} installs it).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProductionClusterIT {

    private static final String SENSOR7 = "sensor7._device.example.test";
    private static final String ALICE = "alice-laptop._user.example.test";
    /** The DANE cache's bound: short, so that the rotation is seen within seconds, and below the records' TTL. */
    private static final int MAX_CACHE_TTL = 10;
    /** Long enough that the bound above, not the record, decides when a node asks DNS again. */
    private static final long RECORD_TTL = KnotDns.MAX_TTL;
    private static final Pattern TWO_MEMBER_VIEW = Pattern.compile(
            "ISPN000094: Received new cluster view for channel \\S+: \\[[^]]*] \\(2\\)");

    private static Path work;
    private static KnotDns knot;
    private static Postgres postgres;
    private static NginxProxy nginx;
    private static Issued tlsCa;
    private static Path trustAnchors;
    private static KeycloakServer nodeA;
    private static KeycloakServer nodeB;
    private static Issued sensor7;
    private static Issued laptop;

    @BeforeAll
    static void nodeA() throws IOException {
        Assumptions.assumeTrue(Postgres.binaries().isPresent(),
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres; scripts/install-deps.sh installs"
                        + " the Debian package postgresql)");
        work = Files.createDirectories(ItConfig.workDir().resolve("production"));
        knot = KnotDns.builder(work.resolve("knot")).signedZone(ZONE, "").start();
        trustAnchors = Files.writeString(Files.createTempFile(work, "trust-anchors", ".zone"), knot.trustAnchor());
        sensor7 = TestPki.leaf("sensor7").build();
        laptop = TestPki.leaf("alice-laptop").dnsNames(ALICE).build();
        publish(SENSOR7, sensor7);
        publish(ALICE, laptop);
        postgres = Postgres.start(work.resolve("postgres"));
        tlsCa = TestPki.ca("keycloak-dane production IT TLS CA").build();
        // nginx first: its origin is the nodes' --hostname; the nodes join its upstream group as they come up
        nginx = NginxProxy.start(work.resolve("nginx"), List.of(), TestPki.tlsServer(tlsCa, "127.0.0.1"));
        nodeA = node("a", null);
        nginx.upstreams(List.of(nodeA.baseUri()));
    }

    @AfterAll
    static void stop() throws IOException {
        for (AutoCloseable part : new AutoCloseable[] {nginx, nodeB, nodeA, postgres, knot}) {
            try {
                if (part != null) {
                    part.close();
                }
            } catch (Exception e) {
                // the others are stopped all the same
            }
        }
        if (trustAnchors != null) {
            Files.deleteIfExists(trustAnchors);
        }
    }

    /** The runtime options the IT's nodes get: docs/PRODUCTION.md's production line with the test's values, and more. */
    private static List<String> startOptions() {
        List<String> options = new ArrayList<>(KeycloakOptions.production(nginx.baseUri(), "127.0.0.1",
                postgres.jdbcUrl(), Postgres.USER, Postgres.PASSWORD, knot.address().getHostString() + ":"
                        + knot.port(), trustAnchors));
        options.add(KeycloakOptions.dane(ServerOption.CACHE_MAX_TTL, MAX_CACHE_TTL));
        return options;
    }

    /** Node A from the distribution, with the realm; node B from a copy of node A's built installation. */
    private static KeycloakServer node(String name, KeycloakServer builtBy) throws IOException {
        KeycloakServer.Builder b = KeycloakServer.builder("production-" + name).instanceDir(work.resolve("keycloak-"
                + name)).provider(ItConfig.daneJar()).production(KeycloakOptions.productionBuild())
                .options(startOptions());
        if (builtBy == null) {
            b.realmImport(ItConfig.daneRealm().orElseThrow());
        } else {
            b.distribution(builtBy.installation());
        }
        return b.start();
    }

    // ------------------------------------------------------------------------------------------------ one node

    @Test
    @Order(1)
    void productionNodeOnPostgresIssuesAClientTokenAndAUserDirectGrant() {
        assertThat(nodeA.log()).contains("Profile prod activated").doesNotContain("development mode");

        TlsHttp.Response client = clientCredentials(device(sensor7), null);
        assertThat(client.status()).as(client.toString()).isEqualTo(200);
        JWTClaimsSet claims = Tokens.verify(client.json().path("access_token").asText(), https(), realmUri());
        assertThat(claims.getIssuer()).isEqualTo(realmUri().toString());
        assertThat(claims.getClaim("dane_clientid")).isEqualTo(SENSOR7);

        TlsHttp.Response user = directGrant(device(laptop), null);
        assertThat(user.status()).as(user.toString()).isEqualTo(200);
        JWTClaimsSet access = Tokens.verify(user.json().path("access_token").asText(), https(), realmUri());
        assertThat(access.getClaim("dane_clientid")).isEqualTo(ALICE);
        assertThat(access.getClaim("preferred_username")).isEqualTo("alice");

        TlsHttp.Response thief = clientCredentials(device(TestPki.leaf("sensor7").build()), null);
        assertThat(thief.status()).as(thief.toString()).isEqualTo(401);
    }

    @Test
    @Order(2)
    void readmeShowsTheBuildAndStartLinesTheNodesRun() throws IOException {
        // the nodes run KeycloakOptions.production(...) with this run's values (startOptions), docs/PRODUCTION.md the same
        // call with placeholders; the harness adds only the per-node listeners and the cluster transport
        Path readme = ItConfig.daneRealm().orElseThrow().getParent().resolveSibling("docs/PRODUCTION.md");
        String section = section(Files.readString(readme), "## The tested build and start lines");
        List<String> commands = new ArrayList<>();
        for (String line : section.replace("\\\n", " ").lines().map(String::strip).toList()) {
            if (line.startsWith("bin/kc.sh ")) {
                commands.add(line.replaceAll(" +", " "));
            }
        }
        // the doc's placeholders go through the same methods as the IT's values
        List<String> start = KeycloakServer.productionStartArguments(KeycloakOptions.production(
                URI.create("https://sso.example.com"), "PROXY_IP", "jdbc:postgresql://DB_HOST/keycloak", "keycloak",
                "DB_PASSWORD", "RESOLVER_IP:53", null));
        assertThat(commands).containsExactly(
                "bin/kc.sh " + String.join(" ", KeycloakServer.productionBuildArguments(
                        KeycloakOptions.productionBuild())),
                "bin/kc.sh " + String.join(" ", start));
    }

    // ------------------------------------------------------------------------------------------------ two nodes

    /** Node B, started once, and the proof that the two formed one cluster. */
    private static synchronized void cluster() throws Exception {
        if (nodeB != null) {
            return;
        }
        nodeB = node("b", nodeA);
        nginx.upstreams(List.of(nodeA.baseUri(), nodeB.baseUri()));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!(TWO_MEMBER_VIEW.matcher(nodeA.log()).find() && TWO_MEMBER_VIEW.matcher(nodeB.log()).find())) {
            assertThat(System.nanoTime()).as("a two-member cluster view in both logs").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    @Test
    @Order(3)
    void devicesAuthenticateOnEitherNode() throws Exception {
        cluster();
        int before = nginx.requestCount();
        int requests = 6;
        for (int i = 0; i < requests; i++) {
            TlsHttp.Response r = clientCredentials(device(sensor7), null);
            assertThat(r.status()).as(r.toString()).isEqualTo(200);
        }
        List<String> lines = nginx.awaitAccessLogLines(before + requests, Duration.ofSeconds(5));
        Set<String> servedBy = new HashSet<>();
        for (String line : lines.subList(before, lines.size())) {
            if (line.contains("POST /realms/" + REALM + "/protocol/openid-connect/token") && line.contains(" 200 ")) {
                servedBy.add(upstreamAddress(line));
            }
        }
        // round robin: both nodes verified the device against DNS and issued its token
        assertThat(servedBy).containsExactlyInAnyOrder(hostPort(nodeA), hostPort(nodeB));

        for (int node = 0; node < 2; node++) {
            TlsHttp.Response user = directGrant(device(laptop), node);
            assertThat(user.status()).as("node " + node + ": " + user).isEqualTo(200);
        }
    }

    @Test
    @Order(4)
    void anAccessTokenFromNodeAIsAcceptedByNodeB() throws Exception {
        cluster();
        // Keycloak introspects a token only for a client in its audience: the resource server's, as in production
        String introspector = "introspector";
        if (nodeB.admin().realm(REALM).clients().findByClientId(introspector).isEmpty()) {
            Map<String, Object> client = new LinkedHashMap<>();
            client.put("clientId", introspector);
            client.put("publicClient", false);
            client.put("clientAuthenticatorType", "client-secret");
            client.put("secret", "introspector-secret");
            DaneScenarios.createClient(nodeB.admin().realm(REALM), client);
            ClientResource app = nodeB.admin().realm(REALM).clients().get(nodeB.admin().realm(REALM).clients()
                    .findByClientId("dane-login").get(0).getId());
            DaneScenarios.createdId(app.getProtocolMappers().createMapper(DaneScenarios.representation(Map.of(
                    "name", "introspector-audience", "protocol", "openid-connect",
                    "protocolMapper", "oidc-audience-mapper", "config", Map.of(
                            "included.client.audience", introspector, "access.token.claim", "true",
                            "introspection.token.claim", "true")), ProtocolMapperRepresentation.class)));
        }
        int before = nginx.requestCount();
        TlsHttp.Response grant = directGrant(device(laptop), 0);
        assertThat(grant.status()).as(grant.toString()).isEqualTo(200);
        String token = grant.json().path("access_token").asText();
        assertThat(upstreamAddress(nginx.awaitAccessLogLines(before + 1, Duration.ofSeconds(5)).get(before)))
                .as("issued by node A").isEqualTo(hostPort(nodeA));

        // straight to node B's HTTP port: its issuer is the public --hostname all the same
        TlsHttp plain = TlsHttp.trusting();
        TlsHttp.Response userinfo = plain.postForm(URI.create(nodeB.realmUri(REALM) + "/protocol/openid-connect/userinfo"),
                Map.of(), "Authorization", "Bearer " + token);
        assertThat(userinfo.status()).as(userinfo.toString()).isEqualTo(200);
        assertThat(userinfo.json().path("preferred_username").asText()).isEqualTo("alice");

        TlsHttp.Response introspection = plain.postForm(URI.create(nodeB.realmUri(REALM)
                + "/protocol/openid-connect/token/introspect"), Map.of("token", token, "client_id", introspector,
                "client_secret", "introspector-secret"));
        assertThat(introspection.status()).as(introspection.toString()).isEqualTo(200);
        assertThat(introspection.json().path("active").asBoolean()).as(introspection.toString()).isTrue();
        assertThat(introspection.json().path("username").asText()).isEqualTo("alice");
        assertThat(introspection.json().path("dane_clientid").asText()).isEqualTo(ALICE);
    }

    @Test
    @Order(5)
    void aTlsaRotationTakesEffectOnBothNodesWithinTheMaxCacheTtl() throws Exception {
        cluster();
        String name = "rotor._device.example.test";
        Issued oldKey = TestPki.leaf("rotor").build();
        Issued newKey = TestPki.leaf("rotor").build();
        publish(name, oldKey);
        daneClient(nodeA.admin(), "rotor", name);
        for (int node = 0; node < 2; node++) {
            TlsHttp.Response r = clientCredentials(device(oldKey), node, "client_id", "rotor");
            assertThat(r.status()).as("node " + node + " before the rotation: " + r).isEqualTo(200);
        }

        publish(name, newKey);
        long rotated = System.nanoTime();
        // each node answers from its own cache until its entry expires: the old key still works at first
        for (int node = 0; node < 2; node++) {
            assertThat(clientCredentials(device(oldKey), node, "client_id", "rotor").status())
                    .as("node " + node + " right after the rotation (cached)").isEqualTo(200);
        }
        double[] switched = new double[2];
        double bound = MAX_CACHE_TTL + 4; // the cache bound, plus a login's time on a busy machine
        for (int node = 0; node < 2; node++) {
            while (clientCredentials(device(oldKey), node, "client_id", "rotor").status() == 200) {
                assertThat((System.nanoTime() - rotated) / 1e9).as("node " + node + " still accepts the old key")
                        .isLessThan(bound);
                Thread.sleep(250);
            }
            switched[node] = (System.nanoTime() - rotated) / 1e9;
            TlsHttp.Response fresh = clientCredentials(device(newKey), node, "client_id", "rotor");
            assertThat(fresh.status()).as("node " + node + " with the new key: " + fresh).isEqualTo(200);
        }
        System.out.printf(Locale.ROOT, "[production] old key refused %.1f s (node A) and %.1f s (node B) after the"
                + " rotation (max cache TTL %d s)%n", switched[0], switched[1], MAX_CACHE_TTL);
    }

    @Test
    @Order(6)
    void aClientAssertionUsedOnNodeAIsRefusedAsAReplayOnNodeB() throws Exception {
        cluster();
        String meterName = "meter1._device.example.test"; // realm-config's client-dane-jwt client meter1
        Issued meter = TestPki.leaf("meter1").build();
        publish(meterName, meter);
        java.time.Instant now = java.time.Instant.now();
        String assertion = ClientDaneJwtIT.jwkAssertion(meter, new com.nimbusds.jwt.JWTClaimsSet.Builder()
                .issuer("meter1").subject("meter1").audience(realmUri().toString())
                .issueTime(java.util.Date.from(now)).expirationTime(java.util.Date.from(now.plusSeconds(30)))
                .jwtID(java.util.UUID.randomUUID().toString()).build());
        Map<String, String> form = Map.of("grant_type", "client_credentials",
                "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion", assertion);

        // no client certificate: plain TLS to nginx, which forwards none
        int before = nginx.requestCount();
        TlsHttp.Response onA = post(https(), form, 0);
        java.time.Instant since = java.time.Instant.now();
        TlsHttp.Response onB = post(https(), form, 1);

        assertThat(onA.status()).as("node A: " + onA).isEqualTo(200);
        assertThat(onB.status()).as("node B: " + onB).isEqualTo(401);
        assertThat(DaneScenarios.event(nodeB.admin(), "CLIENT_LOGIN_ERROR", meterName, since).orElseThrow()
                .path("details").path("dane_reason").asText()).isEqualTo("ASSERTION_REPLAYED");
        List<String> lines = nginx.awaitAccessLogLines(before + 2, Duration.ofSeconds(5));
        assertThat(upstreamAddress(lines.get(before))).as("first use on node A").isEqualTo(hostPort(nodeA));
        assertThat(upstreamAddress(lines.get(before + 1))).as("the replay on node B").isEqualTo(hostPort(nodeB));
    }

    @Test
    @Order(7)
    void aSecondCarrierAddedBehindNodeAsBackIsRefusedOnNodeBAtOnceOnEveryPath() throws Exception {
        cluster();
        String twin = "twin._device.example.test";
        Issued device = TestPki.leaf("twin").build();
        publish(twin, device);
        daneClient(nodeA.admin(), "twin-a", twin);
        daneClient(nodeA.admin(), "twin-b", "twin-b._device.example.test");
        String twinB = nodeB.admin().realm(REALM).clients().findByClientId("twin-b").get(0).getId();
        // node B holds twin-b in its realm cache and twin's one carrier in its carrier index
        assertThat(nodeB.admin().realm(REALM).clients().get(twinB).toRepresentation().getAttributes())
                .containsEntry("dane.clientid", "twin-b._device.example.test");
        for (int i = 0; i < 2; i++) {
            assertThat(clientCredentials(device(device), 1, "client_id", "twin-a").status()).isEqualTo(200);
            assertThat(clientCredentials(device(device), 1, "dane_clientid", twin).status()).isEqualTo(200);
        }

        // warm logins ask the database nothing about client attributes (PostgreSQL's own counters) ...
        long scans = clientAttributeScans();
        for (int i = 0; i < 3; i++) {
            assertThat(clientCredentials(device(device), 1, "client_id", "twin-a").status()).isEqualTo(200);
            assertThat(clientCredentials(device(device), 1, "dane_clientid", twin).status()).isEqualTo(200);
        }
        assertThat(clientAttributeScans()).as("client_attributes scans during 6 warm logins on node B")
                .isEqualTo(scans);
        // ... while a name nobody carries is one indexed query each time (the counters do see the query)
        assertThat(clientCredentials(device(device), 1, "dane_clientid", "nobody._device.example.test").status())
                .isEqualTo(401);
        long reported = System.nanoTime() + Duration.ofSeconds(11).toNanos();
        long after = scans;
        while (after == scans && System.nanoTime() < reported) {
            Thread.sleep(500);
            after = Long.parseLong(postgres.sql(SCANS));
        }
        assertThat(after).as("after a login for a name nobody carries").isGreaterThan(scans);

        // the second carrier, written to the database behind Keycloak's back, then the realm cache cleared on A
        postgres.sql("UPDATE client_attributes SET value = '" + twin + "' WHERE client_id = '" + twinB
                + "' AND name = 'dane.clientid'");
        nodeA.admin().realm(REALM).clearRealmCache();
        // once Keycloak's own realm cache on B has heard of it (B's copy of twin-b is gone) ...
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!twin.equals(nodeB.admin().realm(REALM).clients().get(twinB).toRepresentation().getAttributes()
                .get("dane.clientid"))) {
            assertThat(System.nanoTime()).as("node B's realm cache cleared").isLessThan(deadline);
            Thread.sleep(50);
        }
        // ... the very next logins on B refuse both paths, without a DNS query
        long queries = knotQueries();
        java.time.Instant since = java.time.Instant.now();
        TlsHttp.Response byClientId = clientCredentials(device(device), 1, "client_id", "twin-a");
        TlsHttp.Response byName = clientCredentials(device(device), 1, "dane_clientid", twin);
        TlsHttp.Response onA = clientCredentials(device(device), 0, "client_id", "twin-a");

        assertThat(byClientId.status()).as("node B, client_id: " + byClientId).isEqualTo(401);
        assertThat(byName.status()).as("node B, dane_clientid: " + byName).isEqualTo(401);
        assertThat(onA.status()).as("node A: " + onA).isEqualTo(401);
        assertThat(knotQueries()).isEqualTo(queries);
        List<com.fasterxml.jackson.databind.JsonNode> refused = DaneScenarios.events(nodeB.admin().realm(REALM),
                        "CLIENT_LOGIN_ERROR").stream()
                .filter(e -> e.path("time").asLong() >= since.toEpochMilli())
                .filter(e -> twin.equals(e.path("details").path("dane_clientid").asText())).toList();
        assertThat(refused).hasSize(3).allSatisfy(e -> {
            assertThat(e.path("details").path("dane_reason").asText()).isEqualTo("AMBIGUOUS_IDENTITY");
            assertThat(e.path("details").path("dane_detail").asText()).contains("twin-a", "twin-b");
        });
    }

    /**
     * Sequential and index scans of Keycloak's {@code client_attributes} table so far, once every Keycloak backend's
     * statistics have reached PostgreSQL (a backend reports them at most once a second, when idle).
     */
    /**
     * PostgreSQL's scan counters of {@code client_attributes}, once every backend has reported: PostgreSQL 15 holds a
     * backend's counters for up to 10 s after its last transaction (PGSTAT_IDLE_INTERVAL) when it flushed less than a
     * second before, so a shorter wait could count the previous step's queries in the next one.
     */
    private static long clientAttributeScans() throws Exception {
        Thread.sleep(11_000);
        return Long.parseLong(postgres.sql(SCANS));
    }

    private static final String SCANS = "SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
            + " WHERE relname = 'client_attributes'";

    private static long knotQueries() throws IOException {
        return knot.stats().entrySet().stream().filter(e -> e.getKey().startsWith("mod-stats.request-protocol["))
                .mapToLong(Map.Entry::getValue).sum();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void publish(String owner, Issued cert) {
        knot.replace(ZONE, owner + ". " + RECORD_TTL + " IN TLSA " + daneEe(cert.cert()));
    }

    private static URI realmUri() {
        return URI.create(nginx.baseUri() + "/realms/" + REALM);
    }

    private static URI tokenUri() {
        return URI.create(realmUri() + "/protocol/openid-connect/token");
    }

    private static TlsHttp https() {
        return TlsHttp.trusting(tlsCa.cert());
    }

    private static TlsHttp device(Issued leaf) {
        return https().withClientCertificate(leaf);
    }

    /** client_credentials through nginx, to the next node in turn ({@code node} null) or to that one. */
    private static TlsHttp.Response clientCredentials(TlsHttp http, Integer node, String... form) {
        Map<String, String> fields = new LinkedHashMap<>(Map.of("grant_type", "client_credentials"));
        if (form.length == 0) {
            fields.put("dane_clientid", SENSOR7);
        }
        for (int i = 0; i < form.length; i += 2) {
            fields.put(form[i], form[i + 1]);
        }
        return post(http, fields, node);
    }

    /** realm-config's auth-dane direct grant of alice's laptop. */
    private static TlsHttp.Response directGrant(TlsHttp http, Integer node) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("grant_type", "password");
        fields.put("client_id", "dane-login");
        fields.put("scope", "openid");
        fields.put("dane_clientid", ALICE);
        return post(http, fields, node);
    }

    private static TlsHttp.Response post(TlsHttp http, Map<String, String> form, Integer node) {
        return node == null ? http.postForm(tokenUri(), form)
                : http.postForm(tokenUri(), form, NginxProxy.NODE_HEADER, node.toString());
    }

    private static String hostPort(KeycloakServer node) {
        return node.baseUri().getHost() + ":" + node.baseUri().getPort();
    }

    private static String upstreamAddress(String accessLogLine) {
        Matcher m = Pattern.compile("upstream_addr=(\\S+)").matcher(accessLogLine);
        return m.find() ? m.group(1) : "";
    }

    /** The text from the heading to the next heading of the same level. */
    private static String section(String markdown, String heading) {
        int start = markdown.indexOf("\n" + heading + "\n");
        assertThat(start).as(heading + " in docs/PRODUCTION.md").isNotNegative();
        int end = markdown.indexOf("\n## ", start + heading.length() + 2);
        return markdown.substring(start, end < 0 ? markdown.length() : end);
    }
}
