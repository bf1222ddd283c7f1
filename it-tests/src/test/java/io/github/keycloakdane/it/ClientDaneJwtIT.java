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

    // --- hostile callers (issue 19): nothing stored before the proof, bounded times, our key bounds ---

    /** A compact JWS of hand-written header and claims JSON, signed ES256 by the device (nimbus would rewrite them). */
    private static String rawEs256(Issued device, String headerJson, String claimsJson) throws Exception {
        String input = com.nimbusds.jose.util.Base64URL.encode(headerJson) + "."
                + com.nimbusds.jose.util.Base64URL.encode(claimsJson);
        return input + "." + new ECDSASigner((ECPrivateKey) device.keyPair().getPrivate()).sign(
                new JWSHeader(JWSAlgorithm.ES256), input.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    private static String meterJwkJson() {
        return new ECKey.Builder(Curve.P_256, (ECPublicKey) meter.keyPair().getPublic()).build().toJSONString();
    }

    @Test
    void anOverflowingLifetimeIsRefusedWithoutAnyDnsQuery() throws Exception {
        // iat = -2^63 and exp ten years ahead: exp - iat overflows to a small number on today's arithmetic
        long exp = Instant.now().getEpochSecond() + 10L * 365 * 24 * 3600;
        String assertion = rawEs256(meter, "{\"alg\":\"ES256\",\"jwk\":" + meterJwkJson() + "}",
                "{\"iss\":\"" + METER + "\",\"sub\":\"" + METER + "\",\"aud\":\"" + stack.realmUri(REALM)
                        + "\",\"jti\":\"" + UUID.randomUUID() + "\",\"iat\":" + Long.MIN_VALUE + ",\"exp\":" + exp + "}");

        assertRefused(assertion, METER_NAME, "LIFETIME_TOO_LONG", true);
    }

    /** The device's key in the header, a thief's signature. */
    private static String forged(JWTClaimsSet claims) throws Exception {
        SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) meter.keyPair().getPublic()).build()).build(), claims);
        forged.sign(new ECDSASigner((ECPrivateKey) TestPki.leaf("thief").build().keyPair().getPrivate()));
        return forged.serialize();
    }

    @Test
    void forgedAssertionsDoNotSpendTheDevicesJti() throws Exception {
        String jti = UUID.randomUUID().toString();
        // a forged signature, then a good signature by a key that is not the device's: both refused
        assertRefused(forged(claims(METER).jwtID(jti).build()), METER_NAME, "BAD_SIGNATURE", true);
        assertRefused(jwkAssertion(TestPki.leaf("thief").build(), claims(METER).jwtID(jti).build()), METER_NAME,
                "NO_MATCH", false);

        TlsHttp.Response real = token(jwkAssertion(meter, claims(METER).jwtID(jti).build()));

        assertThat(real.status()).as(real.toString()).isEqualTo(200);
        assertRefused(jwkAssertion(meter, claims(METER).jwtID(jti).build()), METER_NAME, "ASSERTION_REPLAYED", true);
    }

    /** Writes to Keycloak's single-use store (the actionTokens cache), from its Infinispan statistics. */
    private static double singleUseStores() throws Exception {
        Map<String, Double> samples = MetricsIT.scrape(stack);
        List<String> stores = samples.keySet().stream()
                .filter(k -> k.startsWith("vendor_statistics_store_times_seconds_count{") && k.contains("actionTokens"))
                .toList();
        assertThat(stores).as("the actionTokens store counter among " + samples.keySet().stream()
                .filter(k -> k.startsWith("vendor_statistics")).limit(40).toList()).isNotEmpty();
        return stores.stream().mapToDouble(samples::get).sum();
    }

    @Test
    void aBurstOfForgedAssertionsWritesNothingToTheReplayStore() throws Exception {
        double before = singleUseStores();
        for (int i = 0; i < 20; i++) {
            TlsHttp.Response r = token(forged(claims(METER).build()));
            assertThat(r.status()).isEqualTo(401);
        }
        double afterForged = singleUseStores();
        TlsHttp.Response good = token(meterAssertion(c -> { }));

        assertThat(afterForged).as("stores by 20 forged assertions").isEqualTo(before);
        assertThat(good.status()).as(good.toString()).isEqualTo(200);
        assertThat(singleUseStores()).as("the good assertion's jti is stored").isGreaterThan(afterForged);
    }

    /**
     * A working RSA key pair of {@code bits} bits made in well under a second: the modulus is the product of 1024-bit
     * primes (multi-prime RSA; a two-prime 8192-bit key takes minutes to generate on a busy machine). Its public key
     * is an ordinary RSA key of that size, and the non-CRT private key signs with it.
     */
    private static java.security.KeyPair multiPrimeRsa(int bits) throws Exception {
        java.math.BigInteger e = java.math.BigInteger.valueOf(65537);
        java.security.SecureRandom random = new java.security.SecureRandom();
        java.math.BigInteger n = java.math.BigInteger.ONE;
        java.math.BigInteger lambda = java.math.BigInteger.ONE;
        while (bits - n.bitLength() > 1024 + 64) { // 1024-bit primes, then one that makes up the length
            java.math.BigInteger p = java.math.BigInteger.probablePrime(1024, random);
            if (p.mod(e).equals(java.math.BigInteger.ONE)) {
                continue; // e must be invertible modulo p - 1
            }
            n = n.multiply(p);
            lambda = lcm(lambda, p.subtract(java.math.BigInteger.ONE));
        }
        while (true) {
            java.math.BigInteger q = java.math.BigInteger.probablePrime(bits - n.bitLength() + 1, random);
            java.math.BigInteger candidate = n.multiply(q);
            if (candidate.bitLength() == bits && !q.mod(e).equals(java.math.BigInteger.ONE)) {
                java.math.BigInteger l = lcm(lambda, q.subtract(java.math.BigInteger.ONE));
                java.security.KeyFactory f = java.security.KeyFactory.getInstance("RSA");
                return new java.security.KeyPair(f.generatePublic(new java.security.spec.RSAPublicKeySpec(candidate, e)),
                        f.generatePrivate(new java.security.spec.RSAPrivateKeySpec(candidate, e.modInverse(l))));
            }
        }
    }

    private static java.math.BigInteger lcm(java.math.BigInteger a, java.math.BigInteger b) {
        return a.divide(a.gcd(b)).multiply(b);
    }

    @Test
    void anRsaKeyAboveOurBoundIsRefusedBeforeAnyDnsQueryEvenWhenPublished() throws Exception {
        java.security.KeyPair big = multiPrimeRsa(8192);
        String name = "meter8192._device.example.test";
        // published: without our bound, the key would authenticate
        publish(stack, name, "3 1 0 " + java.util.HexFormat.of().formatHex(big.getPublic().getEncoded()));
        daneJwtClient("meter8192", name);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).jwk(new com.nimbusds.jose.jwk.RSAKey
                .Builder((java.security.interfaces.RSAPublicKey) big.getPublic()).build()).build(),
                claims("meter8192").build());
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(big.getPrivate()));
        Instant since = Instant.now();

        assertRefused(jwt.serialize(), name, "KEY_REFUSED", true);
        assertThat(event("CLIENT_LOGIN_ERROR", name, since).path("details").path("dane_detail").asText())
                .contains("8192 bits", "2048 to 4096");
    }

    // --- keys found in DNS (issue 23): header alg + x5u dns:NAME?type=TLSA, as Valimail's dane_jwe_jws makes it ---

    /** {@code 3 1 0}: the whole SubjectPublicKeyInfo. */
    private static String spkiFull(Issued device) {
        return "3 1 0 " + java.util.HexFormat.of().formatHex(device.keyPair().getPublic().getEncoded());
    }

    /** {@code 3 0 0}: the whole certificate. */
    private static String certFull(Issued device) throws Exception {
        return "3 0 0 " + java.util.HexFormat.of().formatHex(device.cert().getEncoded());
    }

    private static String keyInDns(Issued signer, String x5u, JWTClaimsSet claims) throws Exception {
        boolean rsa = signer.keyPair().getPrivate() instanceof java.security.interfaces.RSAPrivateKey;
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(rsa ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256)
                .x509CertURL(java.net.URI.create(x5u)).build(), claims);
        jwt.sign(rsa ? new com.nimbusds.jose.crypto.RSASSASigner(signer.keyPair().getPrivate())
                : new ECDSASigner((ECPrivateKey) signer.keyPair().getPrivate()));
        return jwt.serialize();
    }

    private static Issued rsaDevice;
    private static Issued ecDevice;
    private static final String RSA_NAME = "rsa1._device.example.test";
    private static final String EC_NAME = "ec1._device.example.test";

    private static synchronized void keyInDnsDevices() throws Exception {
        if (rsaDevice == null) {
            rsaDevice = TestPki.leaf("rsa1").keyType(TestPki.KeyType.RSA).build();
            ecDevice = TestPki.leaf("ec1").build();
            publish(stack, RSA_NAME, spkiFull(rsaDevice));
            publish(stack, EC_NAME, certFull(ecDevice));
            daneJwtClient("rsa1", RSA_NAME);
            daneJwtClient("ec1", EC_NAME);
        }
    }

    @Test
    void rs256WithA310RecordAndEs256WithA300RecordGetTokensCarryingTheIdentity() throws Exception {
        keyInDnsDevices();
        for (String[] c : new String[][] {{"rsa1", RSA_NAME, "dns://" + RSA_NAME + "?type=TLSA", "3 1 0@0"},
                {"ec1", EC_NAME, "dns:" + EC_NAME + "?type=TLSA", "3 0 0@0"}}) {
            Issued device = c[0].equals("rsa1") ? rsaDevice : ecDevice;
            Instant since = Instant.now();

            TlsHttp.Response response = token(keyInDns(device, c[2], claims(c[0]).build()));

            assertThat(response.status()).as(c[0] + " " + response).isEqualTo(200);
            var claims = Tokens.verify(response.json().path("access_token").asText(), stack.https(),
                    stack.realmUri(REALM));
            assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(c[1]);
            assertThat(event("CLIENT_LOGIN", c[1], since).path("details").path("dane_record").asText())
                    .isEqualTo(c[3]);
        }
    }

    @Test
    void anAssertionFromTheCliWithKeyInDnsGetsAToken(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        keyInDnsDevices();
        java.nio.file.Path key = TestPki.writePem(dir.resolve("rsa1.key"), rsaDevice.keyPair().getPrivate());

        CliRunner.Result cli = CliRunner.run("assertion", "--key", key.toString(), "--key-in-dns", "--name", RSA_NAME,
                "--client-id", "rsa1", "--aud", stack.realmUri(REALM).toString());
        TlsHttp.Response response = token(cli.stdout().strip());

        assertThat(cli.exitCode()).as(cli.stderr()).isZero();
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    @Test
    void keyInDnsRefusalsBeforeDnsAnotherNameAndAnHttpsX5u() throws Exception {
        keyInDnsDevices();
        // rsa1's key, naming ec1's name: the name must be the client's own
        assertRefused(keyInDns(rsaDevice, "dns://" + EC_NAME + "?type=TLSA", claims("rsa1").build()), RSA_NAME,
                "X5U_NAME_MISMATCH", true);
        // never fetched: the URL points at nothing that answers, and the refusal comes before DNS
        assertRefused(keyInDns(rsaDevice, "https://127.0.0.1:9/rsa1.pem", claims("rsa1").build()), RSA_NAME,
                "X5U_SCHEME_REFUSED", true);
    }

    @Test
    void keyInDnsRefusalsByDnsAnotherKeyDigestsOnlyAndAnUnsignedZone() throws Exception {
        keyInDnsDevices();
        Issued thief = TestPki.leaf("rsa1").keyType(TestPki.KeyType.RSA).build();
        assertRefused(keyInDns(thief, "dns://" + RSA_NAME + "?type=TLSA", claims("rsa1").build()), RSA_NAME,
                "NO_MATCH", false);
        // meter1 publishes a 3 1 1 digest only: there is no key to take
        assertRefused(keyInDns(meter, "dns://" + METER_NAME + "?type=TLSA", claims(METER).build()), METER_NAME,
                "NO_KEY_IN_DNS", false);
        String unsigned = "ec9.unsigned.test";
        Issued ec9 = TestPki.leaf("ec9").build();
        publish(stack, unsigned, certFull(ec9));
        daneJwtClient("ec9", unsigned);
        assertRefused(keyInDns(ec9, "dns:" + unsigned + "?type=TLSA", claims("ec9").build()), unsigned,
                "DNS_INSECURE", false);
    }
}
