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
        PresentedKey key = assertion.requireWellFormed();
        assertion.requireIssuer(CLIENT);
        assertion.requireAudience(AUDIENCES);
        assertion.requireCurrent(Instant.now().getEpochSecond(), MAX);
        assertion.requireSignature(key, assertion.requireAlgorithm(key));
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
        assertThat(a.replayWindowSeconds(now)).isBetween(30L + ClientAssertion.CLOCK_SKEW_SECONDS - 2,
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
        assertThat(refusal(weakRsa.serialize())).isEqualTo(Reason.ALGORITHM_REFUSED);
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
}
