package io.github.keycloakdane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.keycloak.AssertionChecks;
import org.keycloak.common.crypto.CryptoIntegration;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client-dane-jwt assertion parser and every check before DNS, fed arbitrary headers and claims: raw text, or a
 * compact JWS built of fuzzed header and claims JSON (with fields the checks look at, values the fuzzer picks),
 * signed with a fixed key or not at all. Each input ends in a reason, never in an uncaught exception; an accepted
 * assertion must be one the fixed key signed. Its own JVM in {@code mvn verify}, for {@code fuzz.assertion.duration}.
 */
class AssertionFuzzTest {

    private static final String CLIENT = "meter1";
    private static final String AUDIENCE = "https://sso.example.test/realms/dane";
    private static final List<String> AUDIENCES = List.of(AUDIENCE);
    private static final DaneName NAME = new DaneName("meter1._device.example.test");
    private static final Duration MAX = Duration.ofSeconds(60);
    private static final long NOW = 1_800_000_000L;
    private static final KeyPair KEY;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String[] ALGS = {"ES256", "ES384", "RS256", "PS256", "EdDSA", "none", "HS256", ""};
    private static final String[] HEADER_KEYS = {"alg", "jwk", "x5c", "x5u", "kid", "crit", "typ"};
    private static final String[] CLAIM_KEYS = {"iss", "sub", "aud", "exp", "iat", "nbf", "jti"};

    static {
        CryptoIntegration.init(AssertionFuzzTest.class.getClassLoader());
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KEY = g.generateKeyPair();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void assertions(FuzzedDataProvider data) throws Exception {
        String raw;
        boolean signedByUs = false;
        if (data.consumeBoolean()) {
            raw = data.consumeRemainingAsString();
        } else {
            String header = json(data, HEADER_KEYS, true);
            String claims = json(data, CLAIM_KEYS, false);
            String input = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                    + B64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
            signedByUs = data.consumeBoolean();
            raw = input + "." + (signedByUs ? sign(input) : data.consumeRemainingAsString());
        }

        Reason reason = AssertionChecks.check(raw, CLIENT, NAME, AUDIENCES, NOW, MAX, KEY.getPublic().getEncoded());

        assertThat(reason).isNotNull();
        if (reason == Reason.OK) {
            assertThat(signedByUs).as("accepted without our signature: " + raw).isTrue();
        }
    }

    /** A JSON object of some of {@code keys}, each with a value of the fuzzer's choice (well-formed or not). */
    private static String json(FuzzedDataProvider data, String[] keys, boolean header) {
        StringBuilder out = new StringBuilder("{");
        int fields = data.consumeInt(0, keys.length + 1);
        for (int i = 0; i < fields; i++) {
            if (i > 0) {
                out.append(',');
            }
            String key = data.pickValue(keys);
            out.append('"').append(key).append("\":").append(value(data, key, header));
        }
        return out.append('}').toString();
    }

    private static String value(FuzzedDataProvider data, String key, boolean header) {
        switch (data.consumeInt(0, 3)) {
            case 0:
                return Long.toString(data.consumeLong());
            case 1:
                return data.consumeString(200); // often not JSON at all
            case 2:
                return quoted(data.consumeString(100));
            default:
                break;
        }
        return switch (key) {
            case "alg" -> quoted(data.pickValue(ALGS));
            case "jwk" -> "{\"kty\":" + quoted(data.pickValue(new String[] {"EC", "RSA", "OKP", "oct"}))
                    + ",\"crv\":" + quoted(data.pickValue(new String[] {"P-256", "P-384", "Ed25519", "secp256k1"}))
                    + ",\"x\":" + quoted(b64(data)) + ",\"y\":" + quoted(b64(data)) + ",\"n\":" + quoted(b64(data))
                    + ",\"e\":" + quoted(b64(data)) + "}";
            case "x5c" -> "[" + quoted(Base64.getEncoder().encodeToString(data.consumeBytes(600))) + "]";
            case "x5u", "kid" -> quoted(data.pickValue(new String[] {"dns:", "dns://", "https://", "DNS:"})
                    + (data.consumeBoolean() ? NAME.value() : data.consumeString(60))
                    + (data.consumeBoolean() ? "?type=TLSA" : data.consumeString(20)));
            case "iss", "sub" -> quoted(data.consumeBoolean() ? CLIENT : data.consumeString(20));
            case "aud" -> data.consumeBoolean() ? quoted(AUDIENCE) : "[" + quoted(AUDIENCE) + "," + quoted("x") + "]";
            case "exp", "iat", "nbf" -> Long.toString(data.consumeBoolean() ? NOW + data.consumeInt(-200, 200)
                    : data.consumeLong());
            default -> quoted(data.consumeString(300));
        };
    }

    private static String b64(FuzzedDataProvider data) {
        return B64.encodeToString(data.consumeBytes(data.consumeInt(0, 600)));
    }

    private static String quoted(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** ES256 over the input (JWS form: r || s, 64 octets). */
    private static String sign(String input) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(KEY.getPrivate());
        s.update(input.getBytes(StandardCharsets.US_ASCII));
        return B64.encodeToString(s.sign());
    }
}
