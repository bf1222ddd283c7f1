package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Our key bounds, read from encodings only: moduli and exponents are made up here, never turned into keys. */
class KeyBoundsTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BigInteger F4 = BigInteger.valueOf(65537);

    private static BigInteger modulus(int bits) {
        return new BigInteger(bits, RANDOM).setBit(bits - 1).setBit(0);
    }

    private static byte[] rsaSpki(BigInteger n, BigInteger e) throws Exception {
        return new SubjectPublicKeyInfo(new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                new org.bouncycastle.asn1.pkcs.RSAPublicKey(n, e)).getEncoded();
    }

    private static String b64(BigInteger v) {
        byte[] bytes = v.toByteArray();
        if (bytes[0] == 0) {
            bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    @Test
    void rsaModuliFrom2048To4096BitsWithSmallOddExponentsPass() throws Exception {
        for (int bits : new int[] {2048, 3072, 4096}) {
            assertThat(KeyBounds.ofSubjectPublicKeyInfo(rsaSpki(modulus(bits), F4)).bits()).isEqualTo(bits);
            assertThat(KeyBounds.ofJwk("RSA", null, b64(modulus(bits)), b64(F4)).bits()).isEqualTo(bits);
        }
        assertThat(KeyBounds.ofJwk("RSA", null, b64(modulus(2048)), b64(BigInteger.valueOf(3))).kind())
                .isEqualTo(KeyBounds.Kind.RSA);
        assertThat(KeyBounds.ofJwk("RSA", null, b64(modulus(2048)), b64(KeyBounds.MAX_RSA_EXPONENT)).kind())
                .isEqualTo(KeyBounds.Kind.RSA);
    }

    @Test
    void rsaOutsideTheBoundsIsRefusedNamingOurBound() {
        for (BigInteger[] ne : new BigInteger[][] {{modulus(2047), F4}, {modulus(4097), F4}, {modulus(8192), F4},
                {modulus(16384), F4}, {modulus(2048), BigInteger.valueOf(65536)}, {modulus(2048), BigInteger.ONE},
                {modulus(2048), KeyBounds.MAX_RSA_EXPONENT.add(BigInteger.TWO)},
                {modulus(2048), BigInteger.ONE.shiftLeft(64).add(BigInteger.ONE)}}) {
            assertThatThrownBy(() -> KeyBounds.ofSubjectPublicKeyInfo(rsaSpki(ne[0], ne[1])))
                    .isInstanceOf(KeyBounds.Refused.class).hasMessageContaining("only");
            assertThatThrownBy(() -> KeyBounds.ofJwk("RSA", null, b64(ne[0]), b64(ne[1])))
                    .isInstanceOf(KeyBounds.Refused.class).hasMessageContaining("only");
        }
        assertThatThrownBy(() -> KeyBounds.ofSubjectPublicKeyInfo(rsaSpki(modulus(8192), F4)))
                .hasMessageContaining("8192 bits").hasMessageContaining("2048 to 4096");
    }

    @Test
    void ecOnlyOnTheThreeNistCurvesAndEdwardsCurves() throws Exception {
        for (String curve : new String[] {"secp256r1", "secp384r1", "secp521r1"}) {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve));
            assertThat(KeyBounds.ofSubjectPublicKeyInfo(g.generateKeyPair().getPublic().getEncoded()).kind())
                    .isEqualTo(KeyBounds.Kind.EC);
        }
        KeyPairGenerator k1 = KeyPairGenerator.getInstance("EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
        k1.initialize(new ECGenParameterSpec("secp256k1"));
        assertThatThrownBy(() -> KeyBounds.ofSubjectPublicKeyInfo(k1.generateKeyPair().getPublic().getEncoded()))
                .isInstanceOf(KeyBounds.Refused.class);
        assertThat(KeyBounds.ofSubjectPublicKeyInfo(KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
                .getPublic().getEncoded()).curve()).isEqualTo("Ed25519");
        assertThat(KeyBounds.ofSubjectPublicKeyInfo(KeyPairGenerator.getInstance("Ed448").generateKeyPair()
                .getPublic().getEncoded()).curve()).isEqualTo("Ed448");
        assertThat(KeyBounds.ofJwk("EC", "P-384", null, null).bits()).isEqualTo(384);
        assertThat(KeyBounds.ofJwk("OKP", "Ed25519", null, null).kind()).isEqualTo(KeyBounds.Kind.OKP);
        for (String[] bad : new String[][] {{"EC", "secp256k1"}, {"EC", "Ed25519"}, {"OKP", "P-256"}, {"OKP", "X25519"},
                {"oct", null}, {"EC", null}}) {
            assertThatThrownBy(() -> KeyBounds.ofJwk(bad[0], bad[1], null, null)).isInstanceOf(KeyBounds.Refused.class);
        }
        KeyPairGenerator dsa = KeyPairGenerator.getInstance("DSA");
        dsa.initialize(2048);
        assertThatThrownBy(() -> KeyBounds.ofSubjectPublicKeyInfo(dsa.generateKeyPair().getPublic().getEncoded()))
                .isInstanceOf(KeyBounds.Refused.class);
    }

    @Test
    void aCertificatesKeyIsReadFromItsEncodingAndGarbageIsUnreadable() throws Exception {
        TestPki.Issued leaf = TestPki.leaf("k").build();
        assertThat(KeyBounds.ofCertificate(leaf.cert().getEncoded()).kind()).isNotNull();
        assertThatThrownBy(() -> KeyBounds.ofCertificate(new byte[] {0x30, 0x03, 1, 2, 3}))
                .isInstanceOf(KeyBounds.Unreadable.class);
        assertThatThrownBy(() -> KeyBounds.ofSubjectPublicKeyInfo(new byte[0])).isInstanceOf(KeyBounds.Unreadable.class);
        assertThatThrownBy(() -> KeyBounds.ofJwk("RSA", null, "!!", "AQAB")).isInstanceOf(KeyBounds.Unreadable.class);
        assertThatThrownBy(() -> KeyBounds.ofJwk(null, null, null, null)).isInstanceOf(KeyBounds.Unreadable.class);
    }
}
