package io.github.keycloakdane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;

/**
 * TLSA presentation text and wire fields: a usable record, an {@link UnusableRecordException} (a TLSA record we set
 * aside), or an {@link IllegalArgumentException} (not TLSA presentation format at all). Nothing else.
 */
class TlsaRecordFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void records(FuzzedDataProvider data) {
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
}
