package io.github.keycloakdane.keycloak;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin guide's meter table lists exactly the meters the code registers, each once. */
class MetricsDocsTest {

    private static final Pattern ROW = Pattern.compile("^\\| `(keycloak\\.dane\\.[a-z.]+)` \\|", Pattern.MULTILINE);

    @Test
    void theMetricsTableNamesEveryMeterAndNoOther() throws Exception {
        String guide = Files.readString(Path.of("..", "docs", "ADMIN-GUIDE.md"));
        String section = guide.substring(guide.indexOf("## Metrics"), guide.indexOf("## Diagnostics"));
        List<String> documented = new ArrayList<>();
        Matcher m = ROW.matcher(section);
        while (m.find()) {
            documented.add(m.group(1));
        }

        assertThat(documented).containsExactlyInAnyOrderElementsOf(DaneMetrics.METERS).doesNotHaveDuplicates();
    }
}
