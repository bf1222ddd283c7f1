package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

import static io.github.keycloakdane.core.Fixtures.IDENTITY;
import static io.github.keycloakdane.core.Fixtures.name;
import static io.github.keycloakdane.core.Fixtures.tlsa;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keys found in DNS (a signed JWT whose header names its key by {@code x5u}): the candidates are the whole keys of the
 * secure RRset, {@code 3 1 0} and {@code 3 0 0}, at most {@link DaneVerifier#MAX_DNS_KEYS} of them; digests carry none.
 */
class KeyInDnsTest {

    private static final Issued DEVICE = TestPki.leaf("device1").dnsNames(IDENTITY).build();
    private static final Issued OTHER = TestPki.leaf("other").build();

    private static DaneVerifier verifier(MatchPolicy policy, TlsaRecord... records) {
        return new DaneVerifier(n -> new TlsaLookup(DnssecStatus.SECURE, List.of(records), List.of(), 60, "secure"),
                AllowList.any(), policy);
    }

    /** A "signature check" that accepts exactly the device's key, and remembers what it was offered. */
    private static Predicate<byte[]> deviceKey(List<byte[]> offered) {
        byte[] spki = Certificates.subjectPublicKeyInfo(DEVICE.cert());
        return candidate -> {
            offered.add(candidate);
            return Arrays.equals(candidate, spki);
        };
    }

    @Test
    void aKeyRecordAndACertificateRecordEachServeAsTheKey() {
        for (int selector = 0; selector <= 1; selector++) {
            List<byte[]> offered = new ArrayList<>();
            DaneOutcome outcome = verifier(MatchPolicy.defaults(), tlsa(3, 1, 1, OTHER.cert()),
                    tlsa(3, selector, 0, DEVICE.cert())).verifyKeyInDns(name(IDENTITY), deviceKey(offered));

            assertThat(outcome.authenticated()).as(outcome.toString()).isTrue();
            assertThat(outcome.recordAtDepth()).isEqualTo("3 " + selector + " 0@0");
            assertThat(offered).hasSize(1); // the digest record offers no key
        }
    }

    @Test
    void digestsOnlyIsNoKeyInDnsAndAnotherKeyIsNoMatch() {
        DaneOutcome digests = verifier(MatchPolicy.defaults(), tlsa(3, 1, 1, DEVICE.cert()), tlsa(3, 0, 2,
                DEVICE.cert())).verifyKeyInDns(name(IDENTITY), deviceKey(new ArrayList<>()));
        DaneOutcome other = verifier(MatchPolicy.defaults(), tlsa(3, 1, 0, OTHER.cert()))
                .verifyKeyInDns(name(IDENTITY), deviceKey(new ArrayList<>()));
        DaneOutcome anchorOnly = verifier(MatchPolicy.defaults(), tlsa(2, 0, 0, DEVICE.cert()))
                .verifyKeyInDns(name(IDENTITY), deviceKey(new ArrayList<>()));

        assertThat(digests.reason()).isEqualTo(Reason.NO_KEY_IN_DNS);
        assertThat(other.reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(anchorOnly.reason()).isEqualTo(Reason.NO_KEY_IN_DNS);
    }

    @Test
    void atMostFourKeysAreTried() {
        List<TlsaRecord> records = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            records.add(tlsa(3, 1, 0, TestPki.leaf("k" + i).build().cert()));
        }
        records.add(tlsa(3, 1, 0, DEVICE.cert()));
        List<byte[]> offered = new ArrayList<>();

        DaneOutcome outcome = verifier(MatchPolicy.defaults(), records.toArray(TlsaRecord[]::new))
                .verifyKeyInDns(name(IDENTITY), deviceKey(offered));

        assertThat(outcome.reason()).isEqualTo(Reason.NO_MATCH);
        assertThat(offered).hasSize(DaneVerifier.MAX_DNS_KEYS);
        assertThat(outcome.detail()).contains("first 4 of 7");
    }

    @Test
    void theAllowListComesBeforeTheLookup() throws Exception {
        List<DaneName> asked = new ArrayList<>();
        DaneVerifier verifier = new DaneVerifier(n -> {
            asked.add(n);
            return TlsaLookup.failed(DnssecStatus.INSECURE, "unsigned");
        }, AllowList.parse(List.of(".example.org")), MatchPolicy.defaults());

        assertThat(verifier.verifyKeyInDns(name(IDENTITY), k -> true).reason()).isEqualTo(Reason.NOT_ALLOWED);
        assertThat(asked).isEmpty();
        assertThat(verifier.verifyKeyInDns(name("a.example.org"), k -> true).reason()).isEqualTo(Reason.DNS_INSECURE);
    }

    @Test
    void withTheEeNameCheckOnlyACertificateCarryingTheNameServes() {
        MatchPolicy named = MatchPolicy.defaults().withEeNameCheck(true);
        DaneOutcome key = verifier(named, tlsa(3, 1, 0, DEVICE.cert())).verifyKeyInDns(name(IDENTITY),
                deviceKey(new ArrayList<>()));
        DaneOutcome cert = verifier(named, tlsa(3, 0, 0, DEVICE.cert())).verifyKeyInDns(name(IDENTITY),
                deviceKey(new ArrayList<>()));

        assertThat(key.reason()).isEqualTo(Reason.NAME_MISMATCH);
        assertThat(cert.authenticated()).as(cert.toString()).isTrue();
    }
}
