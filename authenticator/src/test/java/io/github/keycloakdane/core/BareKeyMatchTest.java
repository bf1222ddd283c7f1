package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static io.github.keycloakdane.core.Fixtures.IDENTITY;
import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.nonMatching;
import static io.github.keycloakdane.core.Fixtures.oneBitOff;
import static io.github.keycloakdane.core.Fixtures.selected;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bare public key (a signed JWT's {@code jwk} header) against TLSA records: only DANE-EE with selector 1 can match,
 * with digest agility as for chains, and the verifier's order (name, allow list, key, DNS) unchanged.
 */
class BareKeyMatchTest {

    private static final Issued DEVICE = TestPki.leaf("device1").build();
    /** The key as a JWK parser hands it over: the JDK's encoding of the key, not the certificate's bytes. */
    private static final byte[] SPKI = DEVICE.keyPair().getPublic().getEncoded();

    private static MatchResult match(TlsaRecord... records) {
        return DaneMatcher.matchKey(name(IDENTITY), SPKI, List.of(records), MatchPolicy.defaults());
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void daneEeSpkiRecordsMatchTheKeyOfEveryType(KeyType type) {
        Issued device = TestPki.leaf("device1").keyType(type).build();
        byte[] spki = device.keyPair().getPublic().getEncoded();
        assertThat(spki).isEqualTo(selected(device.cert(), 1)); // what the device published from its certificate
        for (int matchingType = 0; matchingType <= 2; matchingType++) {
            MatchResult result = DaneMatcher.matchKey(name(IDENTITY), spki,
                    List.of(tlsa(3, 1, matchingType, device.cert())), MatchPolicy.defaults());
            assertThat(result.matched()).as(type + " 3 1 " + matchingType).isTrue();
            assertThat(result.depth()).isZero();
            assertThat(result.record().parameters()).isEqualTo("3 1 " + matchingType);
        }
    }

    @ParameterizedTest
    @CsvSource({"3,0,1", "3,0,2", "2,1,1", "2,0,1"})
    void recordsThatNameACertificateOrATrustAnchorNeverMatchABareKey(int usage, int selector, int matchingType) {
        MatchResult result = match(tlsa(usage, selector, matchingType, DEVICE.cert()));

        assertThat(result.reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(result.detail()).contains("3 1 x");
    }

    @Test
    void aDigestOneBitOffDoesNotMatch() {
        assertThat(match(oneBitOff(3, 1, 1, DEVICE.cert())).reason()).isEqualTo(Reason.NO_MATCH);
    }

    @Test
    void anyMatchingRecordOfTheRrsetAuthenticates() {
        assertThat(match(nonMatching(3, 1, 1), tlsa(3, 0, 1, DEVICE.cert()), tlsa(3, 1, 1, DEVICE.cert())).matched())
                .isTrue();
    }

    @Test
    void digestAgilityAppliesAsForChains() {
        // a stronger digest present for 3 1: the weaker SHA-256 record is not used, even though it matches
        assertThat(match(nonMatching(3, 1, 2), tlsa(3, 1, 1, DEVICE.cert())).reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(match(tlsa(3, 1, 2, DEVICE.cert()), tlsa(3, 1, 1, DEVICE.cert())).record().parameters())
                .isEqualTo("3 1 2");
    }

    @Test
    void theEeNameCheckRefusesABareKeyWhichCarriesNoName() {
        MatchResult result = DaneMatcher.matchKey(name(IDENTITY), SPKI, List.of(tlsa(3, 1, 1, DEVICE.cert())),
                MatchPolicy.defaults().withEeNameCheck(true));

        assertThat(result.reason()).isEqualTo(Reason.NAME_MISMATCH);
    }

    @Test
    void noKeyOrNoUsableRecordIsARefusal() {
        assertThat(DaneMatcher.matchKey(name(IDENTITY), new byte[0], List.of(tlsa(3, 1, 1, DEVICE.cert())),
                MatchPolicy.defaults()).reason()).isEqualTo(Reason.NO_CERTIFICATE);
        assertThat(match().reason()).isEqualTo(Reason.NO_USABLE_RECORDS);
        // PKIX-EE without a PKIX trust store is unusable
        assertThat(match(tlsa(1, 1, 1, DEVICE.cert())).reason()).isEqualTo(Reason.NO_USABLE_RECORDS);
    }

    @Test
    void theVerifierChecksNameAllowListAndKeyBeforeAnyLookup() throws Exception {
        List<DaneName> asked = new ArrayList<>();
        TlsaRecord record = tlsa(3, 1, 1, DEVICE.cert());
        TlsaSource source = n -> {
            asked.add(n);
            return new TlsaLookup(DnssecStatus.SECURE, List.of(record), List.of(), 60, "secure");
        };
        DaneVerifier verifier = new DaneVerifier(source, AllowList.parse(List.of(".example.com")),
                MatchPolicy.defaults());

        assertThat(verifier.verifyKey("not a name", SPKI).reason()).isEqualTo(Reason.INVALID_NAME);
        assertThat(verifier.verifyKey("device1.example.org", SPKI).reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(verifier.verifyKey(IDENTITY, null).reason()).isEqualTo(Reason.NO_CERTIFICATE);
        assertThat(asked).isEmpty();

        DaneOutcome ok = verifier.verifyKey(IDENTITY, SPKI);
        assertThat(ok.authenticated()).as(ok.toString()).isTrue();
        assertThat(ok.recordAtDepth()).isEqualTo("3 1 1@0");
        assertThat(ok.dnssec()).isEqualTo(DnssecStatus.SECURE);
        DaneOutcome other = verifier.verifyKey(IDENTITY, TestPki.leaf("x").build().keyPair().getPublic().getEncoded());
        assertThat(other.reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(asked).hasSize(2);
    }

    @Test
    void aRefusedLookupKeepsItsReasonForKeysToo() {
        DaneVerifier verifier = new DaneVerifier(n -> TlsaLookup.failed(DnssecStatus.INSECURE, "unsigned"),
                AllowList.any(), MatchPolicy.defaults());

        assertThat(verifier.verifyKey(IDENTITY, SPKI).reason()).isEqualTo(Reason.DNS_INSECURE);
    }
}
