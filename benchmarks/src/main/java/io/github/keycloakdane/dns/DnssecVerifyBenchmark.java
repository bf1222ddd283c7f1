package io.github.keycloakdane.dns;

import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.TLSARecord;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;

/**
 * One DNSSEC signature check as dnsjava's validator makes it ({@link DNSSEC#verify}: the RRset's canonical digest
 * input and one ECDSA P-256 signature, algorithm 13, which Knot and most zones sign with) on a TLSA RRset, with the
 * provider the JVM picks: {@code sunEc} in a plain JVM (the JDK's SunEC), {@code bouncyCastle} in a JVM started with
 * the java.security override of docs/PRODUCTION.md ({@code benchmarks/dnssec-bc.security}: BouncyCastle preferred for
 * ECDSA; BouncyCastle registered at run time, as Keycloak does). The set-up fails when the JVM picked another provider
 * than the benchmark's name says, so a figure is never attributed to the wrong one. Run from the repository root
 * ({@code scripts/jmh.sh}), where the override's relative path resolves.
 */
@State(Scope.Benchmark)
public class DnssecVerifyBenchmark {

    private RRset rrset;
    private RRSIGRecord signature;
    private DNSKEYRecord key;
    private boolean checked;

    @Setup
    public void setUp() throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        Name zone = Name.fromString("example.test.");
        key = new DNSKEYRecord(zone, DClass.IN, 3600, 257, DNSKEYRecord.Protocol.DNSSEC,
                DNSSEC.Algorithm.ECDSAP256SHA256, pair.getPublic());
        rrset = new RRset(new TLSARecord(Name.fromString("sensor7._device.example.test."), DClass.IN, 300, 3, 1, 1,
                new byte[32]));
        Instant now = Instant.now();
        signature = DNSSEC.sign(rrset, key, pair.getPrivate(), now.minusSeconds(60), now.plusSeconds(86_400));
    }

    private static void expectProvider(String name) throws Exception {
        String picked = Signature.getInstance("SHA256withECDSA").getProvider().getName();
        if (!picked.equals(name)) {
            throw new IllegalStateException("this JVM checks ECDSA signatures with " + picked + ", not " + name);
        }
    }

    @Benchmark
    public RRSIGRecord sunEc() throws Exception {
        expectOnce("SunEC");
        DNSSEC.verify(rrset, signature, key);
        return signature;
    }

    @Benchmark
    @Fork(jvmArgsAppend = "-Djava.security.properties=benchmarks/dnssec-bc.security")
    public RRSIGRecord bouncyCastle() throws Exception {
        expectOnce("BC");
        DNSSEC.verify(rrset, signature, key);
        return signature;
    }

    /** The provider check, once per fork: outside the loop it would not see which benchmark runs. */
    private void expectOnce(String provider) throws Exception {
        if (!checked) {
            expectProvider(provider);
            checked = true;
        }
    }
}
