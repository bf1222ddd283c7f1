package io.github.keycloakdane.bench;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.DaneMatcher;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchPolicy;
import io.github.keycloakdane.core.MatchResult;
import io.github.keycloakdane.core.MatchingType;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * One DANE check on a warm node: the matcher alone, and the verifier (name, allow list, certificate, the TLSA answer
 * from an in-memory source as from the cache, match). {@code 3 1 1} and {@code 3 0 1}: a SHA-256 over the leaf's
 * SubjectPublicKeyInfo or whole certificate (ECDSA P-256, the TestPki default); {@code 2 0 1}: the CA the device sends
 * after its leaf, then the JDK's PKIX validation from that CA to the leaf and the SAN name check. With
 * {@code fresh=true} every invocation gets certificates parsed anew (outside the measured time), as every request
 * brings new ones (a certificate object may remember what was computed or verified on it); with {@code fresh=false}
 * one set of certificate objects serves throughout.
 */
@State(Scope.Benchmark)
public class MatchBenchmark {

    private static final String NAME = "sensor7._device.example.com";

    @Param({"3 1 1", "3 0 1", "2 0 1"})
    public String record;

    @Param({"true", "false"})
    public boolean fresh;

    private DaneName name;
    private List<X509Certificate> chain;
    private List<byte[]> chainDer;
    private List<TlsaRecord> records;
    private DaneVerifier verifier;
    private final MatchPolicy policy = MatchPolicy.defaults();

    @Setup
    public void setUp() throws InvalidNameException, UnusableRecordException, CertificateException {
        name = DaneName.parse(NAME);
        Issued ca = TestPki.ca("bench CA").build();
        Issued leaf = TestPki.leaf("sensor7").issuer(ca).dnsNames(NAME).build();
        chainDer = List.of(leaf.cert().getEncoded(), ca.cert().getEncoded());
        freshCertificates();
        byte[] selected = switch (record) {
            case "3 1 1" -> leaf.cert().getPublicKey().getEncoded();
            case "3 0 1" -> leaf.cert().getEncoded();
            case "2 0 1" -> ca.cert().getEncoded();
            default -> throw new IllegalArgumentException(record);
        };
        String[] usm = record.split(" ");
        records = List.of(TlsaRecord.of(Integer.parseInt(usm[0]), Integer.parseInt(usm[1]), Integer.parseInt(usm[2]),
                MatchingType.SHA2_256.apply(selected)));
        TlsaLookup answer = new TlsaLookup(DnssecStatus.SECURE, records, List.of(), 300, "1 TLSA record(s), 1 usable");
        verifier = new DaneVerifier(n -> answer, AllowList.parse(List.of("*._device.example.com")), policy);
        if (!DaneMatcher.match(name, chain, records, policy).matched() || !verifier.verify(NAME, chain).authenticated()) {
            throw new IllegalStateException(record + " does not match: the benchmark would measure a refusal");
        }
    }

    /** The chain as the x509cert-lookup hands it over: certificates parsed from the request, never verified yet. */
    @Setup(Level.Invocation)
    public void freshCertificates() throws CertificateException {
        if (fresh || chain == null) {
            chain = List.of(CertificateParser.parseDer(chainDer.get(0)), CertificateParser.parseDer(chainDer.get(1)));
        }
    }

    @Benchmark
    public MatchResult match() {
        return DaneMatcher.match(name, chain, records, policy);
    }

    @Benchmark
    public DaneOutcome verify() {
        return verifier.verify(NAME, chain);
    }
}
