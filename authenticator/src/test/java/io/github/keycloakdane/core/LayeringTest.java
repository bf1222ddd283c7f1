package io.github.keycloakdane.core;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The DANE core, the DNS code and the settings know nothing of Keycloak or of a metrics library (the CLI runs them
 * without either; metrics reach them through {@code dns.LookupObserver}).
 */
class LayeringTest {

    @Test
    void coreDnsAndSettingsImportNeitherKeycloakNorMicrometer() throws Exception {
        Path root = Path.of("src", "main", "java", "io", "github", "keycloakdane");
        List<Path> sources;
        try (Stream<Path> files = Stream.of("core", "dns", "settings").flatMap(p -> walk(root.resolve(p)))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }

        assertThat(sources).hasSizeGreaterThan(20).allSatisfy(f -> assertThat(Files.readString(f)).as(f.toString())
                .doesNotContain("import org.keycloak").doesNotContain("import io.micrometer"));
    }

    private static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
