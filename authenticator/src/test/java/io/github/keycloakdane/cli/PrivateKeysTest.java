package io.github.keycloakdane.cli;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.security.KeyPair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CLI's key reader: PKCS#8 of every key type back with the public key it belongs to. */
class PrivateKeysTest {

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void aPkcs8KeyComesBackWithItsPublicKey(KeyType type) throws Exception {
        KeyPair original = TestPki.keyPair(type);

        KeyPair read = PrivateKeys.read(TestPki.pem(original.getPrivate()));

        assertThat(read.getPublic().getEncoded()).isEqualTo(original.getPublic().getEncoded());
        assertThat(read.getPrivate().getAlgorithm()).isEqualTo(original.getPrivate().getAlgorithm());
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void certificatesAreNoKeys(KeyType type) {
        String cert = TestPki.leaf("x").keyType(type).build().pem();

        assertThatThrownBy(() -> PrivateKeys.read(cert)).hasMessageContaining("CERTIFICATE");
    }
}
