package io.github.keycloakdane.keycloak;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OptionSpellingCheckTest {

    @Test
    void keycloaksJoinedCommandLineIsSplitBack() {
        assertThat(OptionSpellingCheck.cliArgs("start-dev,--spi-dane--default--allow-list=.a.test,,.b.test,--http-port=1"))
                .containsExactly("start-dev", "--spi-dane--default--allow-list=.a.test,.b.test", "--http-port=1");
        assertThat(OptionSpellingCheck.cliArgs(null)).isEmpty();
        assertThat(OptionSpellingCheck.cliArgs("")).isEmpty();
    }
}
