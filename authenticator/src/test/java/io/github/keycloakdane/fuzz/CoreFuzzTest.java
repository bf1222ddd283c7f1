package io.github.keycloakdane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DaneMatcher;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchPolicy;
import io.github.keycloakdane.core.MatchResult;
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
 * Every parser of untrusted input in the core, and the verifier (so the matcher) fed arbitrary bytes: each input ends
 * in a typed outcome, never in an uncaught exception, and never in an authentication without a record that matched.
 *
 * <p>One fuzz target that hands the input to one of four parsers (the first byte chooses): Jazzer fuzzes one target
 * per JVM, so one target keeps {@code mvn verify}'s bounded run to one JVM start. In {@code mvn verify} it fuzzes for
 * {@code fuzz.duration}; for a longer run see the README.
 */
class CoreFuzzTest {

    private static final X509Certificate LEAF;
    private static final X509Certificate CA;

    static {
        TestPki.Issued ca = TestPki.ca("fuzz CA").build();
        CA = ca.cert();
        LEAF = TestPki.leaf("fuzz").issuer(ca).dnsNames("a.example.com").build().cert();
    }

    @FuzzTest(maxDuration = "40s")
    void untrustedInput(FuzzedDataProvider data) {
        switch (data.consumeInt(0, 3)) {
            case 0 -> names(data.consumeRemainingAsString());
            case 1 -> records(data);
            case 2 -> certificates(data.consumeRemainingAsBytes());
            default -> verify(data);
        }
    }

    /** Any text is a name in normal form or an {@link InvalidNameException}; allow lists likewise. */
    private static void names(String text) {
        try {
            DaneName name = DaneName.parse(text);
            assertThat(DaneName.parse(name.value())).isEqualTo(name); // the normal form is a fixed point
            assertThat(name.value().length()).isLessThanOrEqualTo(DaneName.MAX_NAME_LENGTH);
            AllowList.parse(text).admits(name);
        } catch (InvalidNameException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    /**
     * TLSA wire fields and presentation text: a usable record, an {@link UnusableRecordException} (a record set
     * aside), or an {@link IllegalArgumentException} (not TLSA presentation format at all).
     */
    private static void records(FuzzedDataProvider data) {
        try {
            TlsaRecord.of(data.consumeInt(0, 255), data.consumeInt(0, 255), data.consumeInt(0, 255),
                    data.consumeBytes(data.consumeInt(0, 2048)));
        } catch (UnusableRecordException expected) {
            // set aside
        }
        try {
            TlsaRecord.parse(data.consumeRemainingAsString());
        } catch (UnusableRecordException | IllegalArgumentException expected) {
            // set aside, or not TLSA text
        }
    }

    /** Any bytes are a certificate whose DANE views can be taken, or a {@link CertificateException}. */
    private static void certificates(byte[] der) {
        X509Certificate certificate;
        try {
            certificate = CertificateParser.parseDer(der);
        } catch (CertificateException expected) {
            return;
        }
        Certificates.der(certificate);
        Certificates.subjectPublicKeyInfo(certificate);
        Certificates.dnsNames(certificate);
    }

    /** Names, records and chains (real certificates and certificates made of the input) through the verifier. */
    private static void verify(FuzzedDataProvider data) {
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
        DaneVerifier verifier = new DaneVerifier(n -> new TlsaLookup(status,
                status == DnssecStatus.SECURE ? records : List.of(), List.of(), 60, "fuzz"),
                AllowList.any(), MatchPolicy.defaults());

        DaneOutcome outcome = verifier.verify(name, chain);

        assertThat(outcome.reason()).isNotNull();
        if (outcome.authenticated()) {
            assertThat(status).isEqualTo(DnssecStatus.SECURE);
            assertThat(records).contains(outcome.record());
        }
    }
}
