package io.github.keycloakdane.core;

import io.github.keycloakdane.core.Fixtures.Pki;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static io.github.keycloakdane.core.Fixtures.IDENTITY;
import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.nonMatching;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** The order of checks and the mapping of DNS outcomes to reasons (dane-reference §6 items 5, 11, 13, 16). */
class DaneVerifierTest {

    private static Pki pki;
    private static TlsaRecord eeRecord;

    @BeforeAll
    static void pki() {
        pki = Pki.of(KeyType.EC_P256, IDENTITY);
        eeRecord = tlsa(3, 1, 1, pki.leaf().cert());
    }

    /** A TlsaSource that records every name it is asked for. */
    private static final class CountingSource implements TlsaSource {
        final List<DaneName> asked = new CopyOnWriteArrayList<>();
        private final Function<DaneName, TlsaLookup> answer;

        CountingSource(Function<DaneName, TlsaLookup> answer) {
            this.answer = answer;
        }

        @Override
        public TlsaLookup lookup(DaneName name) {
            asked.add(name);
            return answer.apply(name);
        }
    }

    private static TlsaLookup secure(TlsaRecord... records) {
        return new TlsaLookup(DnssecStatus.SECURE, List.of(records), List.of(), 300, "secure");
    }

    private static AllowList allow(String... entries) {
        try {
            return AllowList.parse(List.of(entries));
        } catch (InvalidNameException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertRejected(DaneOutcome outcome, Reason reason) {
        assertThat(outcome.reason()).as(outcome.toString()).isEqualTo(reason);
        assertThat(outcome.authenticated()).isFalse();
        assertThat(outcome.record()).isNull();
        assertThat(outcome.recordAtDepth()).isNull();
        assertThat(outcome.depth()).isEqualTo(-1);
        assertThat(outcome.toString()).startsWith("REJECTED");
    }

    @Test
    void successCarriesRecordDepthAndStatus() {
        CountingSource source = new CountingSource(n -> secure(nonMatching(3, 1, 1), eeRecord));
        DaneVerifier verifier = new DaneVerifier(source, allow(".example.com"), MatchPolicy.defaults());

        DaneOutcome outcome = verifier.verify("Device1._DEVICE.example.com.", pki.fullChain());

        assertThat(outcome.authenticated()).as(outcome.toString()).isTrue();
        assertThat(outcome.reason()).isEqualTo(Reason.OK);
        assertThat(outcome.identity()).isEqualTo(IDENTITY);
        assertThat(outcome.dnssec()).isEqualTo(DnssecStatus.SECURE);
        assertThat(outcome.record()).isEqualTo(eeRecord);
        assertThat(outcome.depth()).isZero();
        assertThat(outcome.recordAtDepth()).isEqualTo("3 1 1@0");
        assertThat(outcome.toString()).startsWith("AUTHENTICATED " + IDENTITY);
        assertThat(source.asked).containsExactly(name(IDENTITY));
    }

    @Test
    void successWithATrustAnchorReportsItsDepth() {
        TlsaRecord ta = tlsa(2, 0, 1, pki.root().cert());
        DaneVerifier verifier = new DaneVerifier(new CountingSource(n -> secure(ta)), allow(IDENTITY),
                MatchPolicy.defaults());
        DaneOutcome outcome = verifier.verify(IDENTITY, pki.fullChain());
        assertThat(outcome.authenticated()).as(outcome.toString()).isTrue();
        assertThat(outcome.record()).isEqualTo(ta);
        assertThat(outcome.depth()).isEqualTo(2);
        assertThat(outcome.recordAtDepth()).isEqualTo("2 0 1@2");
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"bücher.example", "a..example.com", "*._device.example.com", "x/y.example.com",
            "\\065.example.com", "localhost"})
    void invalidNameMakesNoLookup(String claimed) {
        CountingSource source = new CountingSource(n -> secure(eeRecord));
        DaneOutcome outcome = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults())
                .verify(claimed, pki.fullChain());
        assertRejected(outcome, Reason.INVALID_NAME);
        assertThat(outcome.identity()).isEqualTo(claimed);
        assertThat(outcome.dnssec()).isNull();
        assertThat(outcome.detail()).isNotBlank();
        assertThat(source.asked).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"device1._device.example.org", "badexample.com", "example.com", "a.b._device.example.com",
            "device1.example.com"})
    void nameNotOnTheAllowListMakesNoLookup(String claimed) {
        CountingSource source = new CountingSource(n -> secure(eeRecord));
        DaneVerifier verifier = new DaneVerifier(source, allow("*._device.example.com", ".sub.example.com"),
                MatchPolicy.defaults());
        DaneOutcome outcome = verifier.verify(claimed, pki.fullChain());
        assertRejected(outcome, Reason.NOT_ALLOWED);
        assertThat(outcome.identity()).isEqualTo(claimed);
        assertThat(outcome.dnssec()).isNull();
        assertThat(source.asked).isEmpty();
    }

    @Test
    void emptyAllowListAdmitsNobody() {
        CountingSource source = new CountingSource(n -> secure(eeRecord));
        DaneOutcome outcome = new DaneVerifier(source, allow(), MatchPolicy.defaults()).verify(IDENTITY, pki.fullChain());
        assertRejected(outcome, Reason.NOT_ALLOWED);
        assertThat(source.asked).isEmpty();
    }

    @Test
    void additionalAllowListMustAlsoAdmitTheName() {
        CountingSource source = new CountingSource(n -> secure(eeRecord));
        DaneVerifier verifier = new DaneVerifier(source, allow(".example.com"), MatchPolicy.defaults());

        assertRejected(verifier.verify(IDENTITY, pki.fullChain(), allow("other._device.example.com")),
                Reason.NOT_ALLOWED);
        assertRejected(verifier.verify(IDENTITY, pki.fullChain(), allow()), Reason.NOT_ALLOWED);
        assertThat(source.asked).isEmpty();

        assertThat(verifier.verify(IDENTITY, pki.fullChain(), allow("*._device.example.com")).authenticated()).isTrue();
        assertThat(verifier.verify(IDENTITY, pki.fullChain(), null).authenticated()).isTrue();
        assertThat(source.asked).hasSize(2);

        // and the additional list does not widen the verifier's own
        DaneVerifier narrow = new DaneVerifier(source, allow("other.example.com"), MatchPolicy.defaults());
        assertRejected(narrow.verify(IDENTITY, pki.fullChain(), AllowList.any()), Reason.NOT_ALLOWED);
        assertThat(source.asked).hasSize(2);
    }

    @Test
    void missingCertificateMakesNoLookup() {
        CountingSource source = new CountingSource(n -> secure(eeRecord));
        DaneVerifier verifier = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults());
        List<X509Certificate> withNull = new ArrayList<>();
        withNull.add(null);
        for (List<X509Certificate> chain : java.util.Arrays.asList(null, List.<X509Certificate>of(), withNull)) {
            DaneOutcome outcome = verifier.verify(IDENTITY, chain);
            assertRejected(outcome, Reason.NO_CERTIFICATE);
            assertThat(outcome.identity()).isEqualTo(IDENTITY);
            assertThat(outcome.dnssec()).isNull();
        }
        assertThat(source.asked).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource({
            "INSECURE, DNS_INSECURE",
            "BOGUS, DNS_BOGUS",
            "NXDOMAIN, DNS_NO_RECORDS",
            "NODATA, DNS_NO_RECORDS",
            "TIMEOUT, DNS_TIMEOUT",
            "SERVFAIL, DNS_ERROR",
            "NETWORK_ERROR, DNS_ERROR",
    })
    void dnsFailuresMapToReasons(DnssecStatus status, Reason reason) {
        CountingSource source = new CountingSource(n -> TlsaLookup.failed(status, "because " + status));
        DaneOutcome outcome = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults())
                .verify(IDENTITY, pki.fullChain());
        assertRejected(outcome, reason);
        assertThat(outcome.dnssec()).isEqualTo(status);
        assertThat(outcome.detail()).isEqualTo("because " + status);
        assertThat(source.asked).containsExactly(name(IDENTITY));
    }

    @ParameterizedTest
    @EnumSource(value = DnssecStatus.class, names = "SECURE", mode = EnumSource.Mode.EXCLUDE)
    void onlySecureAnswersAuthenticateEvenWithMatchingRecords(DnssecStatus status) {
        // a source that (wrongly) hands over matching records with a non-secure status must not authenticate
        CountingSource source = new CountingSource(n -> new TlsaLookup(status, List.of(eeRecord), List.of(), 60, "x"));
        DaneOutcome outcome = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults())
                .verify(IDENTITY, pki.fullChain());
        assertThat(outcome.authenticated()).isFalse();
        assertThat(outcome.reason()).isNotEqualTo(Reason.OK);
    }

    @Test
    void secureAnswerWithoutUsableRecords() {
        CountingSource source = new CountingSource(n -> new TlsaLookup(DnssecStatus.SECURE, List.of(),
                List.of("3 1 7: unknown matching type 7", "3 1 1: SHA2_256 data must be 32 octets, not 31"), 300, "x"));
        DaneOutcome outcome = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults())
                .verify(IDENTITY, pki.fullChain());
        assertRejected(outcome, Reason.NO_USABLE_RECORDS);
        assertThat(outcome.dnssec()).isEqualTo(DnssecStatus.SECURE);
        assertThat(outcome.detail()).contains("3 1 7");
    }

    @Test
    void secureAnswerWithOnlyPkixRecordsAndNoTrustStore() {
        CountingSource source = new CountingSource(n -> secure(tlsa(1, 1, 1, pki.leaf().cert()),
                tlsa(0, 0, 1, pki.root().cert())));
        DaneOutcome outcome = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults())
                .verify(IDENTITY, pki.fullChain());
        assertRejected(outcome, Reason.NO_USABLE_RECORDS);
        assertThat(outcome.dnssec()).isEqualTo(DnssecStatus.SECURE);
    }

    @Test
    void matchFailuresAreReported() {
        DaneVerifier noMatch = new DaneVerifier(n -> secure(nonMatching(3, 1, 1)), AllowList.any(),
                MatchPolicy.defaults());
        DaneOutcome outcome = noMatch.verify(IDENTITY, pki.fullChain());
        assertRejected(outcome, Reason.NO_MATCH);
        assertThat(outcome.dnssec()).isEqualTo(DnssecStatus.SECURE);

        DaneVerifier wrongName = new DaneVerifier(n -> secure(tlsa(2, 0, 1, pki.intermediate().cert())),
                AllowList.any(), MatchPolicy.defaults());
        assertRejected(wrongName.verify("device2._device.example.com", pki.fullChain()), Reason.NAME_MISMATCH);
    }

    @Test
    void throwingSourceIsADnsErrorNotAnException() {
        CountingSource source = new CountingSource(n -> {
            throw new IllegalStateException("resolver bug");
        });
        DaneVerifier verifier = new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults());
        DaneOutcome[] outcome = new DaneOutcome[1];
        assertThatCode(() -> outcome[0] = verifier.verify(IDENTITY, pki.fullChain())).doesNotThrowAnyException();
        assertRejected(outcome[0], Reason.DNS_ERROR);
        assertThat(outcome[0].dnssec()).isEqualTo(DnssecStatus.NETWORK_ERROR);
        assertThat(outcome[0].detail()).contains("resolver bug");
        assertThat(source.asked).hasSize(1);
    }

    @Test
    void policyIsApplied() {
        Issued noSan = TestPki.leaf("no san").build();
        TlsaRecord record = tlsa(3, 1, 1, noSan.cert());
        TlsaSource source = n -> secure(record);
        assertThat(new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults())
                .verify(IDENTITY, List.of(noSan.cert())).authenticated()).isTrue();
        assertRejected(new DaneVerifier(source, AllowList.any(), MatchPolicy.defaults().withEeNameCheck(true))
                .verify(IDENTITY, List.of(noSan.cert())), Reason.NAME_MISMATCH);
    }

    /**
     * dane-reference §6 item 11 end to end: {@code *._device.example.com. IN TLSA 2 0 1 <orgCA>}, served for every
     * device name by a DNS wildcard, and an allow list entry of the same shape.
     */
    @Test
    void wildcardOwnerScenario() throws UnusableRecordException {
        Issued orgCa = TestPki.ca("Example Org Device CA").build();
        TlsaRecord wildcard = TlsaRecord.parse("*._device.example.com. IN TLSA 2 0 1 "
                + Fixtures.hex(Fixtures.association(orgCa.cert(), 0, 1)));
        CountingSource dns = new CountingSource(n -> n.value().endsWith("._device.example.com")
                && n.labels().size() == 4 ? secure(wildcard) : TlsaLookup.failed(DnssecStatus.NXDOMAIN, "no such name"));
        DaneVerifier verifier = new DaneVerifier(dns, allow("*._device.example.com"), MatchPolicy.defaults());

        List<X509Certificate> sensor9 = List.of(TestPki.leaf("sensor9").issuer(orgCa)
                .dnsNames("sensor9._device.example.com").build().cert(), orgCa.cert());
        List<X509Certificate> sensor8 = List.of(TestPki.leaf("sensor8").issuer(orgCa)
                .dnsNames("sensor8._device.example.com").build().cert(), orgCa.cert());

        DaneOutcome ok = verifier.verify("sensor9._device.example.com", sensor9);
        assertThat(ok.authenticated()).as(ok.toString()).isTrue();
        assertThat(ok.record()).isEqualTo(wildcard);
        assertThat(ok.depth()).isEqualTo(1);

        assertRejected(verifier.verify("sensor9._device.example.com", sensor8), Reason.NAME_MISMATCH);
        assertThat(verifier.verify("sensor8._device.example.com", sensor8).authenticated()).isTrue();

        // a deeper name is refused by the allow list before DNS is asked
        int asked = dns.asked.size();
        assertRejected(verifier.verify("x.sensor9._device.example.com", sensor9), Reason.NOT_ALLOWED);
        assertThat(dns.asked).hasSize(asked);
    }
}
