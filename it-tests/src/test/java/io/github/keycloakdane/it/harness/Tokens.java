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

    /**
     * The claims of {@code jwt} once its signature is verified with the key of its {@code kid} in the realm's JWKS
     * ({@code REALM/protocol/openid-connect/certs}, fetched with {@code http}). Expiry, issuer and audience are left to
     * the caller's assertions.
     */
    public static JWTClaimsSet verify(String jwt, TlsHttp http, URI realmUri) {
        TlsHttp.Response certs = http.get(URI.create(realmUri + "/protocol/openid-connect/certs"));
        if (certs.status() != 200) {
            throw new IllegalStateException("JWKS of " + realmUri + ": " + certs);
        }
        try {
            SignedJWT signed = SignedJWT.parse(jwt);
            JWK jwk = JWKSet.parse(certs.body()).getKeyByKeyId(signed.getHeader().getKeyID());
            if (!(jwk instanceof AsymmetricJWK key)) {
                throw new IllegalStateException("no asymmetric key " + signed.getHeader().getKeyID() + " in "
                        + certs.body());
            }
            JWSVerifier verifier = new DefaultJWSVerifierFactory()
                    .createJWSVerifier(signed.getHeader(), key.toPublicKey());
            if (!signed.verify(verifier)) {
                throw new IllegalStateException("bad signature on " + jwt);
            }
            return signed.getJWTClaimsSet();
        } catch (ParseException | JOSEException e) {
            throw new IllegalStateException("cannot verify " + jwt + " with " + certs.body(), e);
        }
    }
}
