package io.github.keycloakdane.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin guide's event table is where operators look a reason up: it must know every one the code can give. */
class ReasonDocsTest {

    @Test
    void theAdminGuideNamesEveryReasonAndEveryDnssecStatus() throws Exception {
        String guide = Files.readString(Path.of("..", "docs", "ADMIN-GUIDE.md"));

        assertThat(Arrays.stream(Reason.values()).map(r -> "`" + r.name() + "`"))
                .allSatisfy(r -> assertThat(guide).as("docs/ADMIN-GUIDE.md").contains(r));
        assertThat(Arrays.stream(DnssecStatus.values()).map(s -> "`" + s.name() + "`"))
                .allSatisfy(s -> assertThat(guide).as("docs/ADMIN-GUIDE.md").contains(s));
    }
}
