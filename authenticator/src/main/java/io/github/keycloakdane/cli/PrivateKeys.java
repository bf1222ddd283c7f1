package io.github.keycloakdane.cli;

import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jcajce.interfaces.EdDSAPrivateKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

import java.io.IOException;
import java.io.StringReader;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;

/**
 * Reads an unencrypted private key in PEM, as OpenSSL writes it ({@code PRIVATE KEY}, PKCS#8; {@code EC PRIVATE KEY},
 * SEC 1; {@code RSA PRIVATE KEY}, PKCS#1), with BouncyCastle's ASN.1 classes, and derives its public key. Keys come
 * back as the JDK's own (RSA, EC, Ed25519), so the JDK's providers sign with them.
 */
final class PrivateKeys {

    /** An instance registers BouncyCastle's key converters, which {@link BouncyCastleProvider#getPrivateKey} uses. */
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private PrivateKeys() {
    }

    static KeyPair read(String pem) throws GeneralSecurityException {
        PemObject object;
        try (PemReader reader = new PemReader(new StringReader(pem))) {
            object = reader.readPemObject();
        } catch (IOException | RuntimeException e) {
            throw new GeneralSecurityException("not PEM: " + e.getMessage(), e);
        }
        if (object == null) {
            throw new GeneralSecurityException("no PEM block found");
        }
        PrivateKeyInfo info;
        try {
            info = switch (object.getType()) {
                case "PRIVATE KEY" -> PrivateKeyInfo.getInstance(object.getContent());
                case "EC PRIVATE KEY" -> {
                    org.bouncycastle.asn1.sec.ECPrivateKey sec1 =
                            org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(object.getContent());
                    yield new PrivateKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
                            sec1.getParametersObject()), sec1);
                }
                case "RSA PRIVATE KEY" -> new PrivateKeyInfo(new AlgorithmIdentifier(
                        PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                        org.bouncycastle.asn1.pkcs.RSAPrivateKey.getInstance(object.getContent()));
                default -> throw new GeneralSecurityException("a " + object.getType() + " block is not an unencrypted"
                        + " private key (PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)");
            };
        } catch (IOException | IllegalArgumentException e) {
            throw new GeneralSecurityException("unreadable " + object.getType() + ": " + e.getMessage(), e);
        }
        PrivateKey bc;
        try {
            bc = BouncyCastleProvider.getPrivateKey(info);
        } catch (IOException e) {
            throw new GeneralSecurityException("unreadable private key: " + e.getMessage(), e);
        }
        if (bc == null) {
            throw new GeneralSecurityException("unsupported private key algorithm " + info.getPrivateKeyAlgorithm()
                    .getAlgorithm());
        }
        String algorithm = bc instanceof EdDSAPrivateKey ? "Ed25519" : bc.getAlgorithm().equals("ECDSA") ? "EC"
                : bc.getAlgorithm();
        KeyFactory jdk = KeyFactory.getInstance(algorithm);
        PrivateKey key = jdk.generatePrivate(new PKCS8EncodedKeySpec(bc.getEncoded()));
        return new KeyPair(jdk.generatePublic(new X509EncodedKeySpec(publicKey(bc).getEncoded())), key);
    }

    /** The public half: from the RSA CRT parameters, G·d for EC, or BouncyCastle's EdDSA key. */
    private static PublicKey publicKey(PrivateKey bc) throws GeneralSecurityException {
        if (bc instanceof RSAPrivateCrtKey rsa) {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(),
                    rsa.getPublicExponent()));
        }
        if (bc instanceof org.bouncycastle.jce.interfaces.ECPrivateKey ec) {
            org.bouncycastle.jce.spec.ECParameterSpec params = ec.getParameters();
            return KeyFactory.getInstance("EC", BC).generatePublic(
                    new org.bouncycastle.jce.spec.ECPublicKeySpec(params.getG().multiply(ec.getD()).normalize(), params));
        }
        if (bc instanceof EdDSAPrivateKey ed && "Ed25519".equals(ed.getAlgorithm())) {
            return ed.getPublicKey();
        }
        throw new GeneralSecurityException("unsupported private key " + bc.getAlgorithm() + " (EC, RSA or Ed25519)");
    }
}
