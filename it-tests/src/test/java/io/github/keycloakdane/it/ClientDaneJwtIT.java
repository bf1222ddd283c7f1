package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.RealmRepresentation;

import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.daneTaDigest;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * client-dane-jwt end to end through nginx, with no certificate anywhere on the way: the device connects without a
 * client certificate (nginx asks optionally, it sends none), and proves its key by a signed client assertion whose
 * header carries the key; Keycloak matches that key against the TLSA records Knot serves with DNSSEC. Every refusal
 * is a 401 with its reason in the event; those decided before DNS make no query at all (Knot's counters).
 */
@ExtendWith(SharedStack.class)
class ClientDaneJwtIT {

    /** realm-config's realm under its own name: its client flow (client-dane-jwt included) and its dane scope. */
    private static final String REALM = "dane-jwt";
    private static final String METER = "meter1";
    private static final String METER_NAME = "meter1._device.example.test";

    private static Stack stack;
    private static RealmResource realm;
    private static Issued meter;

    @BeforeAll
    static void realmAndDevice(Stack shared) throws Exception {
        stack = shared;
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(ItConfig.daneRealm().orElseThrow().toFile());
        json.put("realm", REALM);
        json.remove("users");
        stack.admin().realms().create(representation(json, RealmRepresentation.class));
        realm = stack.admin().realm(REALM);
        DaneScenarios.enableEvents(realm);
        meter = TestPki.leaf("meter1").build();
        publish(stack, METER_NAME, daneEe(meter.cert()));
    }

    @AfterAll
    static void dropRealm() {
        if (realm != null) {
            realm.remove();
        }
    }

    // --- assertions, made here with nimbus-jose-jwt (never with the code under test) ---

    private static JWTClaimsSet.Builder claims(String clientId) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(stack.realmUri(REALM).toString())
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(30)))
                .jwtID(UUID.randomUUID().toString());
    }

    /** ES256 with the device's key as a jwk header. */
    static String jwkAssertion(Issued device, JWTClaimsSet claims) throws Exception {
        return signed(device, new JWSHeader.Builder(JWSAlgorithm.ES256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) device.keyPair().getPublic()).build()), claims);
    }

    /** ES256 with the chain (leaf first) as x5c. */
    private static String x5cAssertion(Issued device, JWTClaimsSet claims, X509Certificate... chain) throws Exception {
        List<Base64> x5c = new ArrayList<>();
        for (X509Certificate c : chain) {
            x5c.add(Base64.encode(c.getEncoded()));
        }
        return signed(device, new JWSHeader.Builder(JWSAlgorithm.ES256).x509CertChain(x5c), claims);
    }

    private static String signed(Issued device, JWSHeader.Builder header, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(header.build(), claims);
        jwt.sign(new ECDSASigner((ECPrivateKey) device.keyPair().getPrivate()));
        return jwt.serialize();
    }

    private static String meterAssertion(Consumer<JWTClaimsSet.Builder> change) throws Exception {
        JWTClaimsSet.Builder b = claims(METER);
        change.accept(b);
        return jwkAssertion(meter, b.build());
    }

    /** client_credentials with the assertion, from a TLS client holding no certificate. */
    static TlsHttp.Response token(Stack on, String realmName, String assertion, String... more) {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        form.put("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        form.put("client_assertion", assertion);
        for (int i = 0; i < more.length; i += 2) {
            form.put(more[i], more[i + 1]);
        }
        return on.https().postForm(on.tokenUri(realmName), form);
    }

    private static TlsHttp.Response token(String assertion, String... more) {
        return token(stack, REALM, assertion, more);
    }

    private static void daneJwtClient(String clientId, String name) {
        if (!realm.clients().findByClientId(clientId).isEmpty()) {
            return;
        }
        DaneScenarios.createClient(realm, Map.of("clientId", clientId, "enabled", true, "publicClient", false,
                "clientAuthenticatorType", "client-dane-jwt", "serviceAccountsEnabled", true,
                "standardFlowEnabled", false, "attributes", Map.of("dane.clientid", name),
                "defaultClientScopes", List.of("basic", "dane")));
    }

    /** The newest event of {@code type} of this realm for the name since {@code since}. */
    private static JsonNode event(String type, String name, Instant since) throws InterruptedException {
        return DaneScenarios.event(realm, type, name, since)
                .orElseThrow(() -> new AssertionError("no " + type + " event for " + name));
    }

    /** A 401 invalid_client whose event says {@code reason}; with {@code noDns}, Knot was not asked at all. */
    private static void assertRefused(String assertion, String name, String reason, boolean noDns, String... more)
            throws Exception {
        long queriesBefore = knotQueries(stack);
        Instant since = Instant.now();

        TlsHttp.Response response = token(assertion, more);

        assertThat(response.status()).as(response.toString()).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_client");
        assertThat(response.body()).doesNotContain("dane_", "TLSA", "jti");
        assertThat(event("CLIENT_LOGIN_ERROR", name, since).path("details").path("dane_reason").asText())
                .isEqualTo(reason);
        if (noDns) {
            assertThat(knotQueries(stack)).as("DNS queries").isEqualTo(queriesBefore);
        }
    }

    // --- success ---

    @Test
    void aJwkAssertionGetsATokenCarryingTheIdentityWithoutAnyClientCertificate() throws Exception {
        Instant since = Instant.now();

        TlsHttp.Response response = token(meterAssertion(c -> { }));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        var claims = Tokens.verify(response.json().path("access_token").asText(), stack.https(), stack.realmUri(REALM));
        assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(METER_NAME);
        assertThat(claims.getStringClaim("azp")).isEqualTo(METER);
        JsonNode event = event("CLIENT_LOGIN", METER_NAME, since);
        assertThat(event.path("details").path("dane_reason").asText()).isEqualTo("OK");
        assertThat(event.path("details").path("dane_record").asText()).isEqualTo("3 1 1@0");
        assertThat(event.path("details").path("dane_dnssec").asText()).isEqualTo("SECURE");
    }

    @Test
    void anAssertionFromTheCliGetsAToken(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path key = TestPki.writePem(dir.resolve("meter1.key"), meter.keyPair().getPrivate());

        CliRunner.Result cli = CliRunner.run("assertion", "--key", key.toString(), "--client-id", METER,
                "--aud", stack.realmUri(REALM).toString());
        TlsHttp.Response response = token(cli.stdout().strip());

        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    @Test
    void theTokenEndpointIsAnAudienceTooAndClientIdMayBeSent() throws Exception {
        String assertion = meterAssertion(c -> c.audience(stack.tokenUri(REALM).toString()));

        TlsHttp.Response response = token(assertion, "client_id", METER);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    @Test
    void anX5cChainUnderAFleetCaPublishedAsDaneTaGetsAToken() throws Exception {
        Issued fleetCa = TestPki.ca("Meter Fleet CA").build();
        String name = "meter2._meter.example.test";
        Issued meter2 = TestPki.leaf("meter2").issuer(fleetCa).dnsNames(name).build();
        publish(stack, "*._meter.example.test", daneTaDigest(fleetCa.cert()));
        daneJwtClient("meter2", name);
        Instant since = Instant.now();

        TlsHttp.Response response = token(x5cAssertion(meter2, claims("meter2").build(), meter2.cert(), fleetCa.cert()));

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(event("CLIENT_LOGIN", name, since).path("details").path("dane_record").asText())
                .isEqualTo("2 0 1@1");
        // the same CA's certificate for another name: DANE-TA needs the name in the leaf's SAN
        Issued other = TestPki.leaf("meter2").issuer(fleetCa).dnsNames("meter3._meter.example.test").build();
        assertRefused(x5cAssertion(other, claims("meter2").build(), other.cert(), fleetCa.cert()), name,
                "NAME_MISMATCH", false);
    }

    // --- refusals before DNS ---

    @Test
    void aReplayedAssertionIsRefusedWithoutAnyDnsQuery() throws Exception {
        String assertion = meterAssertion(c -> { });
        TlsHttp.Response first = token(assertion);
        assertThat(first.status()).as(first.toString()).isEqualTo(200);

        assertRefused(assertion, METER_NAME, "ASSERTION_REPLAYED", true);
    }

    @Test
    void anExpiredAssertionIsRefusedWithoutAnyDnsQuery() throws Exception {
        Instant now = Instant.now();
        assertRefused(meterAssertion(c -> c.issueTime(Date.from(now.minusSeconds(50)))
                .expirationTime(Date.from(now.minusSeconds(5)))), METER_NAME, "ASSERTION_EXPIRED", true);
    }

    @Test
    void aLifetimeLongerThanTheMaximumIsRefusedWithoutAnyDnsQuery() throws Exception {
        Instant now = Instant.now();
        assertRefused(meterAssertion(c -> c.expirationTime(Date.from(now.plusSeconds(3600)))), METER_NAME,
                "LIFETIME_TOO_LONG", true);
    }

    @Test
    void anotherAudienceIsRefusedWithoutAnyDnsQuery() throws Exception {
        assertRefused(meterAssertion(c -> c.audience(stack.realmUri("dane").toString())), METER_NAME,
                "AUDIENCE_MISMATCH", true);
    }

    @Test
    void anIssuerOtherThanTheSubjectIsRefusedWithoutAnyDnsQuery() throws Exception {
        assertRefused(meterAssertion(c -> c.issuer("someone-else")), METER_NAME, "ISSUER_MISMATCH", true);
    }

    @Test
    void algNoneIsRefusedWithoutAnyDnsQuery() throws Exception {
        // the claims alone, unsigned; Keycloak's parser does not even take "header.payload." for a JWS
        assertRefused(new PlainJWT(claims(METER).build()).serialize(), METER_NAME, "ASSERTION_MALFORMED", true,
                "client_id", METER);
        // a header that says none, with a signature part: the algorithm is what is refused
        String[] parts = meterAssertion(c -> { }).split("\\.");
        String none = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"none\",\"jwk\":" + new ECKey.Builder(
                Curve.P_256, (ECPublicKey) meter.keyPair().getPublic()).build().toJSONString() + "}") + "." + parts[1]
                + "." + parts[2];
        assertRefused(none, METER_NAME, "ALGORITHM_REFUSED", true);
    }

    @Test
    void hmacKeyedWithThePublicKeyIsRefusedWithoutAnyDnsQuery() throws Exception {
        SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) meter.keyPair().getPublic()).build()).build(),
                claims(METER).build());
        hmac.sign(new MACSigner(meter.keyPair().getPublic().getEncoded()));

        assertRefused(hmac.serialize(), METER_NAME, "ALGORITHM_REFUSED", true);
    }

    @Test
    void aSignatureByAnotherKeyThanTheHeaderCarriesIsRefusedWithoutAnyDnsQuery() throws Exception {
        Issued thief = TestPki.leaf("meter1").build();
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) meter.keyPair().getPublic()).build()).build(),
                claims(METER).build());
        forged.sign(new ECDSASigner((ECPrivateKey) thief.keyPair().getPrivate()));

        assertRefused(forged.serialize(), METER_NAME, "BAD_SIGNATURE", true);
    }

    // --- refusals by DNS ---

    @Test
    void aKeyThatIsNotInTheTlsaRrsetIsRefused() throws Exception {
        Issued thief = TestPki.leaf("meter1").build();

        assertRefused(jwkAssertion(thief, claims(METER).build()), METER_NAME, "NO_MATCH", false);
    }

    @Test
    void aGoodKeyUnderAnUnsignedZoneIsRefused() throws Exception {
        String name = "meter9.unsigned.test";
        Issued meter9 = TestPki.leaf("meter9").build();
        publish(stack, name, daneEe(meter9.cert()));
        daneJwtClient("meter9", name);

        assertRefused(jwkAssertion(meter9, claims("meter9").build()), name, "DNS_INSECURE", false);
    }

    @Test
    void aJwkCannotMatchACertificateRecordSelectorZero() throws Exception {
        String name = "meter4._device.example.test";
        Issued meter4 = TestPki.leaf("meter4").build();
        String certDigest = daneTaDigest(meter4.cert()).replaceFirst("^2 ", "3 "); // 3 0 1: the certificate's digest
        publish(stack, name, certDigest);
        daneJwtClient("meter4", name);

        assertRefused(jwkAssertion(meter4, claims("meter4").build()), name, "NO_MATCH", false);
        // the same certificate as x5c matches that record
        TlsHttp.Response withCert = token(x5cAssertion(meter4, claims("meter4").build(), meter4.cert()));
        assertThat(withCert.status()).as(withCert.toString()).isEqualTo(200);
    }

    @Test
    void aClientOfAnotherAuthenticatorIsNotAuthenticatedByADaneAssertion() throws Exception {
        // the realm-config client sensor7 uses client-dane: a good assertion for its name is no way in
        TlsHttp.Response response = token(jwkAssertion(meter, claims("sensor7").build()));

        assertThat(response.status()).as(response.toString()).isEqualTo(401);
    }
}
