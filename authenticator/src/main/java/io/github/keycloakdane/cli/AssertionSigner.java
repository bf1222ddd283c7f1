package io.github.keycloakdane.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Makes a {@code client-dane-jwt} client assertion (RFC 7523) with nimbus-jose-jwt: {@code iss} = {@code sub} = the
 * client_id, one {@code aud}, {@code iat}, {@code exp}, a random {@code jti}, and the key in the header, as {@code x5c}
 * (the chain, leaf first) when certificates are given, else as a public {@code jwk}, or (key in DNS) not at all but named
 * by {@code x5u} as a DNS URI. The algorithm follows the key:
 * ES256/384/512 by curve, EdDSA for Ed25519, RS256 for RSA.
 */
public final class AssertionSigner {

    private AssertionSigner() {
    }

    public static String sign(PrivateKey key, PublicKey publicKey, List<X509Certificate> chain, String clientId,
                              String audience, Duration lifetime, Instant now) throws GeneralSecurityException {
        return sign(key, publicKey, chain, null, clientId, audience, lifetime, now);
    }

    /**
     * The key-in-DNS form, as Valimail's {@code dane_jwe_jws} makes it: the header is only {@code alg} and
     * {@code x5u} = {@code dns://NAME?type=TLSA}; the verifier takes the key from NAME's {@code 3 1 0} or
     * {@code 3 0 0} records.
     */
    public static String signKeyInDns(PrivateKey key, PublicKey publicKey, String name, String clientId,
                                      String audience, Duration lifetime, Instant now) throws GeneralSecurityException {
        return sign(key, publicKey, List.of(), name, clientId, audience, lifetime, now);
    }

    private static String sign(PrivateKey key, PublicKey publicKey, List<X509Certificate> chain, String keyInDns,
                               String clientId, String audience, Duration lifetime, Instant now)
            throws GeneralSecurityException {
        JWSAlgorithm alg = algorithm(publicKey);
        JWSHeader.Builder header = new JWSHeader.Builder(alg);
        if (keyInDns != null) {
            header.x509CertURL(java.net.URI.create("dns://" + keyInDns + "?type=TLSA"));
        } else if (chain.isEmpty()) {
            header.jwk(publicJwk(publicKey));
        } else {
            List<Base64> x5c = new ArrayList<>();
            for (X509Certificate cert : chain) {
                x5c.add(Base64.encode(cert.getEncoded()));
            }
            header.x509CertChain(x5c);
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(clientId).subject(clientId).audience(audience)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(lifetime)))
                .jwtID(UUID.randomUUID().toString()).build();
        SignedJWT jwt = new SignedJWT(header.build(), claims);
        try {
            jwt.sign(signer(alg, key));
        } catch (JOSEException e) {
            throw new GeneralSecurityException("cannot sign with this key: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }

    /** The JWS algorithm for a public key, or an exception naming what is supported. */
    static JWSAlgorithm algorithm(PublicKey key) throws GeneralSecurityException {
        if (key instanceof ECPublicKey ec) {
            return switch (ec.getParams().getCurve().getField().getFieldSize()) {
                case 256 -> JWSAlgorithm.ES256;
                case 384 -> JWSAlgorithm.ES384;
                case 521 -> JWSAlgorithm.ES512;
                default -> throw new GeneralSecurityException("EC keys on P-256, P-384 or P-521 only");
            };
        }
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < io.github.keycloakdane.core.KeyBounds.MIN_RSA_BITS
                    || bits > io.github.keycloakdane.core.KeyBounds.MAX_RSA_BITS) {
                throw new GeneralSecurityException("RSA keys of " + io.github.keycloakdane.core.KeyBounds.MIN_RSA_BITS
                        + " to " + io.github.keycloakdane.core.KeyBounds.MAX_RSA_BITS + " bits only");
            }
            return JWSAlgorithm.RS256;
        }
        if (ed25519Raw(key) != null) {
            return JWSAlgorithm.EdDSA;
        }
        throw new GeneralSecurityException("unsupported key " + key.getAlgorithm() + " (EC, RSA or Ed25519)");
    }

    private static JWK publicJwk(PublicKey key) throws GeneralSecurityException {
        if (key instanceof ECPublicKey ec) {
            return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
        }
        if (key instanceof RSAPublicKey rsa) {
            return new RSAKey.Builder(rsa).build();
        }
        return new OctetKeyPair.Builder(Curve.Ed25519, Base64URL.encode(ed25519Raw(key))).build();
    }

    /** The 32 raw octets of an Ed25519 public key (the BIT STRING at the end of its SubjectPublicKeyInfo), or null. */
    private static byte[] ed25519Raw(PublicKey key) {
        byte[] spki = key.getEncoded();
        boolean ed25519 = ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm()))
                && spki != null && spki.length == 44;
        return ed25519 ? Arrays.copyOfRange(spki, 12, 44) : null;
    }

    private static JWSSigner signer(JWSAlgorithm alg, PrivateKey key) throws JOSEException {
        if (JWSAlgorithm.EdDSA.equals(alg)) {
            return new JdkEd25519Signer(key);
        }
        if (key instanceof ECPrivateKey ec) {
            return new ECDSASigner(ec);
        }
        return new RSASSASigner(key);
    }

    /**
     * EdDSA through the JDK's (or the key's provider's) Ed25519: nimbus's own Ed25519 signer needs Google Tink, which
     * the jar does not carry. The JWS signature of EdDSA is the raw 64-octet signature (RFC 8037 §3.1), as the JCA
     * returns it.
     */
    private static final class JdkEd25519Signer implements JWSSigner {
        private final PrivateKey key;
        private final JCAContext jca = new JCAContext();

        JdkEd25519Signer(PrivateKey key) {
            this.key = key;
        }

        @Override
        public Base64URL sign(JWSHeader header, byte[] signingInput) throws JOSEException {
            try {
                Signature signature = Signature.getInstance("Ed25519");
                signature.initSign(key);
                signature.update(signingInput);
                return Base64URL.encode(signature.sign());
            } catch (GeneralSecurityException e) {
                throw new JOSEException("Ed25519 signing failed: " + e.getMessage(), e);
            }
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            return Set.of(JWSAlgorithm.EdDSA);
        }

        @Override
        public JCAContext getJCAContext() {
            return jca;
        }
    }
}
