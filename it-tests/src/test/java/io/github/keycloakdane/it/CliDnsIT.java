package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.Unbound;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's lookup and verify commands, from the packaged jar, against Knot DNS with DNSSEC on loopback. */
class CliDnsIT {

    private static final String DEVICE = "sensor7._device.example.test";
    private static final String UNSIGNED_DEVICE = "sensor7._device.unsigned.test";
    /** A device whose certificate has an empty subject and issuer (the JDK's parser refuses it). */
    private static final String BLANK_DEVICE = "blank._device.example.test";

    private static KnotDns knot;
    private static Issued device;
    private static Path anchors;
    private static Path chain;
    private static Path blankChain;

    @BeforeAll
    static void startKnot(@TempDir Path dir) throws Exception {
        device = TestPki.leaf("sensor7").build();
        Issued blank = TestPki.leaf("blank").emptyNames().build();
        knot = KnotDns.builder(Path.of("target", "knot", CliDnsIT.class.getSimpleName()))
                .signedZone("example.test", "sensor7._device TLSA " + daneEe(device.cert()) + "\n"
                        + "blank._device TLSA " + daneEe(blank.cert()) + "\n")
                .unsignedZone("unsigned.test", "sensor7._device TLSA " + daneEe(device.cert()) + "\n")
                .start();
        anchors = Files.writeString(dir.resolve("anchors.zone"), knot.trustAnchor());
        chain = TestPki.writePem(dir.resolve("device.pem"), List.of(device.cert()));
        blankChain = TestPki.writePem(dir.resolve("blank.pem"), List.of(blank.cert()));
    }

    @AfterAll
    static void stopKnot() {
        if (knot != null) {
            knot.close();
        }
    }

    @Test
    void lookupOverDnsOverTlsThroughUnboundChecksTheResolversCertificate() throws Exception {
        try (Unbound unbound = Unbound.builder(Path.of("target", "unbound", CliDnsIT.class.getSimpleName()))
                .stub("example.test", knot.address()).trustAnchors(knot.trustAnchor()).start()) {
            List<String> dot = List.of("--resolver", "127.0.0.1:" + unbound.tlsAddress().getPort(),
                    "--resolver-transport", "tls", "--resolver-tls-name", Unbound.TLS_NAME,
                    "--resolver-tls-ca", unbound.caFile().toString(), "--trust-ad");

            CliRunner.Result secure = CliRunner.run(args("lookup", DEVICE, dot));
            CliRunner.Result wrongPin = CliRunner.run(args("lookup", DEVICE, dot,
                    "--resolver-tls-pin", java.util.Base64.getEncoder().encodeToString(new byte[32])));

            assertThat(secure.exitCode()).as(secure.stderr()).isZero();
            assertThat(secure.stdout()).startsWith(DEVICE + " SECURE").contains("IN TLSA " + daneEe(device.cert()));
            assertThat(wrongPin.exitCode()).as(wrongPin.stderr()).isEqualTo(1);
            assertThat(wrongPin.stdout()).startsWith(DEVICE + " NETWORK_ERROR").contains("matches no pin");
            assertThat(unbound.stat("num.query.tls")).as("the lookups went over DoT").isPositive();
        }
    }

    private static String[] args(String command, String name, List<String> options, String... more) {
        List<String> all = new java.util.ArrayList<>(List.of(command, name));
        all.addAll(options);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static String resolver() {
        return "127.0.0.1:" + knot.port();
    }

    @Test
    void lookupPrintsTheSecureRecordsAndExitsZero() throws Exception {
        CliRunner.Result r = CliRunner.run("lookup", DEVICE, "--resolver", resolver(), "--trust-anchors", anchors.toString());

        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).startsWith(DEVICE + " SECURE")
                .contains(DEVICE + ". ").contains("IN TLSA " + daneEe(device.cert()));
    }

    @Test
    void lookupInAnUnsignedZoneExitsOne() throws Exception {
        CliRunner.Result r = CliRunner.run("lookup", UNSIGNED_DEVICE, "--resolver", resolver(),
                "--trust-anchors", anchors.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stdout()).startsWith(UNSIGNED_DEVICE + " INSECURE").doesNotContain("IN TLSA");
    }

    @Test
    void lookupWithTheWrongTrustAnchorIsBogus(@TempDir Path dir) throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong.zone"), KnotDns.unrelatedTrustAnchor("example.test"));

        CliRunner.Result r = CliRunner.run("lookup", DEVICE, "--resolver", resolver(), "--trust-anchors", wrong.toString());

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.stdout()).startsWith(DEVICE + " BOGUS");
    }

    @Test
    void verifyAuthenticatesTheDeviceAndRefusesAnImpostor(@TempDir Path dir) throws Exception {
        Path impostor = TestPki.writePem(dir.resolve("impostor.pem"), List.of(TestPki.leaf("sensor7").build().cert()));

        CliRunner.Result ok = CliRunner.run("verify", DEVICE, "--chain", chain.toString(), "--resolver", resolver(),
                "--trust-anchors", anchors.toString());
        CliRunner.Result refused = CliRunner.run("verify", DEVICE, "--chain", impostor.toString(),
                "--resolver", resolver(), "--trust-anchors", anchors.toString());
        CliRunner.Result insecure = CliRunner.run("verify", UNSIGNED_DEVICE, "--chain", chain.toString(),
                "--resolver", resolver(), "--trust-anchors", anchors.toString());

        assertThat(ok.exitCode()).as(ok.stdout() + ok.stderr()).isZero();
        assertThat(ok.stdout()).startsWith("AUTHENTICATED " + DEVICE).contains("record=3 1 1 depth=0");
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.stdout()).startsWith("REJECTED " + DEVICE).contains("reason=NO_MATCH");
        assertThat(insecure.exitCode()).isEqualTo(1);
        assertThat(insecure.stdout()).contains("reason=DNS_INSECURE");
    }

    @Test
    void verifyAuthenticatesADeviceWhoseCertificateHasEmptyNames() throws Exception {
        CliRunner.Result ok = CliRunner.run("verify", BLANK_DEVICE, "--chain", blankChain.toString(),
                "--resolver", resolver(), "--trust-anchors", anchors.toString());

        assertThat(ok.exitCode()).as(ok.stdout() + ok.stderr()).isZero();
        assertThat(ok.stdout()).startsWith("AUTHENTICATED " + BLANK_DEVICE);
    }
}
