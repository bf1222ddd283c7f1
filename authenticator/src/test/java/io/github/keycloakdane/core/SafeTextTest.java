package io.github.keycloakdane.core;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SafeTextTest {

    @Test
    void lineBreaksEscapesAndBidiOverridesCannotForgeOrHideText() {
        String forged = "a.example.com\nINFO [x] admin logged in\r\u001b[2J\u202egnp.exe\u2028";

        String safe = SafeText.name(forged);

        assertThat(safe).doesNotContain("\n", "\r", "\u001b", "\u202e", "\u2028")
                .isEqualTo("a.example.com?INFO [x] admin logged in??[2J?gnp.exe?");
    }

    @Test
    void longTextIsCutToTheBoundWithAMarker() {
        String flood = "x".repeat(100_000);

        assertThat(SafeText.detail(flood)).hasSize(SafeText.DETAIL_LIMIT).endsWith("...");
        assertThat(SafeText.name(flood)).hasSize(SafeText.NAME_LIMIT).endsWith("...");
    }

    @Test
    void ordinaryTextPassesUnchanged() {
        assertThat(SafeText.detail("no TLSA record at sensor7._device.example.com (NODATA)"))
                .isEqualTo("no TLSA record at sensor7._device.example.com (NODATA)");
        assertThat(SafeText.name(null)).isNull();
    }

    @Test
    void anOutcomesLogLineIsSafeToo() {
        DaneOutcome outcome = DaneOutcome.rejected("bad\nname", null, Reason.INVALID_NAME, "x".repeat(10_000) + "\n");

        assertThat(outcome.toString()).doesNotContain("\n").hasSizeLessThan(SafeText.NAME_LIMIT + SafeText.DETAIL_LIMIT + 100);
    }
}
