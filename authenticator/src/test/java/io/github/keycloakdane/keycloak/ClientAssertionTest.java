package io.github.keycloakdane.keycloak;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.github.keycloakdane.cli.AssertionSigner;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.keycloak.ClientAssertion.PresentedKey;
import io.github.keycloakdane.keycloak.ClientAssertion.Refused;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.keycloak.common.crypto.CryptoIntegration;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The checks of a client-dane-jwt assertion with Keycloak's own JOSE classes, as Keycloak initialises them; the
 * assertions are made with nimbus-jose-jwt (the CLI's signer for good ones, by hand for the bad ones).
 */
class ClientAssertionTest {

    private static final String CLIENT = "sensor8";
    private static final String ISSUER = "https://sso.example.test/realms/dane";
    private static final List<String> AUDIENCES = List.of(ISSUER, ISSUER + "/protocol/openid-connect/token");
    private static final Duration MAX = Duration.ofSeconds(60);

    @BeforeAll
    static void keycloakCrypto() {
        CryptoIntegration.init(ClientAssertionTest.class.getClassLoader());
    }

    private static String good(KeyPair key, List<java.security.cert.X509Certificate> chain) throws Exception {
        return AssertionSigner.sign(key.getPrivate(), key.getPublic(), chain, CLIENT, ISSUER, MAX, Instant.now());
    }

    /** Runs every check before DNS, as the authenticator does; returns the presented key. */
    private static PresentedKey check(String raw) throws Refused {
        ClientAssertion assertion = ClientAssertion.parse(raw);
        assertion.requireWellFormed();
        assertion.requireIssuer(CLIENT);
        assertion.requireAudience(AUDIENCES);
        assertion.requireCurrent(Instant.now().getEpochSecond(), MAX);
        ClientAssertion.Algorithm alg = assertion.requireAlgorithm();
        PresentedKey key = assertion.requireKey(alg);
        assertion.requireSignature(key, alg);
        return key;
    }

    private static Reason refusal(String raw) {
        Refused refused = catchThrowableOfType(Refused.class, () -> check(raw));
        assertThat(refused).as("refused").isNotNull();
        return refused.reason;
    }

    private static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    /** An ES256 assertion with a jwk header, its claims adjusted by {@code claims}. */
    private static String es256(KeyPair key, Consumer<JWTClaimsSet.Builder> claims) throws Exception {
        Instant now = Instant.now();
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(CLIENT).subject(CLIENT).audience(ISSUER)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(30))).jwtID("jti-1");
        claims.accept(b);
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) key.getPublic()).build()).build(), b.build());
        jwt.sign(new ECDSASigner((ECPrivateKey) key.getPrivate()));
        return jwt.serialize();
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void goodAssertionsPassWithAJwkAndWithX5c(KeyType type) throws Exception {
        Issued device = TestPki.leaf("sensor8").keyType(type).build();

        PresentedKey bare = check(good(device.keyPair(), List.of()));
        PresentedKey chain = check(good(device.keyPair(), List.of(device.cert())));

        assertThat(bare.bare()).isTrue();
        assertThat(bare.publicKey().getEncoded()).isEqualTo(device.keyPair().getPublic().getEncoded());
        assertThat(chain.bare()).isFalse();
        assertThat(chain.chain()).containsExactly(device.cert());
    }

    @Test
    void es384Es512AndPs256AreAcceptedToo() throws Exception {
        assertThatCode(() -> check(good(ec("secp384r1"), List.of()))).doesNotThrowAnyException();
        assertThatCode(() -> check(good(ec("secp521r1"), List.of()))).doesNotThrowAnyException();
        KeyPair rsa = TestPki.keyPair(KeyType.RSA);
        Instant now = Instant.now();
        SignedJWT ps256 = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.PS256)
                .jwk(new RSAKey.Builder((RSAPublicKey) rsa.getPublic()).build()).build(),
                new JWTClaimsSet.Builder().issuer(CLIENT).subject(CLIENT).audience(AUDIENCES.get(1))
                        .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(60))).jwtID("p").build());
        ps256.sign(new RSASSASigner(rsa.getPrivate()));
        assertThatCode(() -> check(ps256.serialize())).doesNotThrowAnyException();
    }

    @Test
    void malformedAssertionsAreRefusedAsSuch() throws Exception {
        KeyPair key = ec("secp256r1");
        assertThat(refusal("not.a.jwt")).isEqualTo(Reason.ASSERTION_MALFORMED);
        assertThat(refusal("x".repeat(ClientAssertion.MAX_LENGTH + 1))).isEqualTo(Reason.ASSERTION_MALFORMED);
        assertThat(refusal(es256(key, c -> c.jwtID(null)))).isEqualTo(Reason.ASSERTION_MALFORMED);
        assertThat(refusal(es256(key, c -> c.issueTime(null)))).isEqualTo(Reason.ASSERTION_MALFORMED);
        assertThat(refusal(es256(key, c -> c.jwtID("j".repeat(ClientAssertion.MAX_JTI_LENGTH + 1)))))
                .isEqualTo(Reason.ASSERTION_MALFORMED);
        // no key in the header
        SignedJWT noKey = new SignedJWT(new JWSHeader(JWSAlgorithm.ES256), JWTClaimsSet.parse(
                SignedJWT.parse(es256(key, c -> { })).getJWTClaimsSet().toJSONObject()));
        noKey.sign(new ECDSASigner((ECPrivateKey) key.getPrivate()));
        assertThat(refusal(noKey.serialize())).isEqualTo(Reason.ASSERTION_MALFORMED);
        // a private key in the jwk (nimbus will not put one there: the header is written out)
        String leakedHeader = Base64URL.encode("{\"alg\":\"ES256\",\"jwk\":" + new ECKey.Builder(Curve.P_256,
                (ECPublicKey) key.getPublic()).privateKey(key.getPrivate()).build().toJSONString() + "}").toString();
        String leakedInput = leakedHeader + "." + noKey.serialize().split("\\.")[1];
        String leaked = leakedInput + "." + new ECDSASigner((ECPrivateKey) key.getPrivate()).sign(
                new JWSHeader(JWSAlgorithm.ES256), leakedInput.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(refusal(leaked)).isEqualTo(Reason.ASSERTION_MALFORMED);
    }

    @Test
    void issuerSubjectAndAudienceMustNameThisClientAndRealm() throws Exception {
        KeyPair key = ec("secp256r1");
        assertThat(refusal(es256(key, c -> c.issuer("other")))).isEqualTo(Reason.ISSUER_MISMATCH);
        assertThat(refusal(es256(key, c -> c.subject("other")))).isEqualTo(Reason.ISSUER_MISMATCH);
        assertThat(refusal(es256(key, c -> c.audience("https://sso.example.test/realms/other"))))
                .isEqualTo(Reason.AUDIENCE_MISMATCH);
        assertThat(refusal(es256(key, c -> c.audience(AUDIENCES)))).isEqualTo(Reason.AUDIENCE_MISMATCH);
        assertThatCode(() -> check(es256(key, c -> c.audience(AUDIENCES.get(1))))).doesNotThrowAnyException();
    }

    @Test
    void timesAreCheckedAgainstNowAndTheMaximumLifetime() throws Exception {
        KeyPair key = ec("secp256r1");
        Instant now = Instant.now();
        assertThat(refusal(es256(key, c -> c.issueTime(Date.from(now.minusSeconds(40)))
                .expirationTime(Date.from(now.minusSeconds(1)))))).isEqualTo(Reason.ASSERTION_EXPIRED);
        assertThat(refusal(es256(key, c -> c.issueTime(Date.from(now.plusSeconds(60)))
                .expirationTime(Date.from(now.plusSeconds(90)))))).isEqualTo(Reason.ASSERTION_EXPIRED);
        assertThat(refusal(es256(key, c -> c.expirationTime(Date.from(now.plusSeconds(61))))))
                .isEqualTo(Reason.LIFETIME_TOO_LONG);
        assertThatCode(() -> check(es256(key, c -> c.issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(60)))))).doesNotThrowAnyException();
    }

    @Test
    void theReplayKeyIsPerClientAndTheWindowCoversTheRestOfTheLifetime() throws Exception {
        ClientAssertion a = ClientAssertion.parse(es256(ec("secp256r1"), c -> { }));
        long now = Instant.now().getEpochSecond();

        assertThat(a.replayKey(CLIENT)).isEqualTo("client-dane-jwt:sensor8:jti-1");
        assertThat(a.replayWindowSeconds(now, MAX)).isBetween(30L + ClientAssertion.CLOCK_SKEW_SECONDS - 2,
                30L + ClientAssertion.CLOCK_SKEW_SECONDS);
    }

    @Test
    void noneAndHmacWithThePublicKeyAsSecretAreRefused() throws Exception {
        KeyPair key = ec("secp256r1");
        JWTClaimsSet claims = SignedJWT.parse(es256(key, c -> { })).getJWTClaimsSet();
        String none = new PlainJWT(claims).serialize();
        // the classic confusion: HMAC keyed with the public key the header carries
        SignedJWT hmac = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) key.getPublic()).build()).build(), claims);
        hmac.sign(new MACSigner(key.getPublic().getEncoded()));

        assertThat(refusal(none)).isIn(Reason.ALGORITHM_REFUSED, Reason.ASSERTION_MALFORMED);
        assertThat(refusal(hmac.serialize())).isEqualTo(Reason.ALGORITHM_REFUSED);
    }

    @Test
    void anAlgorithmMustFitTheKey() throws Exception {
        KeyPair p384 = ec("secp384r1");
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(CLIENT).subject(CLIENT).audience(ISSUER)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(30))).jwtID("a").build();
        // ES256 named, a P-384 key in the header
        SignedJWT wrongCurve = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256)
                .jwk(new ECKey.Builder(Curve.P_384, (ECPublicKey) p384.getPublic()).build()).build(), claims);
        Base64URL p384Signature = new ECDSASigner((ECPrivateKey) p384.getPrivate())
                .sign(new JWSHeader(JWSAlgorithm.ES384), wrongCurve.getSigningInput());
        assertThat(refusal(new String(wrongCurve.getSigningInput(), java.nio.charset.StandardCharsets.US_ASCII) + "."
                + p384Signature)).isEqualTo(Reason.ALGORITHM_REFUSED);

        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(1024);
        KeyPair weak = g.generateKeyPair();
        SignedJWT weakRsa = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256)
                .jwk(new RSAKey.Builder((RSAPublicKey) weak.getPublic()).build()).build(), claims);
        weakRsa.sign(new RSASSASigner(weak.getPrivate(), true));
        assertThat(refusal(weakRsa.serialize())).isEqualTo(Reason.KEY_REFUSED);
    }

    @Test
    void aSignatureByAnotherKeyOrOverOtherClaimsIsRefused() throws Exception {
        KeyPair device = ec("secp256r1");
        KeyPair thief = ec("secp256r1");
        String signed = es256(device, c -> { });
        String[] parts = signed.split("\\.");
        String otherClaims = Base64URL.encode(SignedJWT.parse(es256(device, c -> c.jwtID("jti-2")))
                .getJWTClaimsSet().toString()).toString();
        // the device's key in the header, the thief's signature
        SignedJWT forged = new SignedJWT(SignedJWT.parse(signed).getHeader(), SignedJWT.parse(signed).getJWTClaimsSet());
        forged.sign(new ECDSASigner((ECPrivateKey) thief.getPrivate()));

        assertThat(refusal(parts[0] + "." + otherClaims + "." + parts[2])).isEqualTo(Reason.BAD_SIGNATURE);
        assertThat(refusal(forged.serialize())).isEqualTo(Reason.BAD_SIGNATURE);
    }

    /** Claims with raw numeric times, written by hand (nimbus would turn them into Dates), signed ES256. */
    private static String es256Times(KeyPair key, long iat, long exp) throws Exception {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.ES256)
                .jwk(new ECKey.Builder(Curve.P_256, (ECPublicKey) key.getPublic()).build()).build();
        String input = header.toBase64URL() + "." + Base64URL.encode("{\"iss\":\"" + CLIENT + "\",\"sub\":\""
                + CLIENT + "\",\"aud\":\"" + ISSUER + "\",\"jti\":\"t\",\"iat\":" + iat + ",\"exp\":" + exp + "}");
        return input + "." + new ECDSASigner((ECPrivateKey) key.getPrivate()).sign(header,
                input.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    @Test
    void iatAndExpAreBoundedAgainstNowSoThatNoValueOverflowsTheLifetimeCheck() throws Exception {
        KeyPair key = ec("secp256r1");
        long now = Instant.now().getEpochSecond();
        long tenYears = 10L * 365 * 24 * 3600;
        // exp - iat overflows to a negative number: it must not pass as a short lifetime
        assertThat(refusal(es256Times(key, Long.MIN_VALUE, now + tenYears))).isEqualTo(Reason.LIFETIME_TOO_LONG);
        assertThat(refusal(es256Times(key, Long.MIN_VALUE, Long.MAX_VALUE))).isEqualTo(Reason.LIFETIME_TOO_LONG);
        assertThat(refusal(es256Times(key, now, Long.MAX_VALUE))).isEqualTo(Reason.LIFETIME_TOO_LONG);
        assertThat(refusal(es256Times(key, Long.MAX_VALUE, Long.MAX_VALUE))).isEqualTo(Reason.ASSERTION_EXPIRED);
        // an old iat with an exp inside the window: more than max-lifetime + skew ago
        assertThat(refusal(es256Times(key, now - 60 - ClientAssertion.CLOCK_SKEW_SECONDS - 1, now + 1)))
                .isEqualTo(Reason.LIFETIME_TOO_LONG);
        assertThatCode(() -> check(es256Times(key, now - 30, now + 30))).doesNotThrowAnyException();
        // the replay entry never outlives max-lifetime + skew
        ClientAssertion a = ClientAssertion.parse(es256Times(key, now, Long.MAX_VALUE));
        assertThat(a.replayWindowSeconds(now, MAX)).isEqualTo(60 + ClientAssertion.CLOCK_SKEW_SECONDS);
    }

    @Test
    void oversizedRsaKeysAreRefusedByOurBoundBeforeAnyKeyIsBuilt() throws Exception {
        // a made-up 8192-bit modulus: never a key object, the bound reads the encoding
        java.math.BigInteger n = new java.math.BigInteger(8192, new java.security.SecureRandom()).setBit(8191).setBit(0);
        KeyPair signer = TestPki.keyPair(KeyType.RSA);
        String header = Base64URL.encode("{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\",\"n\":\""
                + Base64URL.encode(n.toByteArray()) + "\",\"e\":\"AQAB\"}}").toString();
        String body = SignedJWT.parse(good(signer, List.of())).getParsedParts()[1].toString();
        Refused refused = catchThrowableOfType(Refused.class, () -> check(header + "." + body + ".c2ln"));
        assertThat(refused.reason).isEqualTo(Reason.KEY_REFUSED);
        assertThat(refused.getMessage()).contains("8192 bits", "2048 to 4096");
        // a 64-bit exponent
        String bigE = Base64URL.encode("{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\",\"n\":\""
                + Base64URL.encode(((RSAPublicKey) signer.getPublic()).getModulus().toByteArray())
                + "\",\"e\":\"AQAAAAAAAAAB\"}}").toString();
        assertThat(refusal(bigE + "." + body + ".c2ln")).isEqualTo(Reason.KEY_REFUSED);
        // a P-256K jwk
        String k1 = Base64URL.encode("{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"secp256k1\","
                + "\"x\":\"AA\",\"y\":\"AA\"}}").toString();
        assertThat(refusal(k1 + "." + body + ".c2ln")).isEqualTo(Reason.KEY_REFUSED);
    }

    /** An assertion whose header is only alg and x5u (and kid), Valimail's dane_jwe_jws form. */
    private static String keyInDns(KeyPair key, JWSAlgorithm alg, String x5u, String kid) throws Exception {
        Instant now = Instant.now();
        JWSHeader.Builder h = new JWSHeader.Builder(alg).x509CertURL(java.net.URI.create(x5u));
        if (kid != null) {
            h.keyID(kid);
        }
        SignedJWT jwt = new SignedJWT(h.build(), new JWTClaimsSet.Builder().issuer(CLIENT).subject(CLIENT)
                .audience(ISSUER).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(30)))
                .jwtID("d").build());
        jwt.sign(key.getPrivate() instanceof ECPrivateKey ec ? new ECDSASigner(ec) : new RSASSASigner(key.getPrivate()));
        return jwt.serialize();
    }

    private static Reason keyNameRefusal(String raw, String name) throws Exception {
        ClientAssertion a = ClientAssertion.parse(raw);
        assertThat(a.requireWellFormed()).isEqualTo(ClientAssertion.KeyForm.X5U);
        Refused refused = catchThrowableOfType(Refused.class,
                () -> a.requireKeyName(io.github.keycloakdane.core.DaneName.parse(name)));
        return refused == null ? null : refused.reason;
    }

    @Test
    void x5uMustBeTheDnsUriOfTheClientsOwnName() throws Exception {
        KeyPair rsa = TestPki.keyPair(KeyType.RSA);
        String name = "sensor8._device.example.test";
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "dns://" + name + "?type=TLSA", null), name))
                .isNull();
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "dns:" + name.toUpperCase() + ".?type=TLSA",
                name), name)).isNull();
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "dns://other._device.example.test?type=TLSA",
                null), name)).isEqualTo(Reason.X5U_NAME_MISMATCH);
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "dns:" + name + "?type=TLSA",
                "other._device.example.test"), name)).isEqualTo(Reason.X5U_NAME_MISMATCH);
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "dns:" + name + "?type=A", null), name))
                .isEqualTo(Reason.X5U_NAME_MISMATCH);
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "dns://8.8.8.8/" + name + "?type=TLSA", null),
                name)).isEqualTo(Reason.X5U_NAME_MISMATCH);
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "https://" + name + "/key.pem", null), name))
                .isEqualTo(Reason.X5U_SCHEME_REFUSED);
        assertThat(keyNameRefusal(keyInDns(rsa, JWSAlgorithm.RS256, "file:/etc/passwd", null), name))
                .isEqualTo(Reason.X5U_SCHEME_REFUSED);
    }

    @Test
    void aKeyFoundInDnsVerifiesOnlyItsOwnSignatureAndOnlyWithinOurBounds() throws Exception {
        KeyPair rsa = TestPki.keyPair(KeyType.RSA);
        KeyPair p256 = ec("secp256r1");
        String name = "dns:sensor8._device.example.test?type=TLSA";
        ClientAssertion rs256 = ClientAssertion.parse(keyInDns(rsa, JWSAlgorithm.RS256, name, null));
        ClientAssertion es256 = ClientAssertion.parse(keyInDns(p256, JWSAlgorithm.ES256, name, null));

        assertThat(rs256.signedBy(rsa.getPublic().getEncoded(), ClientAssertion.Algorithm.RS256)).isTrue();
        assertThat(es256.signedBy(p256.getPublic().getEncoded(), ClientAssertion.Algorithm.ES256)).isTrue();
        assertThat(rs256.signedBy(TestPki.keyPair(KeyType.RSA).getPublic().getEncoded(),
                ClientAssertion.Algorithm.RS256)).isFalse();
        assertThat(es256.signedBy(rsa.getPublic().getEncoded(), ClientAssertion.Algorithm.ES256)).isFalse();
        assertThat(es256.signedBy(new byte[] {1, 2, 3}, ClientAssertion.Algorithm.ES256)).isFalse();
    }

    @Test
    void theCliMakesTheKeyInDnsFormWithOnlyAlgAndX5uInTheHeader() throws Exception {
        KeyPair rsa = TestPki.keyPair(KeyType.RSA);
        String name = "sensor8._device.example.test";
        String raw = AssertionSigner.signKeyInDns(rsa.getPrivate(), rsa.getPublic(), name, CLIENT, ISSUER, MAX,
                Instant.now());

        assertThat(SignedJWT.parse(raw).getHeader().toJSONObject()).containsOnlyKeys("alg", "x5u")
                .containsEntry("alg", "RS256").containsEntry("x5u", "dns://" + name + "?type=TLSA");
        ClientAssertion a = ClientAssertion.parse(raw);
        assertThat(a.requireWellFormed()).isEqualTo(ClientAssertion.KeyForm.X5U);
        a.requireKeyName(io.github.keycloakdane.core.DaneName.parse(name));
        assertThat(a.signedBy(rsa.getPublic().getEncoded(), a.requireAlgorithm())).isTrue();
    }

    @Test
    void headerTextInARefusalIsFitForALogLine() throws Exception {
        String body = SignedJWT.parse(es256(ec("secp256r1"), c -> { })).getParsedParts()[1].toString();
        String forgedLine = "ES256\n2026-12-03 INFO [org.keycloak.events] type=CLIENT_LOGIN \u202e" + "x".repeat(2000);
        String header = Base64URL.encode("{\"alg\":\"" + forgedLine.replace("\n", "\\n").replace("\u202e", "\\u202e")
                + "\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\"}}").toString();

        Refused refused = catchThrowableOfType(Refused.class, () -> check(header + "." + body + ".c2ln"));

        assertThat(refused.reason).isEqualTo(Reason.ASSERTION_MALFORMED); // the parser echoes alg in its message
        assertThat(refused.getMessage()).doesNotContain("\n", "\u202e").contains("ES256?2026-12-03")
                .hasSizeLessThanOrEqualTo(io.github.keycloakdane.core.SafeText.DETAIL_LIMIT);
    }
}
