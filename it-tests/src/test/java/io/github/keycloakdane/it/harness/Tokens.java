package io.github.keycloakdane.it.harness;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.AsymmetricJWK;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.net.URI;
import java.text.ParseException;

/** Verifying Keycloak's tokens against the realm's JWKS (nimbus-jose-jwt). */
public final class Tokens {

    private Tokens() {
    }

    /** The realm's signing keys, fetched from {@code REALM/protocol/openid-connect/certs} with {@code http}. */
    private static JWKSet jwks(TlsHttp http, URI realmUri) {
        TlsHttp.Response r = http.get(URI.create(realmUri + "/protocol/openid-connect/certs"));
        if (r.status() != 200) {
            throw new IllegalStateException("JWKS of " + realmUri + ": " + r);
        }
        try {
            return JWKSet.parse(r.body());
        } catch (ParseException e) {
            throw new IllegalStateException("bad JWKS from " + realmUri + ": " + r.body(), e);
        }
    }

    /**
     * The claims of a signed JWT after checking its signature with the key of its {@code kid} in {@code keys}.
     * Expiry, issuer and audience are left to the caller's assertions.
     */
    private static JWTClaimsSet verify(String jwt, JWKSet keys) {
        try {
            SignedJWT signed = SignedJWT.parse(jwt);
            JWK jwk = keys.getKeyByKeyId(signed.getHeader().getKeyID());
            if (jwk == null) {
                throw new IllegalStateException("no key " + signed.getHeader().getKeyID() + " in the JWKS");
            }
            if (!(jwk instanceof AsymmetricJWK asymmetric)) {
                throw new IllegalStateException("not an asymmetric key: " + jwk.getKeyType());
            }
            JWSVerifier verifier = new DefaultJWSVerifierFactory()
                    .createJWSVerifier(signed.getHeader(), asymmetric.toPublicKey());
            if (!signed.verify(verifier)) {
                throw new IllegalStateException("bad signature on " + jwt);
            }
            return signed.getJWTClaimsSet();
        } catch (ParseException | JOSEException e) {
            throw new IllegalStateException("cannot verify " + jwt, e);
        }
    }

    /** {@link #jwks} then {@link #verify}. */
    public static JWTClaimsSet verify(String jwt, TlsHttp http, URI realmUri) {
        return verify(jwt, jwks(http, realmUri));
    }
}
