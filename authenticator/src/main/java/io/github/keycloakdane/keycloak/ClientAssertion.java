package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.KeyBounds;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.core.SafeText;
import org.keycloak.crypto.AsymmetricSignatureVerifierContext;
import org.keycloak.crypto.ECDSASignatureVerifierContext;
import org.keycloak.crypto.KeyType;
import org.keycloak.crypto.KeyWrapper;
import org.keycloak.crypto.SignatureVerifierContext;
import org.keycloak.jose.jwk.JWK;
import org.keycloak.jose.jwk.JWKParser;
import org.keycloak.jose.jws.JWSHeader;
import org.keycloak.jose.jws.JWSInput;
import org.keycloak.jose.jws.JWSInputException;
import org.keycloak.representations.JsonWebToken;
import org.keycloak.util.JsonSerialization;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A {@code client-dane-jwt} client assertion (RFC 7523 §3): parsed with Keycloak's JOSE classes, then checked one
 * step at a time by the authenticator, in its order. Each check throws {@link Refused} with the reason for the event.
 * No step here looks at DNS; the key this assertion presents is checked against TLSA records afterwards.
 */
final class ClientAssertion {

    /** A bound on untrusted input before any parsing: a few certificates in x5c fit with room to spare. */
    static final int MAX_LENGTH = 16 * 1024;
    /** A bound on the replay cache's keys. */
    static final int MAX_JTI_LENGTH = 256;
    static final int MAX_CHAIN_LENGTH = 8;
    /** How far a device's clock may run ahead ({@code iat}, {@code nbf}); Keycloak's client-jwt allows the same. */
    static final int CLOCK_SKEW_SECONDS = 15;
    /** The header parameter naming where the key is (RFC 7515 §4.1.5); here only as a DNS URI. */
    static final String X5U = "x5u";

    /** The asymmetric algorithms accepted, with the key each needs; anything else (none, HS*) is refused. */
    enum Algorithm {
        ES256(256), ES384(384), ES512(521), EdDSA(0), RS256(0), PS256(0);

        /** For ES*: the curve's field size. */
        private final int ecFieldSize;

        Algorithm(int ecFieldSize) {
            this.ecFieldSize = ecFieldSize;
        }

        static Algorithm of(String raw) {
            for (Algorithm a : values()) {
                if (a.name().equals(raw)) {
                    return a;
                }
            }
            return null;
        }
    }

    /**
     * Why the assertion is refused: the event's reason and a line for its detail. The detail often quotes the header
     * ({@code alg}, {@code kty}, {@code x5u}, parser messages), so it is made fit for a log line here, once, with the
     * bounding and control-character stripping of event details ({@link SafeText#detail}).
     */
    static final class Refused extends Exception {
        final Reason reason;

        Refused(Reason reason, String detail) {
            super(SafeText.detail(detail), null, false, false);
            this.reason = reason;
        }
    }

    private final JWSInput jws;
    private final JsonWebToken token;
    /**
     * The header's fields as JSON, for those {@link JWSHeader} has no getter for on every supported Keycloak line
     * ({@code x5u}: its {@code getOtherClaims()} came after 26.4).
     */
    private final Map<?, ?> headerFields;

    private ClientAssertion(JWSInput jws, JsonWebToken token, Map<?, ?> headerFields) {
        this.jws = jws;
        this.token = token;
        this.headerFields = headerFields;
    }

    /** Parses a compact JWS and its claims; refuses anything else ({@link Reason#ASSERTION_MALFORMED}). */
    static ClientAssertion parse(String raw) throws Refused {
        if (raw == null || raw.isEmpty()) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "no client_assertion");
        }
        if (raw.length() > MAX_LENGTH) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "client_assertion longer than " + MAX_LENGTH + " characters");
        }
        try {
            JWSInput jws = new JWSInput(raw);
            JsonWebToken token = jws.readJsonContent(JsonWebToken.class);
            if (token == null || jws.getHeader() == null) {
                throw new Refused(Reason.ASSERTION_MALFORMED, "client_assertion has no header or no claims");
            }
            Map<?, ?> headerFields = JsonSerialization.readValue(Base64.getUrlDecoder().decode(jws.getEncodedHeader()),
                    Map.class);
            return new ClientAssertion(jws, token, headerFields);
        } catch (JWSInputException | java.io.IOException | RuntimeException e) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "client_assertion is not a compact JWS with JSON claims: "
                    + e.getMessage());
        }
    }

    /** {@code sub}, which names the client when the request has no {@code client_id}; may be null. */
    String subject() {
        return token.getSubject();
    }

    /** Where the header says the key is: in the header ({@code jwk}, {@code x5c}) or in DNS ({@code x5u}). */
    enum KeyForm { JWK, X5C, X5U }

    /**
     * The claims every assertion needs, and exactly one of {@code jwk}, {@code x5c} (leaf first) and {@code x5u} in
     * the header. Nothing here builds a key.
     */
    KeyForm requireWellFormed() throws Refused {
        for (Map.Entry<String, Object> claim : Map.<String, Object>of("iss", nullToEmpty(token.getIssuer()),
                "sub", nullToEmpty(token.getSubject()), "jti", nullToEmpty(token.getId())).entrySet()) {
            if (claim.getValue().toString().isEmpty()) {
                throw new Refused(Reason.ASSERTION_MALFORMED, "the assertion has no " + claim.getKey());
            }
        }
        if (token.getExp() == null || token.getIat() == null) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the assertion needs both exp and iat");
        }
        if (token.getId().length() > MAX_JTI_LENGTH) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "jti longer than " + MAX_JTI_LENGTH + " characters");
        }
        JWSHeader header = jws.getHeader();
        List<String> x5c = header.getX5c();
        boolean hasChain = x5c != null && !x5c.isEmpty();
        boolean hasJwk = header.getKey() != null;
        boolean hasX5u = headerFields.get(X5U) != null;
        int forms = (hasChain ? 1 : 0) + (hasJwk ? 1 : 0) + (hasX5u ? 1 : 0);
        if (forms != 1) {
            throw new Refused(Reason.ASSERTION_MALFORMED, forms == 0
                    ? "the header has none of jwk, x5c and x5u: it must carry the key or name it in DNS"
                    : "the header has more than one of jwk, x5c and x5u");
        }
        if (hasChain && x5c.size() > MAX_CHAIN_LENGTH) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "x5c holds more than " + MAX_CHAIN_LENGTH + " certificates");
        }
        return hasChain ? KeyForm.X5C : hasJwk ? KeyForm.JWK : KeyForm.X5U;
    }

    /** {@code iss} = {@code sub} = the client's {@code client_id} (RFC 7523 §3 items 1 and 2). */
    void requireIssuer(String clientId) throws Refused {
        if (!clientId.equals(token.getIssuer()) || !clientId.equals(token.getSubject())) {
            throw new Refused(Reason.ISSUER_MISMATCH, "iss and sub must both be the client_id " + clientId);
        }
    }

    /** Exactly one audience, one of {@code accepted} (the realm's issuer, its token endpoint). */
    void requireAudience(Collection<String> accepted) throws Refused {
        String[] audience = token.getAudience();
        if (audience == null || audience.length != 1 || !accepted.contains(audience[0])) {
            throw new Refused(Reason.AUDIENCE_MISMATCH, "aud must be exactly one of " + accepted);
        }
    }

    /**
     * Valid now, and bounded against now (never only against each other, which could overflow):
     * {@code now - maxLifetime - skew <= iat <= now + skew}, {@code nbf <= now + skew}, {@code now < exp <= now +
     * maxLifetime + skew}, and {@code exp - iat <= maxLifetime}. The bounds are computed with saturating exact
     * arithmetic and the claims only compared with them, so no claim value can overflow a check.
     */
    void requireCurrent(long now, Duration maxLifetime) throws Refused {
        long exp = token.getExp();
        long iat = token.getIat();
        long max = maxLifetime.toSeconds();
        long latestIat = saturatedAdd(now, CLOCK_SKEW_SECONDS);
        long earliestIat = saturatedAdd(now, -saturatedAdd(max, CLOCK_SKEW_SECONDS));
        long latestExp = saturatedAdd(now, saturatedAdd(max, CLOCK_SKEW_SECONDS));
        if (exp <= now) {
            throw new Refused(Reason.ASSERTION_EXPIRED, "exp has passed");
        }
        if (iat > latestIat || (token.getNbf() != null && token.getNbf() > latestIat)) {
            throw new Refused(Reason.ASSERTION_EXPIRED, "iat or nbf lies in the future");
        }
        if (iat < earliestIat || exp > latestExp || exp > saturatedAdd(iat, max)) {
            throw new Refused(Reason.LIFETIME_TOO_LONG, "iat and exp must lie within " + max
                    + " s of each other and of now (" + CLOCK_SKEW_SECONDS + " s clock skew allowed)");
        }
    }

    /** {@code a + b}, or the nearest long when it overflows. */
    private static long saturatedAdd(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
    }

    /** The single-use cache's key for this assertion's {@code jti}: per client, so clients cannot collide. */
    String replayKey(String clientId) {
        return DaneJwtClientAuthenticator.PROVIDER_ID + ":" + clientId + ":" + token.getId();
    }

    /**
     * How long the {@code jti} must be remembered: as long as the assertion could still be accepted, and never longer
     * than {@code maxLifetime} + the clock skew (whatever {@code exp} says; {@link #requireCurrent} bounds it too).
     */
    long replayWindowSeconds(long now, Duration maxLifetime) {
        long bound = saturatedAdd(maxLifetime.toSeconds(), CLOCK_SKEW_SECONDS);
        long rest = saturatedAdd(saturatedAdd(token.getExp(), -now), CLOCK_SKEW_SECONDS);
        return Math.max(1, Math.min(bound, rest));
    }

    /** {@code alg}: one of {@link Algorithm} (never none or HMAC). */
    Algorithm requireAlgorithm() throws Refused {
        String raw = jws.getHeader().getRawAlgorithm();
        Algorithm alg = Algorithm.of(raw);
        if (alg == null) {
            throw new Refused(Reason.ALGORITHM_REFUSED, "alg " + raw + " is not one of "
                    + List.of(Algorithm.values()) + " (never none or HMAC)");
        }
        return alg;
    }

    /**
     * The header's key ({@code jwk} or {@code x5c}): first our bounds on its encoding ({@link KeyBounds}:
     * {@link Reason#KEY_REFUSED}), then whether {@code alg} fits it ({@link Reason#ALGORITHM_REFUSED}), and only then
     * the key object (and the certificates) are built.
     */
    PresentedKey requireKey(Algorithm alg) throws Refused {
        JWSHeader header = jws.getHeader();
        List<String> x5c = header.getX5c();
        if (x5c != null && !x5c.isEmpty()) {
            List<byte[]> ders = new ArrayList<>();
            try {
                for (String cert : x5c) {
                    ders.add(Base64.getDecoder().decode(cert)); // RFC 7515 §4.1.6: not URL-safe
                }
            } catch (IllegalArgumentException e) {
                throw new Refused(Reason.ASSERTION_MALFORMED, "x5c holds a certificate that is not base64");
            }
            requireFits(alg, bounds(() -> KeyBounds.ofCertificate(ders.get(0))));
            List<X509Certificate> chain = new ArrayList<>();
            try {
                for (byte[] der : ders) {
                    chain.add(CertificateParser.parseDer(der));
                }
            } catch (Exception e) {
                throw new Refused(Reason.ASSERTION_MALFORMED, "x5c holds an unreadable certificate: " + e.getMessage());
            }
            return new PresentedKey(chain.get(0).getPublicKey(), List.copyOf(chain));
        }
        JWK jwk = header.getKey();
        if (jwk.getOtherClaims().containsKey("d")) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the jwk carries a private key");
        }
        String crv = jwkField(jwk, "crv");
        String n = jwkField(jwk, "n");
        String e = jwkField(jwk, "e");
        requireFits(alg, bounds(() -> KeyBounds.ofJwk(jwk.getKeyType(), crv, n, e)));
        try {
            PublicKey key = JWKParser.create(jwk).toPublicKey();
            if (key == null) {
                throw new IllegalArgumentException("unsupported key type " + jwk.getKeyType());
            }
            return new PresentedKey(key, List.of());
        } catch (RuntimeException ex) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the jwk is not a readable public key: " + ex.getMessage());
        }
    }

    private static String jwkField(JWK jwk, String field) throws Refused {
        Object value = jwk.getOtherClaims().get(field);
        if (value != null && !(value instanceof String)) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the jwk's " + field + " is not a string");
        }
        return (String) value;
    }

    private interface Bounded {
        KeyBounds.Shape shape() throws KeyBounds.Refused, KeyBounds.Unreadable;
    }

    private static KeyBounds.Shape bounds(Bounded check) throws Refused {
        try {
            return check.shape();
        } catch (KeyBounds.Refused e) {
            throw new Refused(Reason.KEY_REFUSED, e.getMessage());
        } catch (KeyBounds.Unreadable e) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the header's key is unreadable: " + e.getMessage());
        }
    }

    /** {@code alg} fits the key's type and curve: no ES256 header over a P-384 key, no RS256 over an EC key. */
    private static void requireFits(Algorithm alg, KeyBounds.Shape shape) throws Refused {
        if (!fits(alg, shape)) {
            throw new Refused(Reason.ALGORITHM_REFUSED, "alg " + alg + " does not fit the " + shape + " key");
        }
    }

    private static boolean fits(Algorithm alg, KeyBounds.Shape shape) {
        return switch (alg) {
            case ES256, ES384, ES512 -> shape.kind() == KeyBounds.Kind.EC && shape.bits() == alg.ecFieldSize;
            case EdDSA -> shape.kind() == KeyBounds.Kind.OKP;
            case RS256, PS256 -> shape.kind() == KeyBounds.Kind.RSA;
        };
    }

    /**
     * The key-in-DNS form: {@code x5u} must be the DNS URI (RFC 4501) of the client's own name,
     * {@code dns:NAME?type=TLSA} or {@code dns://NAME?type=TLSA}, and {@code kid}, when sent, that name. An
     * {@code https:} (or any other) {@code x5u} is refused and never fetched.
     */
    void requireKeyName(DaneName clientName) throws Refused {
        Object raw = headerFields.get(X5U);
        if (!(raw instanceof String uri)) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "x5u is not a string");
        }
        String named = dnsUriName(uri);
        String kid = jws.getHeader().getKeyId();
        if (named == null || !clientName.equals(DaneNames.parseOrNull(named))
                || (kid != null && !clientName.equals(DaneNames.parseOrNull(kid)))) {
            throw new Refused(Reason.X5U_NAME_MISMATCH, "x5u " + uri + (kid == null ? "" : " (kid " + kid + ")")
                    + " does not name this client's " + DaneNames.CLIENT_ATTRIBUTE + " " + clientName
                    + " as dns:NAME?type=TLSA");
        }
    }

    /**
     * The owner name of a DNS URI asking for TLSA, or null when it is a DNS URI of another form; refuses other
     * schemes.
     */
    static String dnsUriName(String uri) throws Refused {
        int colon = uri.indexOf(':');
        if (colon <= 0 || !uri.substring(0, colon).equalsIgnoreCase("dns")) {
            throw new Refused(Reason.X5U_SCHEME_REFUSED, "x5u " + uri + " is not a DNS URI: only dns:NAME?type=TLSA "
                    + "is accepted, nothing is fetched");
        }
        String rest = uri.substring(colon + 1);
        if (rest.startsWith("//")) {
            rest = rest.substring(2); // Valimail's dns://NAME?type=TLSA: the name where RFC 4501 has the authority
        }
        int query = rest.indexOf('?');
        if (query <= 0 || !rest.substring(query + 1).equalsIgnoreCase("type=TLSA")) {
            return null;
        }
        String name = rest.substring(0, query);
        return name.contains("/") || name.contains("%") || name.contains(";") ? null : name;
    }

    /**
     * Whether the signature verifies with a key found in DNS (a {@code 3 1 0} record's SubjectPublicKeyInfo, or the
     * one in a {@code 3 0 0} record's certificate): our bounds and the algorithm's fit first, on the encoding.
     */
    boolean signedBy(byte[] subjectPublicKeyInfo, Algorithm alg) {
        try {
            KeyBounds.Shape shape = KeyBounds.ofSubjectPublicKeyInfo(subjectPublicKeyInfo);
            if (!fits(alg, shape)) {
                return false;
            }
            String algorithm = switch (shape.kind()) {
                case RSA -> "RSA";
                case EC -> "EC";
                case OKP -> shape.curve();
            };
            PublicKey key;
            try {
                key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
            } catch (Exception e) {
                key = KeyFactory.getInstance("RSASSA-PSS").generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
            }
            requireSignature(new PresentedKey(key, List.of()), alg);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** The signature, verified with Keycloak's verifier contexts and the header's key. */
    void requireSignature(PresentedKey key, Algorithm alg) throws Refused {
        KeyWrapper wrapper = new KeyWrapper();
        wrapper.setPublicKey(key.publicKey());
        wrapper.setAlgorithm(alg.name());
        SignatureVerifierContext verifier;
        switch (alg) {
            case ES256, ES384, ES512 -> {
                wrapper.setType(KeyType.EC);
                verifier = new ECDSASignatureVerifierContext(wrapper);
            }
            case EdDSA -> {
                wrapper.setType(KeyType.OKP);
                wrapper.setCurve(edCurve(key.publicKey()));
                verifier = new AsymmetricSignatureVerifierContext(wrapper);
            }
            default -> {
                wrapper.setType(KeyType.RSA);
                verifier = new AsymmetricSignatureVerifierContext(wrapper);
            }
        }
        boolean valid;
        try {
            valid = verifier.verify(jws.getEncodedSignatureInput().getBytes(StandardCharsets.US_ASCII),
                    jws.getSignature());
        } catch (Exception e) {
            valid = false;
        }
        if (!valid) {
            throw new Refused(Reason.BAD_SIGNATURE, "the signature does not verify with the header's key");
        }
    }

    /** Ed25519 or Ed448 for an EdDSA key (the JDK's or BouncyCastle's), else null. */
    private static String edCurve(PublicKey key) {
        if (key instanceof EdECPublicKey ed) {
            return ed.getParams().getName();
        }
        String name = key.getAlgorithm();
        return "Ed25519".equals(name) || "Ed448".equals(name) ? name : null;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    /**
     * The key the header presents: from {@code x5c} the chain (leaf first) and the leaf's key, matched like a client
     * certificate; from {@code jwk} the bare key (empty chain), which only DANE-EE SPKI records can match.
     */
    record PresentedKey(PublicKey publicKey, List<X509Certificate> chain) {
        boolean bare() {
            return chain.isEmpty();
        }
    }
}
