package io.github.keycloakdane.it;

import io.github.keycloakdane.dns.DnssecSignatures;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;

import static io.github.keycloakdane.it.DaneScenarios.clientCredentials;
import static io.github.keycloakdane.it.DaneScenarios.daneClient;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.device;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JVM setting of docs/PRODUCTION.md ("DNSSEC signatures with BouncyCastle") takes effect in Keycloak: the shared
 * stack's Keycloak runs with {@code -Djava.security.properties=} a file holding {@link DnssecSignatures#PREFERRED},
 * logs at start that BouncyCastle checks DNSSEC's ECDSA signatures, and validates a cold lookup with it.
 */
@ExtendWith(SharedStack.class)
class DnssecProviderIT {

    @Test
    void withTheJavaSecurityOverrideBouncyCastleChecksTheSignaturesOfAColdLookup(Stack stack) throws Exception {
        assertThat(Files.readString(SharedStack.dnssecSecurityFile())).contains(DnssecSignatures.PREFERRED);
        assertThat(stack.keycloak().log()).as("Keycloak's start")
                .contains("DANE: DNSSEC ECDSA signatures are checked by BC")
                .doesNotContain("DANE: DNSSEC ECDSA signatures are checked by SunEC");

        String name = "bc1._provider.example.test";
        Issued key = TestPki.leaf("bc1").build();
        publish(stack, name, daneEe(key.cert()));
        daneClient(stack.admin(), "provider-bc1", name);
        var login = clientCredentials(stack, device(stack, key), "client_id", "provider-bc1");
        assertThat(login.status()).as("a cold lookup validated with BouncyCastle: %s", login).isEqualTo(200);
    }
}
