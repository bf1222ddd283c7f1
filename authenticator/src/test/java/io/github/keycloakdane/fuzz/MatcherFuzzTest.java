package io.github.keycloakdane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.DaneMatcher;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchResult;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.MatchPolicy;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;
import io.github.keycloakdane.testing.TestPki;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The verifier (and so the matcher) fed arbitrary names, records and chains, some certificates real and some made of
 * the fuzzer's bytes: every input ends in a typed outcome, and never in an authentication without a record that
 * could match.
 */
class MatcherFuzzTest {

    private static final X509Certificate LEAF;
    private static final X509Certificate CA;

    static {
        TestPki.Issued ca = TestPki.ca("fuzz CA").build();
        CA = ca.cert();
        LEAF = TestPki.leaf("fuzz").issuer(ca).dnsNames("a.example.com").build().cert();
    }

    @FuzzTest(maxDuration = "10s")
    void verify(FuzzedDataProvider data) {
        String name = data.consumeBoolean() ? "a.example.com" : data.consumeString(80);
        List<TlsaRecord> records = new ArrayList<>();
        int count = data.consumeInt(0, 4);
        for (int i = 0; i < count; i++) {
            try {
                records.add(TlsaRecord.of(data.consumeInt(0, 4), data.consumeInt(0, 2), data.consumeInt(0, 3),
                        data.consumeBytes(data.consumeInt(0, 600))));
            } catch (UnusableRecordException expected) {
                // set aside, as the DNS layer does
            }
        }
        List<X509Certificate> chain = new ArrayList<>();
        int depth = data.consumeInt(0, 3);
        for (int i = 0; i < depth; i++) {
            switch (data.consumeInt(0, 2)) {
                case 0 -> chain.add(LEAF);
                case 1 -> chain.add(CA);
                default -> {
                    try {
                        chain.add(CertificateParser.parseDer(data.consumeBytes(data.consumeInt(0, 800))));
                    } catch (CertificateException expected) {
                        // not a certificate: the lookup would not hand it over
                    }
                }
            }
        }
        DaneName parsed = null;
        try {
            parsed = DaneName.parse(name);
        } catch (InvalidNameException expected) {
            // the verifier refuses it below
        }
        if (parsed != null && !chain.isEmpty()) {
            // the pure function itself, not behind the verifier's safety net: it must not throw
            MatchResult match = DaneMatcher.match(parsed, chain, records, MatchPolicy.defaults());
            assertThat(match.matched() ? match.record() : match.reason()).isNotNull();
        }
        DnssecStatus status = data.pickValue(DnssecStatus.values());
        DaneVerifier verifier = new DaneVerifier(n -> new TlsaLookup(status, status == DnssecStatus.SECURE ? records
                : List.of(), List.of(), 60, "fuzz"), AllowList.any(), MatchPolicy.defaults());

        DaneOutcome outcome = verifier.verify(name, chain);

        assertThat(outcome.reason()).isNotNull();
        if (outcome.authenticated()) {
            assertThat(status).isEqualTo(DnssecStatus.SECURE);
            assertThat(records).contains(outcome.matched());
        }
    }
}
