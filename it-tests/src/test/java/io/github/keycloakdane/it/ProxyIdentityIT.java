package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import io.github.keycloakdane.it.harness.DaneGatewayProcess;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Unbound;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.event;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy-authenticated (TLS-native) mode: a DANE-aware proxy checked DANE in the handshake and passes the
 * {@code dane_clientid} it authenticated in {@code proxy-identity-header}, next to the certificate (nginx lookup
 * format). The test client plays that proxy, straight to Keycloak's HTTP port: from 127.0.0.1 (the trusted proxy
 * address) and from 127.0.0.2 (anyone else). By default the assertion is re-verified against the forwarded
 * certificate, so a proxy bug cannot mint identities; {@code trust-proxy-identity=true} believes it as it is (there
 * also through the real DANE-aware proxy, the gateway jar: GatewayIT runs the re-verify mode). Its own
 * Keycloak, started twice in one directory.
 */
class ProxyIdentityIT {

    private static final String HEADER = "X-Dane-Authenticated-Clientid";
    /** realm-config's client sensor7. */
    private static final String SENSOR7 = "sensor7._device.example.test";

    private static Stack.Builder stack(String... options) {
        Stack.Builder b = Stack.builder().name("proxy-identity").provider(ItConfig.daneJar())
                .knot(k -> k.signedZone("example.test", ""))
                .keycloakOptions(KeycloakOptions.dane(ServerOption.PROXY_IDENTITY_HEADER, HEADER),
                        "--spi-client--jpa--searchable-attributes=dane.clientid")
                .keycloakOptions(options);
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
    }

    /**
     * Also the Keycloak line "resolver = a validating resolver over DNS over TLS, its AD bit believed": this
     * Keycloak asks Unbound (in front of the stack's Knot) over DoT, so the re-verification's lookups go through it.
     */
    @Test
    void theProxysAssertionIsReVerifiedByDefaultAndBelievedOnlyFromTheTrustedProxy() throws Exception {
        Issued sensor7 = TestPki.leaf("sensor7").build();
        Issued otherKey = TestPki.leaf("sensor7").build();
        Issued resolverCa = TestPki.ca("proxy-identity resolver CA").build();
        Path resolverCaFile = TestPki.writePem(Files.createTempFile("resolver-ca", ".pem"),
                List.of(resolverCa.cert()));
        Unbound[] unbound = new Unbound[1];
        Stack.Builder builder = stack(Unbound.dotTrustAdOptions(resolverCaFile).toArray(String[]::new))
                .dnsInFront(knot -> {
                    try {
                        unbound[0] = Unbound.builder(ItConfig.workDir().resolve("proxy-identity-unbound"))
                                .stub("example.test", knot).trustAnchorsFrom("example.test", knot)
                                .tlsCa(resolverCa).start();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return unbound[0].tlsAddress();
                });
        try (Stack stack = builder.start()) {
            publish(stack, SENSOR7, daneEe(sensor7.cert()));

            TlsHttp.Response asserted = fromProxy(stack, "127.0.0.1", SENSOR7, sensor7, Map.of());
            assertThat(asserted.status()).as(asserted.toString()).isEqualTo(200);
            assertThat(daneClientid(asserted)).isEqualTo(SENSOR7);

            // a proxy that asserts the name over a certificate DNS does not vouch for: re-verification refuses it
            Instant since = Instant.now();
            TlsHttp.Response mismatched = fromProxy(stack, "127.0.0.1", SENSOR7, otherKey, Map.of());
            assertThat(mismatched.status()).as(mismatched.toString()).isEqualTo(401);
            assertThat(reason(stack, "CLIENT_LOGIN_ERROR", since)).isEqualTo("NO_MATCH");

            // the assertion and the request body must name the same client
            since = Instant.now();
            TlsHttp.Response contradicted = fromProxy(stack, "127.0.0.1", SENSOR7, sensor7,
                    Map.of("dane_clientid", "sensor8._device.example.test"));
            assertThat(contradicted.status()).as(contradicted.toString()).isEqualTo(401);

            since = Instant.now();
            TlsHttp.Response stranger = fromProxy(stack, "127.0.0.2", SENSOR7, sensor7, Map.of("client_id", "sensor7"));
            assertThat(stranger.status()).as(stranger.toString()).isEqualTo(401);
            assertThat(reason(stack, "CLIENT_LOGIN_ERROR", since)).isEqualTo("UNTRUSTED_IDENTITY_HEADER");

            assertThat(stack.keycloak().log()).contains("takes the identity from the header " + HEADER)
                    .contains("and re-verifies it");
            // the lookups went to Unbound over TLS, its AD bit believed
            assertThat(stack.keycloak().log()).contains("over TLS (RFC 7858), certificate checked against 1"
                    + " configured CA certificate(s) and the name " + Unbound.TLS_NAME, "trusting its AD bit");
            assertThat(unbound[0].stat("num.query.tls")).isPositive();
        } finally {
            if (unbound[0] != null) {
                unbound[0].close();
            }
            Files.deleteIfExists(resolverCaFile);
        }
    }

    @Test
    void trustProxyIdentityBelievesTheTrustedProxyWithoutCertificateOrDnsAndStillRefusesStrangers() throws Exception {
        try (Stack stack = stack(KeycloakOptions.dane(ServerOption.TRUST_PROXY_IDENTITY, true)).start()) {
            long queriesBefore = DaneScenarios.knotQueries(stack);
            Instant since = Instant.now();

            TlsHttp.Response asserted = fromProxy(stack, "127.0.0.1", SENSOR7, null, Map.of());

            assertThat(asserted.status()).as(asserted.toString()).isEqualTo(200);
            assertThat(daneClientid(asserted)).isEqualTo(SENSOR7);
            JsonNode login = event(stack, "CLIENT_LOGIN", SENSOR7, since).orElseThrow();
            assertThat(login.path("details").path("dane_reason").asText()).isEqualTo("OK");
            assertThat(login.path("details").path("dane_detail").asText()).contains("not re-verified");
            assertThat(DaneScenarios.knotQueries(stack)).as("no DNS query").isEqualTo(queriesBefore);
            assertThat(stack.keycloak().log()).contains("trust-proxy-identity=true: the identity in " + HEADER
                    + " is believed without checking the certificate against DNS");

            since = Instant.now();
            TlsHttp.Response stranger = fromProxy(stack, "127.0.0.2", SENSOR7, null, Map.of("client_id", "sensor7"));
            assertThat(stranger.status()).as(stranger.toString()).isEqualTo(401);
            assertThat(reason(stack, "CLIENT_LOGIN_ERROR", since)).isEqualTo("UNTRUSTED_IDENTITY_HEADER");

            TlsHttp.Response unknown = fromProxy(stack, "127.0.0.1", "nobody._device.example.test", null, Map.of());
            assertThat(unknown.status()).as(unknown.toString()).isEqualTo(401);

            // the TLS-native gateway in front of this Keycloak: the device's token through it, believed as asserted
            throughTheGateway(stack);
        }
    }

    /** A device with the CLI's request (TLS 1.3, dane_clientid) through the gateway jar gets a token. */
    private static void throughTheGateway(Stack stack) throws Exception {
        Issued device = TestPki.leaf("sensor7").build();
        publish(stack, SENSOR7, daneEe(device.cert()));
        Issued tlsCa = TestPki.ca("proxy-identity gateway CA").build();
        Path dir = Files.createDirectories(ItConfig.workDir().resolve("proxy-identity-gateway"));
        Path ca = TestPki.writePem(dir.resolve("ca.pem"), List.of(tlsCa.cert()));
        Path cert = TestPki.writePem(dir.resolve("device.pem"), List.of(device.cert()));
        Path key = TestPki.writePem(dir.resolve("device.key"), device.keyPair().getPrivate());
        try (DaneGatewayProcess gateway = DaneGatewayProcess.start(dir.resolve("gateway"),
                stack.keycloak().baseUri(), TestPki.tlsServer(tlsCa, "127.0.0.1"),
                "--resolver", "127.0.0.1:" + stack.knot().port(), "--trust-anchors", stack.trustAnchorFile().toString(),
                "--identity-header", HEADER)) {
            CliRunner.Result r = CliRunner.run("request", "--key", key.toString(), "--cert", cert.toString(),
                    "--name", SENSOR7, "--cacert", ca.toString(),
                    gateway.baseUri() + "/realms/" + REALM + "/protocol/openid-connect/token",
                    "-d", "grant_type=client_credentials");
            assertThat(r.exitCode()).as(r.toString()).isZero();
            String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout())
                    .path("access_token").asText();
            assertThat(SignedJWT.parse(token).getJWTClaimsSet().getStringClaim("dane_clientid")).isEqualTo(SENSOR7);
        }
    }

    /**
     * client_credentials straight to Keycloak from {@code source}, with the identity header and, when given, the
     * certificate in nginx's header: what a DANE-aware proxy in front of Keycloak sends.
     */
    private static TlsHttp.Response fromProxy(Stack stack, String source, String identity, Issued certificate,
                                              Map<String, String> form) throws Exception {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HEADER, identity);
        if (certificate != null) {
            headers.put(KeycloakOptions.CLIENT_CERT_HEADER,
                    URLEncoder.encode(TestPki.pem(List.of(certificate.cert())), StandardCharsets.UTF_8));
        }
        Map<String, String> body = new LinkedHashMap<>(Map.of("grant_type", "client_credentials"));
        body.putAll(form);
        return TlsHttp.postFormFrom(InetAddress.getByName(source),
                URI.create(stack.keycloak().realmUri(REALM) + "/protocol/openid-connect/token"), body, headers);
    }

    private static String daneClientid(TlsHttp.Response response) throws Exception {
        return SignedJWT.parse(response.json().path("access_token").asText()).getJWTClaimsSet()
                .getStringClaim("dane_clientid");
    }

    private static String reason(Stack stack, String type, Instant since) throws Exception {
        return event(stack, type, SENSOR7, since).orElseThrow().path("details").path("dane_reason").asText();
    }
}
