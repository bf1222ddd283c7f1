package io.github.keycloakdane.core;

import io.github.keycloakdane.core.Fixtures.Pki;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;

import static io.github.keycloakdane.core.Fixtures.IDENTITY;
import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.nonMatching;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * RFC 7671 §9 digest algorithm agility (SHOULD per draft-ietf-dance-client-auth §8.2), dane-reference §6 item 7:
 * per usage and selector, a record with a weaker digest is ignored when one with a stronger digest is present;
 * Full(0) is not a digest and is never displaced.
 */
class DigestAgilityTest {

    private static Pki pki;
    private static X509Certificate leaf;
    private static List<X509Certificate> chain;

    @BeforeAll
    static void pki() {
        pki = Pki.of(KeyType.EC_P256, IDENTITY);
        leaf = pki.leaf().cert();
        chain = pki.fullChain();
    }

    private static MatchResult match(TlsaRecord... records) {
        return DaneMatcher.match(name(IDENTITY), chain, List.of(records), MatchPolicy.defaults());
    }

    private static void assertMatch(MatchResult result, TlsaRecord record, int depth) {
        assertThat(result.reason()).as(result.detail()).isEqualTo(Reason.OK);
        assertThat(result.record()).isEqualTo(record);
        assertThat(result.depth()).isEqualTo(depth);
    }

    @Test
    void strongerNonMatchingDigestDisplacesAWeakerMatchingOne() {
        TlsaRecord sha512 = nonMatching(3, 1, 2);
        TlsaRecord sha256 = tlsa(3, 1, 1, leaf);
        assertThat(match(sha256).matched()).isTrue(); // on its own it matches
        assertThat(match(sha512, sha256).reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(match(sha256, sha512).reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(DaneMatcher.usableRecords(List.of(sha256, sha512), MatchPolicy.defaults()))
                .containsExactly(sha512);
    }

    @Test
    void strongerMatchingDigestIsUsed() {
        TlsaRecord sha512 = tlsa(3, 1, 2, leaf);
        TlsaRecord sha256 = nonMatching(3, 1, 1);
        assertMatch(match(sha256, sha512), sha512, 0);
    }

    @Test
    void fullIsNotDisplacedByADigest() {
        TlsaRecord sha512 = nonMatching(3, 1, 2);
        TlsaRecord full = tlsa(3, 1, 0, leaf);
        assertMatch(match(sha512, full), full, 0);
        assertMatch(match(full, sha512), full, 0);
        TlsaRecord fullCert = tlsa(3, 0, 0, leaf);
        assertMatch(match(nonMatching(3, 0, 2), nonMatching(3, 0, 1), fullCert), fullCert, 0);
        assertThat(DaneMatcher.usableRecords(List.of(full, sha512), MatchPolicy.defaults()))
                .containsExactlyInAnyOrder(full, sha512);
    }

    @Test
    void agilityIsPerSelector() {
        TlsaRecord certSha512 = nonMatching(3, 0, 2);
        TlsaRecord spkiSha256 = tlsa(3, 1, 1, leaf);
        assertMatch(match(certSha512, spkiSha256), spkiSha256, 0);
        // and within the other selector it still applies
        assertThat(match(certSha512, tlsa(3, 0, 1, leaf)).reason()).isEqualTo(Reason.NO_MATCH);
    }

    @Test
    void agilityIsPerUsage() {
        TlsaRecord taSha512 = nonMatching(2, 1, 2);
        TlsaRecord eeSha256 = tlsa(3, 1, 1, leaf);
        assertMatch(match(taSha512, eeSha256), eeSha256, 0);

        TlsaRecord eeSha512 = nonMatching(3, 1, 2);
        TlsaRecord taSha256 = tlsa(2, 1, 1, pki.intermediate().cert());
        assertMatch(match(eeSha512, taSha256), taSha256, 1);
    }

    @Test
    void appliesToTrustAnchorRecordsToo() {
        TlsaRecord sha512 = nonMatching(2, 0, 2);
        TlsaRecord sha256 = tlsa(2, 0, 1, pki.intermediate().cert());
        assertMatch(match(sha256), sha256, 1);
        assertThat(match(sha512, sha256).reason()).isEqualTo(Reason.NO_MATCH);
        TlsaRecord full = tlsa(2, 0, 0, pki.root().cert());
        assertMatch(match(sha512, full), full, 2);
    }

    @Test
    void severalRecordsOfTheStrongestDigestAllStay() {
        TlsaRecord a = nonMatching(3, 1, 2);
        TlsaRecord b = tlsa(3, 1, 2, leaf);
        TlsaRecord weak = tlsa(3, 1, 1, leaf);
        assertMatch(match(a, weak, b), b, 0);
        assertThat(DaneMatcher.usableRecords(List.of(a, weak, b), MatchPolicy.defaults())).containsExactly(a, b);
    }

    @Test
    void appliesToPkixUsagesWhenEnabled() {
        MatchPolicy pkix = MatchPolicy.defaults().withPkixTrust(Set.of(new TrustAnchor(pki.root().cert(), null)));
        TlsaRecord sha512 = nonMatching(1, 1, 2);
        TlsaRecord sha256 = tlsa(1, 1, 1, leaf);
        assertThat(DaneMatcher.match(name(IDENTITY), chain, List.of(sha256), pkix).matched()).isTrue();
        assertThat(DaneMatcher.match(name(IDENTITY), chain, List.of(sha512, sha256), pkix).reason())
                .isEqualTo(Reason.NO_MATCH);
    }
}
