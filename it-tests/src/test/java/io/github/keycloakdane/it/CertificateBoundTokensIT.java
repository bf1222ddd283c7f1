package io.github.keycloakdane.it;

import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 8705 certificate-bound access tokens for a {@code client-dane} client: the token carries {@code cnf.x5t#S256}
 * of the certificate that authenticated, and Keycloak's userinfo endpoint accepts it only over a connection that
 * presents that certificate again. Keycloak does this itself (client attribute
 * {@code tls.client.certificate.bound.access.tokens}); the test shows it composes with DANE through the proxy.
 */
@ExtendWith(SharedStack.class)
class CertificateBoundTokensIT {

    private static final String CLIENT = "bound7";
    private static final String NAME = "bound7._device.example.test";
    /** The same kind of client without the attribute. */
    private static final String BEARER_CLIENT = "bearer7";

    private static Stack stack;
    private static Issued device;

    @BeforeAll
    static void clients(Stack shared) {
        stack = shared;
        device = TestPki.leaf(CLIENT).build();
        publish(stack, NAME, daneEe(device.cert()));
        publish(stack, BEARER_CLIENT + "._device.example.test", daneEe(device.cert()));
        daneClient(stack.admin(), CLIENT, NAME, Map.of("tls.client.certificate.bound.access.tokens", "true"));
        daneClient(stack.admin(), BEARER_CLIENT, BEARER_CLIENT + "._device.example.test");
    }

    @Test
    void theTokenIsBoundToTheDeviceCertificateAndUsableOnlyWithIt() throws Exception {
        TlsHttp holder = device(stack, device);
        TlsHttp.Response token = clientCredentials(stack, holder, "client_id", CLIENT, "scope", "openid");
        assertThat(token.status()).as(token.toString()).isEqualTo(200);
        String accessToken = token.json().path("access_token").asText();

        JWTClaimsSet claims = Tokens.verify(accessToken, holder, stack.realmUri(REALM));
        @SuppressWarnings("unchecked")
        Map<String, Object> cnf = (Map<String, Object>) claims.getClaim("cnf");
        assertThat(cnf).containsEntry("x5t#S256", Base64.getUrlEncoder().withoutPadding()
                .encodeToString(MessageDigest.getInstance("SHA-256").digest(device.cert().getEncoded())));
        assertThat(claims.getStringClaim("dane_clientid")).isEqualTo(NAME);

        TlsHttp.Response sameCertificate = userinfo(holder, accessToken);
        TlsHttp.Response otherCertificate = userinfo(device(stack, TestPki.leaf(CLIENT).build()), accessToken);
        TlsHttp.Response noCertificate = userinfo(stack.https(), accessToken);

        assertThat(sameCertificate.status()).as(sameCertificate.toString()).isEqualTo(200);
        assertThat(otherCertificate.status()).as(otherCertificate.toString()).isEqualTo(401);
        assertThat(noCertificate.status()).as(noCertificate.toString()).isEqualTo(401);
    }

    @Test
    void withoutTheAttributeTheTokenIsABearerToken() throws Exception {
        TlsHttp.Response token = clientCredentials(stack, device(stack, device), "client_id", BEARER_CLIENT,
                "scope", "openid");
        assertThat(token.status()).as(token.toString()).isEqualTo(200);

        JWTClaimsSet claims = Tokens.verify(token.json().path("access_token").asText(), stack.https(),
                stack.realmUri(REALM));
        assertThat(claims.getClaim("cnf")).isNull();
        // a bearer token works over any connection, this one included
        assertThat(userinfo(stack.https(), token.json().path("access_token").asText()).status()).isEqualTo(200);
    }

    private static TlsHttp.Response userinfo(TlsHttp http, String accessToken) {
        return http.postForm(URI.create(stack.realmUri(REALM) + "/protocol/openid-connect/userinfo"), Map.of(),
                "Authorization", "Bearer " + accessToken);
    }
}
