package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.Reason;
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

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPublicKey;
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
    static final int MIN_RSA_BITS = 2048;

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

    /** Why the assertion is refused: the event's reason and a line for its detail. */
    static final class Refused extends Exception {
        final Reason reason;

        Refused(Reason reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    private final JWSInput jws;
    private final JsonWebToken token;

    private ClientAssertion(JWSInput jws, JsonWebToken token) {
        this.jws = jws;
        this.token = token;
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
            return new ClientAssertion(jws, token);
        } catch (JWSInputException | RuntimeException e) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "client_assertion is not a compact JWS with JSON claims: "
                    + e.getMessage());
        }
    }

    /** {@code sub}, which names the client when the request has no {@code client_id}; may be null. */
    String subject() {
        return token.getSubject();
    }

    /**
     * The claims every assertion needs, and the key in its header: exactly one of {@code x5c} (leaf first) and
     * {@code jwk}, readable.
     */
    PresentedKey requireWellFormed() throws Refused {
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
        JWK jwk = header.getKey();
        boolean hasChain = x5c != null && !x5c.isEmpty();
        if (hasChain == (jwk != null)) {
            throw new Refused(Reason.ASSERTION_MALFORMED, hasChain ? "the header has both x5c and jwk"
                    : "the header has neither x5c nor jwk: the key must travel with the assertion");
        }
        return hasChain ? chainKey(x5c) : bareKey(jwk);
    }

    private static PresentedKey chainKey(List<String> x5c) throws Refused {
        if (x5c.size() > MAX_CHAIN_LENGTH) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "x5c holds more than " + MAX_CHAIN_LENGTH + " certificates");
        }
        List<X509Certificate> chain = new ArrayList<>();
        try {
            for (String cert : x5c) {
                chain.add(CertificateParser.parseDer(Base64.getDecoder().decode(cert))); // RFC 7515 §4.1.6: not URL-safe
            }
        } catch (Exception e) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "x5c holds an unreadable certificate: " + e.getMessage());
        }
        return new PresentedKey(chain.get(0).getPublicKey(), List.copyOf(chain));
    }

    private static PresentedKey bareKey(JWK jwk) throws Refused {
        if (jwk.getOtherClaims().containsKey("d")) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the jwk carries a private key");
        }
        try {
            PublicKey key = JWKParser.create(jwk).toPublicKey();
            if (key == null) {
                throw new IllegalArgumentException("unsupported key type " + jwk.getKeyType());
            }
            return new PresentedKey(key, List.of());
        } catch (RuntimeException e) {
            throw new Refused(Reason.ASSERTION_MALFORMED, "the jwk is not a readable public key: " + e.getMessage());
        }
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

    /** Valid now, and {@code exp} at most {@code maxLifetime} after {@code iat}. */
    void requireCurrent(long now, Duration maxLifetime) throws Refused {
        long exp = token.getExp();
        long iat = token.getIat();
        if (exp <= now) {
            throw new Refused(Reason.ASSERTION_EXPIRED, "exp has passed (" + (now - exp) + " s ago)");
        }
        if (iat > now + CLOCK_SKEW_SECONDS || (token.getNbf() != null && token.getNbf() > now + CLOCK_SKEW_SECONDS)) {
            throw new Refused(Reason.ASSERTION_EXPIRED, "iat or nbf lies in the future");
        }
        if (exp - iat > maxLifetime.toSeconds()) {
            throw new Refused(Reason.LIFETIME_TOO_LONG, "exp - iat is " + (exp - iat) + " s, more than the "
                    + maxLifetime.toSeconds() + " s allowed");
        }
    }

    /** The single-use cache's key for this assertion's {@code jti}: per client, so clients cannot collide. */
    String replayKey(String clientId) {
        return DaneJwtClientAuthenticator.PROVIDER_ID + ":" + clientId + ":" + token.getId();
    }

    /** How long the {@code jti} must be remembered: as long as the assertion could still be accepted. */
    long replayWindowSeconds(long now) {
        return Math.max(1, token.getExp() - now + CLOCK_SKEW_SECONDS);
    }

    /** {@code alg}: one of {@link Algorithm}, fitting the header's key; returns it. */
    Algorithm requireAlgorithm(PresentedKey key) throws Refused {
        String raw = jws.getHeader().getRawAlgorithm();
        Algorithm alg = Algorithm.of(raw);
        if (alg == null) {
            throw new Refused(Reason.ALGORITHM_REFUSED, "alg " + raw + " is not one of "
                    + List.of(Algorithm.values()) + " (never none or HMAC)");
        }
        PublicKey k = key.publicKey();
        boolean fits = switch (alg) {
            case ES256, ES384, ES512 -> k instanceof ECPublicKey ec
                    && ec.getParams().getCurve().getField().getFieldSize() == alg.ecFieldSize;
            case EdDSA -> edCurve(k) != null;
            case RS256, PS256 -> k instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() >= MIN_RSA_BITS;
        };
        if (!fits) {
            throw new Refused(Reason.ALGORITHM_REFUSED, "alg " + alg + " does not fit the " + k.getAlgorithm()
                    + " key" + (k instanceof RSAPublicKey rsa ? " of " + rsa.getModulus().bitLength()
                    + " bits (at least " + MIN_RSA_BITS + ")" : ""));
        }
        return alg;
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
