package io.github.keycloakdane.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A markdown table in docs that is made from the code: the test compares it, and with {@code -Ddocs.write=true}
 * rewrites it in place (the table that starts with the same header line), so a new option never needs hand-editing.
 */
public final class DocTables {

    private DocTables() {
    }

    /** The docs/CONFIGURATION.md of this checkout, seen from a module directory. */
    public static Path configurationDoc() {
        return Path.of("..", "docs", "CONFIGURATION.md");
    }

    public static void assertTable(Path doc, String table) throws IOException {
        String text = Files.readString(doc);
        String header = table.substring(0, table.indexOf('\n') + 1);
        int start = text.indexOf(header);
        assertThat(start).as("%s has no table starting with %s", doc, header.strip()).isGreaterThanOrEqualTo(0);
        int end = start;
        while (end < text.length() && text.startsWith("|", end)) {
            int next = text.indexOf('\n', end);
            end = next < 0 ? text.length() : next + 1;
        }
        String current = text.substring(start, end);
        if (Boolean.getBoolean("docs.write") && !current.equals(table)) {
            Files.writeString(doc, text.substring(0, start) + table + text.substring(end));
            return;
        }
        assertThat(current).as("%s's table; rerun with -Ddocs.write=true to rewrite it", doc).isEqualTo(table);
    }
}
