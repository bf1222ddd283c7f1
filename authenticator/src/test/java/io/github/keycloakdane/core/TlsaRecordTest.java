package io.github.keycloakdane.core;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import io.github.keycloakdane.testing.TestPki.KeyType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.security.cert.X509Certificate;
import java.util.Locale;

import static io.github.keycloakdane.core.Fixtures.association;
import static io.github.keycloakdane.core.Fixtures.hex;
import static io.github.keycloakdane.core.Fixtures.selected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsaRecordTest {

    private static X509Certificate cert;
    private static X509Certificate other;

    @BeforeAll
    static void pki() {
        cert = TestPki.leaf("record test").dnsNames("device1.example.com").build().cert();
        other = TestPki.leaf("other").build().cert();
    }

    @ParameterizedTest(name = "[{index}] {0} {1} {2}")
    @CsvSource({"0,0,1", "1,1,1", "2,0,2", "3,1,2", "3,0,0", "3,1,0", "2,0,0", "2,1,0", "0,1,0"})
    void ofBuildsTypedRecords(int usage, int selector, int matchingType) throws UnusableRecordException {
        byte[] data = association(cert, selector, matchingType);
        TlsaRecord record = TlsaRecord.of(usage, selector, matchingType, data);
        assertThat(record.usage().code).isEqualTo(usage);
        assertThat(record.selector().code).isEqualTo(selector);
        assertThat(record.matchingType().code).isEqualTo(matchingType);
        assertThat(record.data()).isEqualTo(data);
        assertThat(record.parameters()).isEqualTo(usage + " " + selector + " " + matchingType);
        assertThat(record.toPresentation()).isEqualTo(usage + " " + selector + " " + matchingType + " " + hex(data));
        assertThat(record.matches(cert)).isTrue();
        assertThat(record.matches(other)).isFalse();
    }

    @Test
    void dataIsCopiedInAndOut() throws UnusableRecordException {
        byte[] data = association(cert, 1, 1);
        byte[] original = data.clone();
        TlsaRecord record = TlsaRecord.of(3, 1, 1, data);
        data[0] ^= (byte) 0xff;
        assertThat(record.data()).isEqualTo(original);
        assertThat(record.matches(cert)).isTrue();
        record.data()[0] ^= (byte) 0xff;
        assertThat(record.data()).isEqualTo(original);
        assertThat(record.matches(cert)).isTrue();
    }

    @Test
    void fullCertRecordCarriesTheCertificate() throws UnusableRecordException {
        TlsaRecord record = TlsaRecord.of(2, 0, 0, selected(cert, 0));
        assertThat(record.dnsCertificate()).isEqualTo(cert);
        assertThat(record.dnsPublicKey()).isNull();
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void fullSpkiRecordCarriesThePublicKey(KeyType type) throws UnusableRecordException {
        Issued issued = TestPki.ca("full spki " + type).keyType(type).build();
        TlsaRecord record = TlsaRecord.of(2, 1, 0, selected(issued.cert(), 1));
        assertThat(record.dnsCertificate()).isNull();
        assertThat(record.dnsPublicKey()).isNotNull();
        assertThat(record.dnsPublicKey().getEncoded()).isEqualTo(issued.keyPair().getPublic().getEncoded());
    }

    @Test
    void digestRecordsCarryNoCertificateOrKey() throws UnusableRecordException {
        TlsaRecord record = TlsaRecord.of(2, 0, 1, association(cert, 0, 1));
        assertThat(record.dnsCertificate()).isNull();
        assertThat(record.dnsPublicKey()).isNull();
    }

    @Test
    void upperAndLowerCaseHexGiveTheSameRecordAndResult() throws UnusableRecordException {
        String lower = hex(association(cert, 1, 1)).toLowerCase(Locale.ROOT);
        String upper = lower.toUpperCase(Locale.ROOT);
        String mixed = upper.substring(0, 20) + lower.substring(20);
        TlsaRecord fromLower = TlsaRecord.parse("3 1 1 " + lower);
        TlsaRecord fromUpper = TlsaRecord.parse("3 1 1 " + upper);
        TlsaRecord fromMixed = TlsaRecord.parse("3 1 1 " + mixed);

        assertThat(fromUpper).isEqualTo(fromLower).hasSameHashCodeAs(fromLower).isEqualTo(fromMixed);
        assertThat(fromUpper.data()).isEqualTo(fromLower.data()).isEqualTo(association(cert, 1, 1));
        assertThat(fromUpper.matches(cert)).isTrue();
        assertThat(fromLower.matches(cert)).isTrue();
        assertThat(fromMixed.matches(cert)).isTrue();
        assertThat(fromUpper.toPresentation()).isEqualTo("3 1 1 " + lower);

        MatchResult lowerResult = DaneMatcher.match(Fixtures.name("device1.example.com"), java.util.List.of(cert),
                java.util.List.of(fromLower), MatchPolicy.defaults());
        MatchResult upperResult = DaneMatcher.match(Fixtures.name("device1.example.com"), java.util.List.of(cert),
                java.util.List.of(fromUpper), MatchPolicy.defaults());
        assertThat(upperResult.reason()).isEqualTo(lowerResult.reason()).isEqualTo(Reason.OK);
        assertThat(upperResult.depth()).isEqualTo(lowerResult.depth()).isZero();
    }

    @Test
    void upperCaseHexOfAOneBitWrongDigestStillDoesNotMatch() throws UnusableRecordException {
        byte[] data = association(cert, 1, 2);
        data[data.length - 1] ^= 1;
        TlsaRecord record = TlsaRecord.parse("3 1 2 " + hex(data).toUpperCase(Locale.ROOT));
        assertThat(record.matches(cert)).isFalse();
    }

    @Test
    void parseAcceptsZoneFileLinesAndWhiteSpaceInsideTheHex() throws UnusableRecordException {
        String h = hex(association(cert, 1, 1));
        TlsaRecord expected = TlsaRecord.of(3, 1, 1, association(cert, 1, 1));
        String spaced = h.substring(0, 16) + " " + h.substring(16, 40) + "\t" + h.substring(40);
        assertThat(TlsaRecord.parse("device1._device.example.com. 3600 IN TLSA 3 1 1 " + h)).isEqualTo(expected);
        assertThat(TlsaRecord.parse("device1._device.example.com. IN TLSA 3 1 1 " + h)).isEqualTo(expected);
        assertThat(TlsaRecord.parse("device1._device.example.com. tlsa 3 1 1 " + h)).isEqualTo(expected);
        assertThat(TlsaRecord.parse("tlsa 60 IN TLSA 3 1 1 " + h)).isEqualTo(expected); // an owner named "tlsa"
        assertThat(TlsaRecord.parse("  3 1 1 " + spaced + "  ")).isEqualTo(expected);
        assertThat(TlsaRecord.parse("3 1 1 " + h).toPresentation()).isEqualTo("3 1 1 " + h);
    }

    @Test
    void equalityDependsOnEveryField() {
        byte[] d = association(cert, 1, 1);
        TlsaRecord base = Fixtures.tlsa(3, 1, 1, d);
        assertThat(base).isEqualTo(Fixtures.tlsa(3, 1, 1, d.clone()));
        assertThat(base).isNotEqualTo(Fixtures.tlsa(2, 1, 1, d));
        assertThat(base).isNotEqualTo(Fixtures.tlsa(3, 0, 1, d));
        byte[] changed = d.clone();
        changed[5] ^= 0x10;
        assertThat(base).isNotEqualTo(Fixtures.tlsa(3, 1, 1, changed));
    }

    // --- unusable records (RFC 6698 §4.1, dane-reference §6 item 5) ---

    @ParameterizedTest(name = "[{index}] {0} {1} {2} with {3} octets")
    @CsvSource({
            "3,1,1,31", "3,1,1,33", "3,0,1,31", "3,0,1,33", "2,0,1,0",
            "3,1,2,32", "3,1,2,63", "3,1,2,65", "2,0,2,32",
            "3,1,0,0", "3,0,0,0",
    })
    void wrongDigestLengthIsUnusable(int usage, int selector, int matchingType, int length) {
        byte[] data = new byte[length];
        assertThatThrownBy(() -> TlsaRecord.of(usage, selector, matchingType, data))
                .isInstanceOf(UnusableRecordException.class)
                .hasMessageStartingWith(usage + " " + selector + " " + matchingType + ":")
                .extracting(e -> ((UnusableRecordException) e).parameters())
                .isEqualTo(usage + " " + selector + " " + matchingType);
        assertThatThrownBy(() -> TlsaRecord.parse(usage + " " + selector + " " + matchingType + " "
                + (length == 0 ? "" : hex(data))))
                .isInstanceOfAny(UnusableRecordException.class, IllegalArgumentException.class);
    }

    @Test
    void wrongDigestLengthIsUnusableInPresentationFormatToo() {
        assertThatThrownBy(() -> TlsaRecord.parse("3 1 1 " + "ab".repeat(31)))
                .isInstanceOf(UnusableRecordException.class).hasMessageContaining("32").hasMessageContaining("31");
        assertThatThrownBy(() -> TlsaRecord.parse("3 1 1 " + "ab".repeat(33)))
                .isInstanceOf(UnusableRecordException.class).hasMessageContaining("33");
        assertThatThrownBy(() -> TlsaRecord.parse("3 1 2 " + "ab".repeat(32)))
                .isInstanceOf(UnusableRecordException.class).hasMessageContaining("64");
    }

    @ParameterizedTest(name = "[{index}] {0} {1} 0 {2}")
    @CsvSource({
            "3,0,00", "3,0,3003020100", "2,0,deadbeef", "3,1,00", "3,1,3003020100", "2,1,deadbeef",
            "3,1,300d06092a864886f70d0101010500",
    })
    void unparsableFullDataIsUnusable(int usage, int selector, String hexData) {
        assertThatThrownBy(() -> TlsaRecord.parse(usage + " " + selector + " 0 " + hexData))
                .isInstanceOf(UnusableRecordException.class)
                .hasMessageContaining("Full(0)");
    }

    @Test
    void fullDataOfTheOtherSelectorIsUnusable() {
        // an SPKI is not a certificate, and a certificate is not an SPKI
        assertThatThrownBy(() -> TlsaRecord.of(3, 0, 0, selected(cert, 1)))
                .isInstanceOf(UnusableRecordException.class);
        assertThatThrownBy(() -> TlsaRecord.of(3, 1, 0, selected(cert, 0)))
                .isInstanceOf(UnusableRecordException.class);
    }

    @ParameterizedTest(name = "[{index}] {0} {1} {2}")
    @CsvSource({
            "4,1,1,certificate usage", "255,1,1,certificate usage", "254,0,1,certificate usage",
            "3,2,1,selector", "3,255,1,selector", "2,2,0,selector",
            "3,1,3,matching type", "3,1,255,matching type", "2,0,4,matching type",
    })
    void unknownParametersAreUnusable(int usage, int selector, int matchingType, String what) {
        byte[] data = association(cert, 1, 1);
        assertThatThrownBy(() -> TlsaRecord.of(usage, selector, matchingType, data))
                .isInstanceOf(UnusableRecordException.class)
                .hasMessageContaining("unknown " + what);
        assertThatThrownBy(() -> TlsaRecord.parse(usage + " " + selector + " " + matchingType + " " + hex(data)))
                .isInstanceOf(UnusableRecordException.class)
                .hasMessageContaining("unknown " + what);
    }

    @Test
    void nullDataIsUnusable() {
        assertThatThrownBy(() -> TlsaRecord.of(3, 1, 1, null)).isInstanceOf(UnusableRecordException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "3 1 1", "3 1", "three 1 1 abcd", "3 1 1 xyz1", "3 1 1 abc", "256 1 1 " + "00", "-1 1 1 00",
            "3 1 1 0x00",
    })
    void textThatIsNotPresentationFormatIsAnIllegalArgument(String text) {
        assertThatThrownBy(() -> TlsaRecord.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
