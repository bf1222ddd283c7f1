package io.github.keycloakdane.core;

import io.github.keycloakdane.core.Fixtures.Pki;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static io.github.keycloakdane.core.Fixtures.IDENTITY;
import static io.github.keycloakdane.core.Fixtures.association;
import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.nonMatching;
import static io.github.keycloakdane.core.Fixtures.oneBitOff;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;

/** dane-reference §6 items 1–12: the matching rules of RFC 6698 / RFC 7671 and draft-ietf-dance-client-auth §5. */
class DaneMatcherTest {

    private static final DaneName ID = name(IDENTITY);
    private static final MatchPolicy DEFAULTS = MatchPolicy.defaults();

    /** One PKI per key type, made once: RSA key generation is slow. */
    private static final Map<KeyType, Pki> PKIS = new EnumMap<>(KeyType.class);

    private static Pki pki(KeyType type) {
        synchronized (PKIS) {
            return PKIS.computeIfAbsent(type, t -> Pki.of(t, IDENTITY));
        }
    }

    private static MatchResult match(List<X509Certificate> chain, TlsaRecord... records) {
        return DaneMatcher.match(ID, chain, List.of(records), DEFAULTS);
    }

    private static void assertOk(MatchResult result, TlsaRecord expected, int depth) {
        assertThat(result.reason()).as(result.detail()).isEqualTo(Reason.OK);
        assertThat(result.matched()).isTrue();
        assertThat(result.record()).isEqualTo(expected);
        assertThat(result.depth()).isEqualTo(depth);
    }

    private static void assertFails(MatchResult result, Reason reason) {
        assertThat(result.reason()).as(result.detail()).isEqualTo(reason);
        assertThat(result.matched()).isFalse();
        assertThat(result.record()).isNull();
        assertThat(result.depth()).isEqualTo(-1);
        assertThat(result.detail()).isNotBlank();
    }

    static Stream<Arguments> selectorsAndMatchingTypes() {
        return Stream.of(Arguments.of(0, 0), Arguments.of(0, 1), Arguments.of(0, 2),
                Arguments.of(1, 0), Arguments.of(1, 1), Arguments.of(1, 2));
    }

    static Stream<Arguments> keyTypesSelectorsAndMatchingTypes() {
        return Arrays.stream(KeyType.values()).flatMap(k -> selectorsAndMatchingTypes()
                .map(a -> Arguments.of(k, a.get()[0], a.get()[1])));
    }

    static Stream<Arguments> digestSelectorsAndMatchingTypes() {
        return Stream.of(Arguments.of(0, 1), Arguments.of(0, 2), Arguments.of(1, 1), Arguments.of(1, 2));
    }

    @Nested
    class DaneEe {

        @ParameterizedTest(name = "[{index}] {0}: 3 {1} {2}")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#keyTypesSelectorsAndMatchingTypes")
        void everySelectorAndMatchingTypeMatchesTheLeaf(KeyType type, int selector, int matchingType) {
            Issued selfSigned = TestPki.leaf("ee " + type).keyType(type).build();
            TlsaRecord record = tlsa(3, selector, matchingType, selfSigned.cert());
            assertOk(match(List.of(selfSigned.cert()), record), record, 0);
        }

        @ParameterizedTest(name = "[{index}] {0}: 3 {1} {2} with a full chain")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#keyTypesSelectorsAndMatchingTypes")
        void matchesTheLeafOfAFullChain(KeyType type, int selector, int matchingType) {
            Pki pki = pki(type);
            TlsaRecord record = tlsa(3, selector, matchingType, pki.leaf().cert());
            assertOk(match(pki.fullChain(), record), record, 0);
        }

        @ParameterizedTest(name = "[{index}] 3 {0} {1} one bit off")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#digestSelectorsAndMatchingTypes")
        void oneBitWrongDigestDoesNotMatch(int selector, int matchingType) {
            X509Certificate leaf = pki(KeyType.EC_P256).leaf().cert();
            assertFails(match(List.of(leaf), oneBitOff(3, selector, matchingType, leaf)), Reason.NO_MATCH);
            // and the correct digest does, so it is the bit that matters
            assertThat(match(List.of(leaf), tlsa(3, selector, matchingType, leaf)).matched()).isTrue();
        }

        @Test
        void oneBitWrongFullCertificateDoesNotMatch() {
            X509Certificate leaf = pki(KeyType.RSA).leaf().cert();
            // flip a bit in the signature: still a parsable certificate, but not the presented one
            byte[] der = association(leaf, 0, 0);
            der[der.length - 1] ^= 1;
            TlsaRecord record = tlsa(3, 0, 0, der);
            assertFails(match(List.of(leaf), record), Reason.NO_MATCH);
        }

        @Test
        void fullSpkiOfAnotherKeyDoesNotMatch() {
            X509Certificate leaf = pki(KeyType.EC_P256).leaf().cert();
            X509Certificate other = TestPki.leaf("other").build().cert();
            assertFails(match(List.of(leaf), tlsa(3, 1, 0, other)), Reason.NO_MATCH);
            assertFails(match(List.of(leaf), tlsa(3, 0, 0, other)), Reason.NO_MATCH);
        }

        @Test
        void sameKeyInANewCertificateStillMatchesSpkiButNotCert() {
            Issued first = TestPki.leaf("first").build();
            Issued renewed = TestPki.leaf("renewed").keyPair(first.keyPair()).build();
            assertThat(match(List.of(renewed.cert()), tlsa(3, 1, 1, first.cert())).matched()).isTrue();
            assertFails(match(List.of(renewed.cert()), tlsa(3, 0, 1, first.cert())), Reason.NO_MATCH);
        }

        @Test
        void eeRecordsOnlyLookAtTheLeaf() {
            Pki pki = pki(KeyType.EC_P256);
            assertFails(match(pki.fullChain(), tlsa(3, 1, 1, pki.intermediate().cert())), Reason.NO_MATCH);
            assertFails(match(pki.fullChain(), tlsa(3, 0, 1, pki.root().cert())), Reason.NO_MATCH);
        }

        static Stream<Arguments> badDates() {
            List<Arguments> args = new ArrayList<>();
            for (String when : List.of("expired", "notYetValid", "neverValid")) {
                selectorsAndMatchingTypes().forEach(a -> args.add(Arguments.of(when, a.get()[0], a.get()[1])));
            }
            return args.stream();
        }

        private Issued leafWithDates(String when, Issued issuer) {
            TestPki.Builder b = TestPki.leaf("dates " + when).dnsNames(IDENTITY);
            if (issuer != null) {
                b.issuer(issuer);
            }
            return switch (when) {
                case "expired" -> b.expired().build();
                case "notYetValid" -> b.notYetValid().build();
                case "neverValid" -> b.neverValid().build();
                default -> throw new IllegalArgumentException(when);
            };
        }

        @ParameterizedTest(name = "[{index}] {0} leaf, 3 {1} {2}")
        @MethodSource("badDates")
        void certificateDatesAreIgnored(String when, int selector, int matchingType) {
            Issued leaf = leafWithDates(when, null);
            TlsaRecord record = tlsa(3, selector, matchingType, leaf.cert());
            assertOk(match(List.of(leaf.cert()), record), record, 0);
            assertOk(DaneMatcher.match(ID, List.of(leaf.cert()), List.of(record), DEFAULTS.withEeNameCheck(true)),
                    record, 0);
        }

        @ParameterizedTest(name = "[{index}] {0} leaf under a valid CA")
        @CsvSource({"expired", "notYetValid", "neverValid"})
        void certificateDatesAreIgnoredWithAChainToo(String when) {
            Pki pki = pki(KeyType.EC_P256);
            Issued leaf = leafWithDates(when, pki.intermediate());
            TlsaRecord record = tlsa(3, 1, 1, leaf.cert());
            assertOk(match(pki.withLeaf(leaf).fullChain(), record), record, 0);
        }

        @Test
        void sanMissingOrDifferentPassesByDefault() {
            Issued noSan = TestPki.leaf("no san").build();
            Issued otherSan = TestPki.leaf("other san").dnsNames("device2._device.example.com").build();
            for (Issued leaf : List.of(noSan, otherSan)) {
                TlsaRecord record = tlsa(3, 1, 1, leaf.cert());
                assertOk(match(List.of(leaf.cert()), record), record, 0);
            }
        }

        @ParameterizedTest(name = "[{index}] 3 {0} {1}")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#selectorsAndMatchingTypes")
        void sanMissingOrDifferentFailsWithEeNameCheck(int selector, int matchingType) {
            MatchPolicy strict = DEFAULTS.withEeNameCheck(true);
            Issued noSan = TestPki.leaf(IDENTITY).build(); // the CN does not count
            Issued otherSan = TestPki.leaf("other san").dnsNames("device2._device.example.com", "example.com").build();
            for (Issued leaf : List.of(noSan, otherSan)) {
                TlsaRecord record = tlsa(3, selector, matchingType, leaf.cert());
                assertFails(DaneMatcher.match(ID, List.of(leaf.cert()), List.of(record), strict), Reason.NAME_MISMATCH);
            }
            Issued rightSan = TestPki.leaf("right san").dnsNames("other.example.com", IDENTITY).build();
            TlsaRecord record = tlsa(3, selector, matchingType, rightSan.cert());
            assertOk(DaneMatcher.match(ID, List.of(rightSan.cert()), List.of(record), strict), record, 0);
        }

        @Test
        void eeNameCheckComparesCaseInsensitively() {
            Issued leaf = TestPki.leaf("case").dnsNames("DEVICE1._Device.Example.COM").build();
            TlsaRecord record = tlsa(3, 1, 1, leaf.cert());
            assertOk(DaneMatcher.match(ID, List.of(leaf.cert()), List.of(record), DEFAULTS.withEeNameCheck(true)),
                    record, 0);
        }

        @Test
        void nameMismatchIsReportedOnlyForTheRecordThatMatched() {
            Issued leaf = TestPki.leaf("no san").build();
            assertFails(DaneMatcher.match(ID, List.of(leaf.cert()), List.of(nonMatching(3, 1, 1)),
                    DEFAULTS.withEeNameCheck(true)), Reason.NO_MATCH);
        }
    }

    @Nested
    class UnusableRecords {

        @Test
        void emptyRrsetHasNoUsableRecords() {
            assertFails(match(List.of(pki(KeyType.EC_P256).leaf().cert())), Reason.NO_USABLE_RECORDS);
        }

        @Test
        void pkixRecordsWithoutTrustStoreAreUnusable() {
            Pki pki = pki(KeyType.EC_P256);
            TlsaRecord pkixEe = tlsa(1, 1, 1, pki.leaf().cert());
            TlsaRecord pkixTaRoot = tlsa(0, 0, 1, pki.root().cert());
            TlsaRecord pkixTaIntermediate = tlsa(0, 1, 2, pki.intermediate().cert());
            MatchResult result = match(pki.fullChain(), pkixEe, pkixTaRoot, pkixTaIntermediate);
            assertFails(result, Reason.NO_USABLE_RECORDS);
            assertThat(result.detail()).contains("PKIX");
            assertFails(match(pki.fullChain(), pkixEe), Reason.NO_USABLE_RECORDS);
            assertFails(match(pki.fullChain(), pkixTaRoot), Reason.NO_USABLE_RECORDS);
        }

        @Test
        void pkixRecordsWithoutTrustStoreDoNotHideADaneRecord() {
            Pki pki = pki(KeyType.EC_P256);
            TlsaRecord dane = tlsa(3, 1, 1, pki.leaf().cert());
            assertOk(match(pki.fullChain(), tlsa(1, 1, 1, pki.leaf().cert()), dane), dane, 0);
            assertFails(match(pki.fullChain(), tlsa(1, 1, 1, pki.leaf().cert()), nonMatching(3, 1, 1)),
                    Reason.NO_MATCH);
        }

        @Test
        void noCertificate() {
            TlsaRecord record = nonMatching(3, 1, 1);
            assertFails(match(List.of(), record), Reason.NO_CERTIFICATE);
            assertFails(DaneMatcher.match(ID, null, List.of(record), DEFAULTS), Reason.NO_CERTIFICATE);
            List<X509Certificate> withNull = new ArrayList<>();
            withNull.add(pki(KeyType.EC_P256).leaf().cert());
            withNull.add(null);
            assertFails(DaneMatcher.match(ID, withNull, List.of(tlsa(3, 1, 1, withNull.get(0))), DEFAULTS),
                    Reason.NO_CERTIFICATE);
        }
    }

    @Nested
    class Rrsets {

        @Test
        void anyMatchingRecordAuthenticates() {
            X509Certificate leaf = pki(KeyType.EC_P256).leaf().cert();
            TlsaRecord matching = tlsa(3, 1, 1, leaf);
            TlsaRecord other = tlsa(3, 1, 1, TestPki.leaf("someone else").build().cert());
            assertOk(match(List.of(leaf), other, matching), matching, 0);
            assertOk(match(List.of(leaf), matching, other), matching, 0);
            assertOk(match(List.of(leaf), nonMatching(3, 1, 1), oneBitOff(3, 1, 1, leaf), matching), matching, 0);
        }

        @Test
        void noMatchingRecordFails() {
            X509Certificate leaf = pki(KeyType.EC_P256).leaf().cert();
            assertFails(match(List.of(leaf), nonMatching(3, 1, 1), oneBitOff(3, 1, 1, leaf),
                    tlsa(3, 0, 0, TestPki.leaf("someone else").build().cert())), Reason.NO_MATCH);
        }
    }

    @Nested
    class DaneTa {

        @ParameterizedTest(name = "[{index}] {0}: 2 {1} {2} on the intermediate")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#keyTypesSelectorsAndMatchingTypes")
        void trustAnchorOnTheIntermediate(KeyType type, int selector, int matchingType) {
            Pki pki = pki(type);
            TlsaRecord record = tlsa(2, selector, matchingType, pki.intermediate().cert());
            assertOk(match(pki.fullChain(), record), record, 1);
            assertOk(match(pki.chainWithoutRoot(), record), record, 1);
        }

        @ParameterizedTest(name = "[{index}] {0}: 2 {1} {2} on the root")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#keyTypesSelectorsAndMatchingTypes")
        void trustAnchorOnTheRoot(KeyType type, int selector, int matchingType) {
            Pki pki = pki(type);
            TlsaRecord record = tlsa(2, selector, matchingType, pki.root().cert());
            assertOk(match(pki.fullChain(), record), record, 2);
        }

        @ParameterizedTest(name = "[{index}] 2 {0} {1}")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#selectorsAndMatchingTypes")
        void sanMismatchFails(int selector, int matchingType) {
            Pki base = pki(KeyType.EC_P256);
            Issued otherName = TestPki.leaf("other").issuer(base.intermediate())
                    .dnsNames("device2._device.example.com").build();
            Issued noName = TestPki.leaf(IDENTITY).issuer(base.intermediate()).build();
            for (Issued leaf : List.of(otherName, noName)) {
                Pki pki = base.withLeaf(leaf);
                assertFails(match(pki.fullChain(), tlsa(2, selector, matchingType, pki.intermediate().cert())),
                        Reason.NAME_MISMATCH);
                assertFails(match(pki.fullChain(), tlsa(2, selector, matchingType, pki.root().cert())),
                        Reason.NAME_MISMATCH);
            }
        }

        @Test
        void leafWithSeveralNamesIncludingTheIdentityPasses() {
            Pki base = pki(KeyType.EC_P256);
            Issued leaf = TestPki.leaf("multi").issuer(base.intermediate())
                    .dnsNames("device2._device.example.com", "Device1._Device.Example.com").build();
            TlsaRecord record = tlsa(2, 0, 1, base.intermediate().cert());
            assertOk(match(base.withLeaf(leaf).fullChain(), record), record, 1);
        }

        @ParameterizedTest(name = "[{index}] {0} leaf")
        @CsvSource({"expired", "notYetValid", "neverValid"})
        void leafOutsideItsValidityFails(String when) {
            Pki base = pki(KeyType.EC_P256);
            TestPki.Builder b = TestPki.leaf("dates").issuer(base.intermediate()).dnsNames(IDENTITY);
            Issued leaf = switch (when) {
                case "expired" -> b.expired().build();
                case "notYetValid" -> b.notYetValid().build();
                default -> b.neverValid().build();
            };
            Pki pki = base.withLeaf(leaf);
            assertFails(match(pki.fullChain(), tlsa(2, 0, 1, pki.intermediate().cert())), Reason.CHAIN_INVALID);
            assertFails(match(pki.fullChain(), tlsa(2, 1, 1, pki.root().cert())), Reason.CHAIN_INVALID);
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 0, 0, pki.root().cert())), Reason.CHAIN_INVALID);
        }

        @Test
        void expiredIntermediateFails() {
            Issued root = TestPki.ca("root").build();
            Issued intermediate = TestPki.ca("expired intermediate").issuer(root).expired().build();
            Issued leaf = TestPki.leaf("leaf").issuer(intermediate).dnsNames(IDENTITY).build();
            Pki pki = new Pki(root, intermediate, leaf);
            // TA on the root: the expired intermediate is on the path
            assertFails(match(pki.fullChain(), tlsa(2, 0, 1, root.cert())), Reason.CHAIN_INVALID);
            assertFails(match(pki.fullChain(), tlsa(2, 1, 1, root.cert())), Reason.CHAIN_INVALID);
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 0, 0, root.cert())), Reason.CHAIN_INVALID);
            // TA on the intermediate itself: an expired CA must not vouch for a client
            assertFails(match(pki.fullChain(), tlsa(2, 0, 1, intermediate.cert())), Reason.CHAIN_INVALID);
            assertFails(match(pki.fullChain(), tlsa(2, 1, 1, intermediate.cert())), Reason.CHAIN_INVALID);
            assertFails(match(List.of(leaf.cert()), tlsa(2, 0, 0, intermediate.cert())), Reason.CHAIN_INVALID);
        }

        @Test
        void expiredRootAsTrustAnchorFails() {
            Issued root = TestPki.ca("expired root").expired().build();
            Issued intermediate = TestPki.ca("intermediate").issuer(root).build();
            Issued leaf = TestPki.leaf("leaf").issuer(intermediate).dnsNames(IDENTITY).build();
            Pki pki = new Pki(root, intermediate, leaf);
            assertFails(match(pki.fullChain(), tlsa(2, 0, 1, root.cert())), Reason.CHAIN_INVALID);
            // but the valid intermediate below it can be the anchor
            TlsaRecord onIntermediate = tlsa(2, 0, 1, intermediate.cert());
            assertOk(match(pki.fullChain(), onIntermediate), onIntermediate, 1);
        }

        @Test
        void trustAnchorAbsentFromTheChainDoesNotMatch() {
            Pki pki = pki(KeyType.EC_P256);
            for (int[] p : new int[][] {{0, 1}, {1, 1}, {0, 2}, {1, 2}}) {
                assertFails(match(pki.chainWithoutRoot(), tlsa(2, p[0], p[1], pki.root().cert())), Reason.NO_MATCH);
                assertFails(match(List.of(pki.leaf().cert()), tlsa(2, p[0], p[1], pki.intermediate().cert())),
                        Reason.NO_MATCH);
            }
        }

        @ParameterizedTest
        @EnumSource(KeyType.class)
        void fullCertificateTrustAnchorFromDns(KeyType type) {
            Pki pki = pki(type);
            TlsaRecord root = tlsa(2, 0, 0, pki.root().cert());
            assertOk(match(pki.chainWithoutRoot(), root), root, 2);
            // a TA need not be self-signed: the intermediate carried in DNS anchors a leaf-only chain
            TlsaRecord intermediate = tlsa(2, 0, 0, pki.intermediate().cert());
            assertOk(match(List.of(pki.leaf().cert()), intermediate), intermediate, 1);
        }

        @ParameterizedTest
        @EnumSource(KeyType.class)
        void publicKeyTrustAnchorFromDns(KeyType type) {
            Pki pki = pki(type);
            TlsaRecord root = tlsa(2, 1, 0, pki.root().cert());
            assertOk(match(pki.chainWithoutRoot(), root), root, 2);
            TlsaRecord intermediate = tlsa(2, 1, 0, pki.intermediate().cert());
            assertOk(match(List.of(pki.leaf().cert()), intermediate), intermediate, 1);
        }

        @Test
        void trustAnchorFromDnsStillNeedsTheName() {
            Pki base = pki(KeyType.EC_P256);
            Pki pki = base.withLeaf(TestPki.leaf("x").issuer(base.intermediate())
                    .dnsNames("device2._device.example.com").build());
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 0, 0, pki.root().cert())), Reason.NAME_MISMATCH);
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 1, 0, pki.root().cert())), Reason.NAME_MISMATCH);
        }

        @Test
        void fullRecordForAnUnrelatedCaDoesNotMatch() {
            Pki pki = pki(KeyType.EC_P256);
            Issued unrelated = TestPki.ca("unrelated CA").build();
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 0, 0, unrelated.cert())), Reason.NO_MATCH);
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 1, 0, unrelated.cert())), Reason.NO_MATCH);
            assertFails(match(pki.fullChain(), tlsa(2, 0, 0, unrelated.cert())), Reason.NO_MATCH);
            assertFails(match(List.of(pki.leaf().cert()), tlsa(2, 0, 1, unrelated.cert())), Reason.NO_MATCH);
        }

        @Test
        void unrelatedCaWithTheSameNameAndKeyTypeDoesNotMatch() {
            Pki pki = pki(KeyType.EC_P256);
            Issued impostor = TestPki.ca(pki.root().cert().getSubjectX500Principal().getName().substring(3)).build();
            assertThat(impostor.cert().getSubjectX500Principal()).isEqualTo(pki.root().cert().getSubjectX500Principal());
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 0, 0, impostor.cert())), Reason.NO_MATCH);
            assertFails(match(pki.chainWithoutRoot(), tlsa(2, 1, 0, impostor.cert())), Reason.NO_MATCH);
        }

        @Test
        void leafNotIssuedByTheAnchorFails() {
            // an attacker sends its own leaf (with the right SAN) together with the organisation's real intermediate
            Pki pki = pki(KeyType.EC_P256);
            Issued attackerCa = TestPki.ca(pki.intermediate().cert().getSubjectX500Principal().getName().substring(3))
                    .build();
            Issued forged = TestPki.leaf("forged").issuer(attackerCa).dnsNames(IDENTITY).build();
            List<X509Certificate> chain = List.of(forged.cert(), pki.intermediate().cert(), pki.root().cert());
            MatchResult onIntermediate = match(chain, tlsa(2, 0, 1, pki.intermediate().cert()));
            assertThat(onIntermediate.matched()).isFalse();
            assertThat(onIntermediate.reason()).isIn(Reason.CHAIN_INVALID, Reason.NO_MATCH);
            assertThat(match(chain, tlsa(2, 1, 1, pki.root().cert())).matched()).isFalse();
            assertThat(match(List.of(forged.cert()), tlsa(2, 0, 0, pki.intermediate().cert())).matched()).isFalse();
        }

        @Test
        void nonCaCertificateCannotBeATrustAnchor() {
            Issued notACa = TestPki.leaf("not a ca").build();
            Issued leaf = TestPki.leaf("leaf").issuer(notACa).dnsNames(IDENTITY).build();
            List<X509Certificate> chain = List.of(leaf.cert(), notACa.cert());
            assertFails(match(chain, tlsa(2, 0, 1, notACa.cert())), Reason.CHAIN_INVALID);
            assertFails(match(List.of(leaf.cert()), tlsa(2, 0, 0, notACa.cert())), Reason.CHAIN_INVALID);
        }

        @Test
        void daneEeBeatsDaneTa() {
            Pki pki = pki(KeyType.EC_P256);
            TlsaRecord ta = tlsa(2, 0, 1, pki.intermediate().cert());
            TlsaRecord ee = tlsa(3, 1, 1, pki.leaf().cert());
            assertOk(match(pki.fullChain(), ta, ee), ee, 0);
            assertOk(match(pki.fullChain(), ee, ta), ee, 0);
            assertOk(match(pki.fullChain(), tlsa(2, 0, 0, pki.root().cert()), ee), ee, 0);
        }

        @Test
        void lowerTrustAnchorBeatsHigher() {
            Pki pki = pki(KeyType.EC_P256);
            TlsaRecord root = tlsa(2, 0, 1, pki.root().cert());
            TlsaRecord intermediate = tlsa(2, 1, 1, pki.intermediate().cert());
            assertOk(match(pki.fullChain(), root, intermediate), intermediate, 1);
            assertOk(match(pki.fullChain(), intermediate, root), intermediate, 1);
            // a TA in the chain beats one supplied by DNS
            TlsaRecord rootFromDns = tlsa(2, 0, 0, pki.root().cert());
            assertOk(match(pki.chainWithoutRoot(), rootFromDns, intermediate), intermediate, 1);
        }

        @Test
        void aFailingHigherAnchorDoesNotHideAValidLowerOne() {
            Pki pki = pki(KeyType.EC_P256);
            TlsaRecord unrelated = tlsa(2, 0, 1, TestPki.ca("unrelated").build().cert());
            TlsaRecord root = tlsa(2, 0, 1, pki.root().cert());
            assertOk(match(pki.fullChain(), unrelated, root, nonMatching(2, 1, 1)), root, 2);
        }

        @Test
        void validityIsJudgedAtThePolicyClock() {
            Instant from = Instant.parse("2020-01-01T00:00:00Z");
            Instant until = Instant.parse("2021-01-01T00:00:00Z");
            Issued root = TestPki.ca("old root").validity(from, until).build();
            Issued intermediate = TestPki.ca("old intermediate").issuer(root).validity(from, until).build();
            Issued leaf = TestPki.leaf("old leaf").issuer(intermediate).validity(from, until).dnsNames(IDENTITY).build();
            Pki pki = new Pki(root, intermediate, leaf);
            TlsaRecord record = tlsa(2, 0, 1, intermediate.cert());

            assertFails(match(pki.fullChain(), record), Reason.CHAIN_INVALID);
            MatchPolicy then = DEFAULTS.withClock(Clock.fixed(Instant.parse("2020-06-01T00:00:00Z"), ZoneOffset.UTC));
            assertOk(DaneMatcher.match(ID, pki.fullChain(), List.of(record), then), record, 1);
            MatchPolicy before = DEFAULTS.withClock(Clock.fixed(Instant.parse("2019-06-01T00:00:00Z"), ZoneOffset.UTC));
            assertFails(DaneMatcher.match(ID, pki.fullChain(), List.of(record), before), Reason.CHAIN_INVALID);
        }
    }

    /** dane-reference §6 item 11: {@code *._device.example.com. IN TLSA 2 0 1 <orgCA>}. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class WildcardOwner {

        private Issued orgCa;
        private TlsaRecord wildcardRecord;

        @BeforeAll
        void orgCa() throws UnusableRecordException {
            orgCa = TestPki.ca("Example Org Device CA").build();
            wildcardRecord = TlsaRecord.parse("*._device.example.com. 3600 IN TLSA 2 0 1 "
                    + Fixtures.hex(association(orgCa.cert(), 0, 1)).toUpperCase());
        }

        private List<X509Certificate> deviceChain(String san) {
            return List.of(TestPki.leaf(san).issuer(orgCa).dnsNames(san).build().cert(), orgCa.cert());
        }

        @Test
        void deviceWithItsOwnNamePasses() {
            MatchResult result = DaneMatcher.match(name("sensor9._device.example.com"),
                    deviceChain("sensor9._device.example.com"), List.of(wildcardRecord), DEFAULTS);
            assertOk(result, wildcardRecord, 1);
        }

        @Test
        void deviceClaimingAnotherDevicesNameFails() {
            MatchResult result = DaneMatcher.match(name("sensor9._device.example.com"),
                    deviceChain("sensor8._device.example.com"), List.of(wildcardRecord), DEFAULTS);
            assertFails(result, Reason.NAME_MISMATCH);
        }

        @Test
        void deviceFromAnotherCaFails() {
            Issued otherCa = TestPki.ca("Other Org CA").build();
            List<X509Certificate> chain = List.of(TestPki.leaf("s9").issuer(otherCa)
                    .dnsNames("sensor9._device.example.com").build().cert(), otherCa.cert());
            assertFails(DaneMatcher.match(name("sensor9._device.example.com"), chain, List.of(wildcardRecord),
                    DEFAULTS), Reason.NO_MATCH);
        }
    }

    /** dane-reference §6 item 12: PKIX usages need a configured trust store, a PKIX path and the name. */
    @Nested
    class Pkix {

        private final Pki pki = pki(KeyType.EC_P256);
        private final MatchPolicy trusting = DEFAULTS.withPkixTrust(Set.of(new TrustAnchor(pki.root().cert(), null)));

        private MatchResult pkixMatch(List<X509Certificate> chain, TlsaRecord... records) {
            return DaneMatcher.match(ID, chain, List.of(records), trusting);
        }

        @ParameterizedTest(name = "[{index}] 1 {0} {1}")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#selectorsAndMatchingTypes")
        void pkixEeOnTheLeaf(int selector, int matchingType) {
            TlsaRecord record = tlsa(1, selector, matchingType, pki.leaf().cert());
            assertOk(pkixMatch(pki.chainWithoutRoot(), record), record, 0);
            assertOk(pkixMatch(pki.fullChain(), record), record, 0);
        }

        @ParameterizedTest(name = "[{index}] 0 {0} {1}")
        @MethodSource("io.github.keycloakdane.core.DaneMatcherTest#selectorsAndMatchingTypes")
        void pkixTaOnTheIntermediateOrRoot(int selector, int matchingType) {
            TlsaRecord intermediate = tlsa(0, selector, matchingType, pki.intermediate().cert());
            assertOk(pkixMatch(pki.chainWithoutRoot(), intermediate), intermediate, 1);
            assertOk(pkixMatch(pki.fullChain(), intermediate), intermediate, 1);
            TlsaRecord root = tlsa(0, selector, matchingType, pki.root().cert());
            assertOk(pkixMatch(pki.chainWithoutRoot(), root), root, 2);
            assertOk(pkixMatch(pki.fullChain(), root), root, 2);
        }

        @Test
        void chainToAnotherRootFails() {
            Pki other = Pki.of(KeyType.EC_P256, IDENTITY);
            assertFails(pkixMatch(other.chainWithoutRoot(), tlsa(1, 1, 1, other.leaf().cert())), Reason.CHAIN_INVALID);
            assertFails(pkixMatch(other.fullChain(), tlsa(1, 0, 1, other.leaf().cert())), Reason.CHAIN_INVALID);
            assertFails(pkixMatch(other.fullChain(), tlsa(0, 0, 1, other.root().cert())), Reason.CHAIN_INVALID);
            assertFails(pkixMatch(other.fullChain(), tlsa(0, 1, 1, other.intermediate().cert())),
                    Reason.CHAIN_INVALID);
        }

        @Test
        void pkixTaForAnotherCaDoesNotMatch() {
            Pki other = Pki.of(KeyType.EC_P256, IDENTITY);
            assertFails(pkixMatch(pki.fullChain(), tlsa(0, 0, 1, other.root().cert())), Reason.NO_MATCH);
            assertFails(pkixMatch(pki.fullChain(), tlsa(1, 1, 1, other.leaf().cert())), Reason.NO_MATCH);
        }

        @Test
        void missingIntermediateFails() {
            assertFails(pkixMatch(List.of(pki.leaf().cert()), tlsa(1, 1, 1, pki.leaf().cert())), Reason.CHAIN_INVALID);
        }

        @Test
        void expiredLeafFails() {
            Issued leaf = TestPki.leaf("expired").issuer(pki.intermediate()).dnsNames(IDENTITY).expired().build();
            Pki expired = pki.withLeaf(leaf);
            assertFails(pkixMatch(expired.chainWithoutRoot(), tlsa(1, 1, 1, leaf.cert())), Reason.CHAIN_INVALID);
            assertFails(pkixMatch(expired.chainWithoutRoot(), tlsa(0, 0, 1, pki.root().cert())), Reason.CHAIN_INVALID);
        }

        @Test
        void sanMismatchFails() {
            Issued leaf = TestPki.leaf("other").issuer(pki.intermediate())
                    .dnsNames("device2._device.example.com").build();
            Pki wrongName = pki.withLeaf(leaf);
            assertFails(pkixMatch(wrongName.chainWithoutRoot(), tlsa(1, 1, 1, leaf.cert())), Reason.NAME_MISMATCH);
            assertFails(pkixMatch(wrongName.chainWithoutRoot(), tlsa(0, 0, 1, pki.root().cert())),
                    Reason.NAME_MISMATCH);
            assertFails(pkixMatch(wrongName.chainWithoutRoot(), tlsa(0, 1, 2, pki.intermediate().cert())),
                    Reason.NAME_MISMATCH);
        }

        @Test
        void daneUsagesStillWorkWithATrustStore() {
            TlsaRecord ee = tlsa(3, 1, 1, pki.leaf().cert());
            TlsaRecord ta = tlsa(2, 0, 1, pki.intermediate().cert());
            assertOk(pkixMatch(pki.fullChain(), ee), ee, 0);
            assertOk(pkixMatch(pki.fullChain(), ta), ta, 1);
            // and DANE-TA does not need the trust store's root
            Pki other = Pki.of(KeyType.EC_P256, IDENTITY);
            TlsaRecord otherTa = tlsa(2, 0, 1, other.root().cert());
            assertOk(pkixMatch(other.fullChain(), otherTa), otherTa, 2);
        }
    }

    @Test
    void failureReasonPrefersTheMostTellingOne() {
        // a record that matched but failed a later check is reported rather than "no match"
        Pki base = pki(KeyType.EC_P256);
        Pki wrongName = base.withLeaf(TestPki.leaf("x").issuer(base.intermediate())
                .dnsNames("device2._device.example.com").build());
        assertFails(match(wrongName.fullChain(), nonMatching(3, 1, 1), tlsa(2, 0, 1, base.root().cert()),
                nonMatching(2, 0, 1)), Reason.NAME_MISMATCH);
    }

    @Test
    void identityIsNormalisedBeforeComparison() {
        Pki pki = pki(KeyType.EC_P256);
        TlsaRecord record = tlsa(2, 0, 1, pki.intermediate().cert());
        assertOk(DaneMatcher.match(name("DEVICE1._device.Example.COM."), pki.fullChain(), List.of(record), DEFAULTS),
                record, 1);
    }

}
