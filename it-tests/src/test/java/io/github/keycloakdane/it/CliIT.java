package io.github.keycloakdane.it;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The operator CLI, run from the packaged jar. */
class CliIT {

    private static final String NAME = "sensor7._device.example.test";

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void tlsaDefaultIsDaneEeSpkiSha256AsOpensslComputesIt(KeyType keyType) throws Exception {
        Path cert = TestPki.writePem(dir.resolve("device.pem"),
                List.of(TestPki.leaf("device").keyType(keyType).build().cert()));

        CliRunner.Result cli = CliRunner.run("tlsa", "--cert", cert.toString());
        String openssl = shell("openssl x509 -in " + cert + " -pubkey -noout"
                + " | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1");

        assertThat(cli.exitCode()).isZero();
        assertThat(openssl).matches("[0-9a-f]{64}");
        assertThat(cli.stdout().strip()).isEqualTo("3 1 1 " + openssl);
    }

    @Test
    void aCertificateWithEmptySubjectAndIssuerAsOpensslMakesItWorksInTlsaAndMatch() throws Exception {
        // the JDK's certificate parser refuses this certificate; OpenSSL (and so DANE-EE) accepts it
        Path cert = dir.resolve("blank.pem");
        shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj / -days 30"
                + " -keyout " + dir.resolve("blank.key") + " -out " + cert + " 2>/dev/null");
        assertThat(shell("openssl x509 -in " + cert + " -noout -subject -issuer")).isEqualTo("subject=\nissuer=");

        CliRunner.Result tlsa = CliRunner.run("tlsa", "--cert", cert.toString());
        String openssl = shell("openssl x509 -in " + cert + " -pubkey -noout"
                + " | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1");
        Path records = Files.writeString(dir.resolve("blank.tlsa"), tlsa.stdout());
        CliRunner.Result match = CliRunner.run("match", "--name", NAME, "--tlsa", records.toString(),
                "--chain", cert.toString());

        assertThat(tlsa.exitCode()).as(tlsa.stderr()).isZero();
        assertThat(tlsa.stdout().strip()).isEqualTo("3 1 1 " + openssl);
        assertThat(match.exitCode()).as(match.stderr()).isZero();
        assertThat(match.stdout()).startsWith("MATCH usage=3 selector=1 matching-type=1 depth=0");
    }

    @Test
    void tlsaFullCertificateDigestsAsOpensslComputesThem() throws Exception {
        Path cert = TestPki.writePem(dir.resolve("ca.pem"), List.of(TestPki.ca("Org CA").build().cert()));

        CliRunner.Result sha256 = CliRunner.run("tlsa", "--cert", cert.toString(),
                "--usage", "2", "--selector", "0", "--matching-type", "1");
        CliRunner.Result sha512 = CliRunner.run("tlsa", "--cert", cert.toString(),
                "--usage", "2", "--selector", "0", "--matching-type", "2");

        assertThat(sha256.stdout().strip()).isEqualTo("2 0 1 "
                + shell("openssl x509 -in " + cert + " -outform DER | sha256sum | cut -d' ' -f1"));
        assertThat(sha512.stdout().strip()).isEqualTo("2 0 2 "
                + shell("openssl x509 -in " + cert + " -outform DER | sha512sum | cut -d' ' -f1"));
    }

    @Test
    void tlsaWithNamePrintsAZoneFileLine() throws Exception {
        Path cert = TestPki.writePem(dir.resolve("device.pem"), List.of(TestPki.leaf("device").build().cert()));

        CliRunner.Result cli = CliRunner.run("tlsa", "--cert", cert.toString(), "--name", "Sensor7._device.Example.test.");

        assertThat(cli.exitCode()).isZero();
        assertThat(cli.stdout().strip()).matches("sensor7\\._device\\.example\\.test\\. IN TLSA 3 1 1 [0-9a-f]{64}");
    }

    @Test
    void matchExitsZeroForTheDevicesOwnRecord() throws Exception {
        Path cert = TestPki.writePem(dir.resolve("device.pem"), List.of(TestPki.leaf("device").build().cert()));
        String record = CliRunner.run("tlsa", "--cert", cert.toString()).stdout().strip();
        Path tlsa = Files.writeString(dir.resolve("tlsa.txt"), "# the device's key\n\n" + record.toUpperCase() + "\n");

        CliRunner.Result cli = CliRunner.run("match", "--name", NAME, "--tlsa", tlsa.toString(), "--chain", cert.toString());

        assertThat(cli.exitCode()).isZero();
        assertThat(cli.stdout()).startsWith("MATCH usage=3 selector=1 matching-type=1 depth=0");
    }

    @Test
    void matchExitsOneForAnotherKey() throws Exception {
        Path device = TestPki.writePem(dir.resolve("device.pem"), List.of(TestPki.leaf("device").build().cert()));
        Path other = TestPki.writePem(dir.resolve("other.pem"), List.of(TestPki.leaf("other").build().cert()));
        String record = CliRunner.run("tlsa", "--cert", other.toString()).stdout().strip();
        Path tlsa = Files.writeString(dir.resolve("tlsa.txt"), record + "\n");

        CliRunner.Result cli = CliRunner.run("match", "--name", NAME, "--tlsa", tlsa.toString(), "--chain", device.toString());

        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.stdout()).startsWith("NO-MATCH NO_MATCH");
    }

    @Test
    void matchDaneTaReportsTheDepthAndChecksTheName() throws Exception {
        Issued ca = TestPki.ca("Org CA").build();
        Issued leaf = TestPki.leaf("sensor7").issuer(ca).dnsNames(NAME).build();
        Path chain = TestPki.writePem(dir.resolve("chain.pem"), List.of(leaf.cert(), ca.cert()));
        Path caPem = TestPki.writePem(dir.resolve("ca.pem"), List.of(ca.cert()));
        String record = CliRunner.run("tlsa", "--cert", caPem.toString(), "--usage", "2", "--selector", "0")
                .stdout().strip();
        Path tlsa = Files.writeString(dir.resolve("tlsa.txt"), record + "\n");

        CliRunner.Result ok = CliRunner.run("match", "--name", NAME, "--tlsa", tlsa.toString(), "--chain", chain.toString());
        CliRunner.Result wrongName = CliRunner.run("match", "--name", "sensor8._device.example.test",
                "--tlsa", tlsa.toString(), "--chain", chain.toString());

        assertThat(ok.exitCode()).isZero();
        assertThat(ok.stdout()).startsWith("MATCH usage=2 selector=0 matching-type=1 depth=1");
        assertThat(wrongName.exitCode()).isEqualTo(1);
        assertThat(wrongName.stdout()).startsWith("NO-MATCH NAME_MISMATCH");
    }

    @Test
    void matchOnlyUnusableRecordsIsANegativeAnswer() throws Exception {
        Path cert = TestPki.writePem(dir.resolve("device.pem"), List.of(TestPki.leaf("device").build().cert()));
        Path tlsa = Files.writeString(dir.resolve("tlsa.txt"), "3 1 1 abcd\n4 1 1 " + "00".repeat(32) + "\n");

        CliRunner.Result cli = CliRunner.run("match", "--name", NAME, "--tlsa", tlsa.toString(), "--chain", cert.toString());

        assertThat(cli.exitCode()).isEqualTo(1);
        assertThat(cli.stdout()).startsWith("NO-MATCH NO_USABLE_RECORDS");
        assertThat(cli.stderr()).contains("unusable record ignored: 3 1 1").contains("unknown certificate usage 4");
    }

    @Test
    void unreadableInputExitsTwoWithAMessage() throws Exception {
        Path cert = TestPki.writePem(dir.resolve("device.pem"), List.of(TestPki.leaf("device").build().cert()));
        Path garbled = Files.writeString(dir.resolve("garbled.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n");
        Path badTlsa = Files.writeString(dir.resolve("bad.txt"), "3 1 1 not-hex\n");
        Path goodTlsa = Files.writeString(dir.resolve("good.txt"), "3 1 1 " + "00".repeat(32) + "\n");

        CliRunner.Result missingFile = CliRunner.run("match", "--name", NAME, "--tlsa", dir.resolve("nope").toString(),
                "--chain", cert.toString());
        CliRunner.Result garbledCert = CliRunner.run("match", "--name", NAME, "--tlsa", goodTlsa.toString(),
                "--chain", garbled.toString());
        CliRunner.Result badHex = CliRunner.run("match", "--name", NAME, "--tlsa", badTlsa.toString(),
                "--chain", cert.toString());
        CliRunner.Result badName = CliRunner.run("match", "--name", "bad/name", "--tlsa", goodTlsa.toString(),
                "--chain", cert.toString());
        CliRunner.Result unknownCommand = CliRunner.run("frobnicate");

        for (CliRunner.Result r : List.of(missingFile, garbledCert, badHex, badName, unknownCommand)) {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.stdout()).isEmpty();
            assertThat(r.stderr()).startsWith("keycloak-dane: ");
        }
        assertThat(badHex.stderr()).contains("line 1").contains("not hex");
        assertThat(badName.stderr()).contains("invalid name");
    }

    @Test
    void helpDocumentsEveryCommand() throws Exception {
        CliRunner.Result help = CliRunner.run("--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains("tlsa", "match", "lookup", "verify", "--trust-anchors", "--trust-ad",
                "--ee-name-check", "exit codes");
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {
            "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256",
            "openssl ecparam -genkey -name secp384r1 -noout",
            "openssl genpkey -algorithm ED25519",
            "openssl genrsa -traditional 2048"})
    void assertionSignsWithAnOpensslKeyAndCarriesItsPublicKey(String keygen) throws Exception {
        Path key = dir.resolve("device.key");
        Path cert = dir.resolve("device.pem");
        shell(keygen + " -out " + key + " 2>/dev/null || " + keygen + " > " + key);
        shell("openssl req -x509 -new -key " + key + " -subj /CN=device -days 30 -out " + cert);
        String aud = "https://sso.example.test/realms/dane";

        CliRunner.Result jwk = CliRunner.run("assertion", "--key", key.toString(), "--client-id", "meter1",
                "--aud", aud);
        CliRunner.Result x5c = CliRunner.run("assertion", "--key", key.toString(), "--cert", cert.toString(),
                "--client-id", "meter1", "--aud", aud, "--lifetime", "20");

        java.security.PublicKey certKey = java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(cert)).getPublicKey();
        assertThat(jwk.exitCode()).as(jwk.stderr()).isZero();
        com.nimbusds.jwt.SignedJWT bare = com.nimbusds.jwt.SignedJWT.parse(jwk.stdout().strip());
        assertThat(bare.getHeader().getX509CertChain()).isNull();
        assertThat(bare.getHeader().getJWK().isPrivate()).isFalse();
        assertThat(verifies(bare, certKey)).as("signature by the key, with the cert's public key").isTrue();
        var claims = bare.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo("meter1");
        assertThat(claims.getSubject()).isEqualTo("meter1");
        assertThat(claims.getAudience()).containsExactly(aud);
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getExpirationTime().getTime() - claims.getIssueTime().getTime()).isEqualTo(60_000);

        assertThat(x5c.exitCode()).as(x5c.stderr()).isZero();
        com.nimbusds.jwt.SignedJWT chained = com.nimbusds.jwt.SignedJWT.parse(x5c.stdout().strip());
        assertThat(chained.getHeader().getJWK()).isNull();
        assertThat(chained.getHeader().getX509CertChain()).hasSize(1);
        assertThat(chained.getHeader().getX509CertChain().get(0).decode())
                .isEqualTo(shellBytes("openssl x509 -in " + cert + " -outform DER"));
        assertThat(verifies(chained, certKey)).isTrue();
        var chainedClaims = chained.getJWTClaimsSet();
        assertThat(chainedClaims.getExpirationTime().getTime() - chainedClaims.getIssueTime().getTime())
                .isEqualTo(20_000);
        assertThat(chainedClaims.getJWTID()).isNotEqualTo(claims.getJWTID());
    }

    @Test
    void assertionRefusesACertificateOfAnotherKeyAndMissingArguments() throws Exception {
        Path key = TestPki.writePem(dir.resolve("device.key"), TestPki.leaf("device").build().keyPair().getPrivate());
        Path other = TestPki.writePem(dir.resolve("other.pem"), List.of(TestPki.leaf("other").build().cert()));

        CliRunner.Result mismatch = CliRunner.run("assertion", "--key", key.toString(), "--cert", other.toString(),
                "--client-id", "meter1", "--aud", "https://sso.example.test/realms/dane");
        CliRunner.Result noAud = CliRunner.run("assertion", "--key", key.toString(), "--client-id", "meter1");
        CliRunner.Result notAKey = CliRunner.run("assertion", "--key", other.toString(), "--client-id", "meter1",
                "--aud", "https://sso.example.test/realms/dane");

        assertThat(mismatch.exitCode()).isEqualTo(2);
        assertThat(mismatch.stderr()).contains("not for the key");
        assertThat(mismatch.stdout()).isEmpty();
        assertThat(noAud.exitCode()).isEqualTo(2);
        assertThat(noAud.stderr()).contains("--aud");
        assertThat(notAKey.exitCode()).isEqualTo(2);
        assertThat(notAKey.stderr()).contains("CERTIFICATE");
    }

    private static boolean verifies(com.nimbusds.jwt.SignedJWT jwt, java.security.PublicKey key) throws Exception {
        if (key instanceof java.security.interfaces.ECPublicKey ec) {
            return jwt.verify(new com.nimbusds.jose.crypto.ECDSAVerifier(ec));
        }
        if (key instanceof java.security.interfaces.RSAPublicKey rsa) {
            return jwt.verify(new com.nimbusds.jose.crypto.RSASSAVerifier(rsa));
        }
        // Ed25519 with the JDK (nimbus's own verifier would need Tink)
        java.security.Signature s = java.security.Signature.getInstance("Ed25519");
        s.initVerify(key);
        s.update(jwt.getSigningInput());
        return s.verify(jwt.getSignature().decode());
    }

    private static byte[] shellBytes(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        return out;
    }

    private static String shell(String script) throws Exception {
        CliRunner.Result r = CliRunner.exec(List.of("sh", "-c", script));
        assertThat(r.exitCode()).as("openssl pipeline: " + r.stderr()).isZero();
        return r.stdout().strip();
    }
}
