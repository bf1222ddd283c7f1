package io.github.keycloakdane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;

import static org.assertj.core.api.Assertions.assertThat;

/** Any text is a name in normal form or an {@link InvalidNameException}; allow lists likewise. */
class DaneNameFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void names(String text) {
        try {
            DaneName name = DaneName.parse(text);
            assertThat(DaneName.parse(name.value())).isEqualTo(name); // the normal form is a fixed point
            assertThat(name.value().length()).isLessThanOrEqualTo(DaneName.MAX_NAME_LENGTH);
            AllowList.parse(text).admits(name);
        } catch (InvalidNameException expected) {
            // a typed refusal with a message
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
