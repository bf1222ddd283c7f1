package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.settings.SpiSpelling;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The release's facts where users read them: the README's versions table has one row per Keycloak line the suite runs
 * (the root pom's {@code keycloak.version} and {@code keycloak.lines}, which KeycloakLinesIT starts) with that line's
 * option spelling, and the README, CHANGELOG.md, docs/RELEASE.md and the Containerfile name the pom's versions. No
 * servers: an IT only because it-tests runs no surefire.
 */
class ReleaseDocsIT {

    private static final String VERSION = System.getProperty("dane.version");
    private static final String KEYCLOAK = System.getProperty("keycloak.version");

    private static String doc(String path) throws IOException {
        return Files.readString(Path.of("..").resolve(path));
    }

    /** The tested Keycloak versions, newest first. */
    private static List<String> testedVersions() {
        List<String> versions = new ArrayList<>(List.of(KEYCLOAK));
        Arrays.stream(System.getProperty("keycloak.lines", "").split(",")).map(String::strip)
                .filter(v -> !v.isEmpty()).forEach(versions::add);
        versions.sort(java.util.Comparator.comparing((String v) -> Arrays.stream(v.split("\\.")).mapToInt(Integer::parseInt)
                .toArray(), Arrays::compare).reversed());
        return versions;
    }

    @Test
    void theVersionsTableHasEveryTestedLineWithItsSpelling() throws IOException {
        String readme = doc("README.md");
        int start = readme.indexOf("| Keycloak line | tested version | option spelling | notes |");
        assertThat(start).as("the README's versions table").isNotNegative();
        List<String> rows = readme.substring(start).lines().skip(2).takeWhile(l -> l.startsWith("|")).toList();

        List<String> expected = testedVersions().stream().map(v -> "| " + v.substring(0, v.lastIndexOf('.')) + " | "
                + v + " | `" + SpiSpelling.forKeycloak(v).option(ServerOption.RESOLVER) + "` |").toList();
        assertThat(rows).hasSameSizeAs(expected);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i)).as("row %d of the versions table", i + 1).startsWith(expected.get(i));
        }
        // the range the README's first lines claim is the tested one
        List<String> lines = testedVersions().stream().map(v -> v.substring(0, v.lastIndexOf('.'))).sorted().toList();
        assertThat(readme).contains("for Keycloak " + lines.get(0) + " to " + lines.get(lines.size() - 1));
    }

    @Test
    void theReleaseVersionIsOneEverywhere() throws IOException {
        assertThat(VERSION).as("the pom's version is a release (semantic versioning)").matches("\\d+\\.\\d+\\.\\d+");
        assertThat(doc("README.md")).contains("Release " + VERSION + ",", "keycloak-dane-" + VERSION + ".jar",
                "keycloak-dane-" + VERSION + ".jar.sha256", "keycloak-dane-" + VERSION + ".cdx.json");
        String changelog = doc("CHANGELOG.md");
        assertThat(changelog).startsWith("# Changelog").contains("\n## [" + VERSION + "] - ");
        java.util.regex.Matcher newest = java.util.regex.Pattern.compile("(?m)^## \\[(\\d[^]]*)]").matcher(changelog);
        assertThat(newest.find()).as("a release entry in CHANGELOG.md").isTrue();
        assertThat(newest.group(1)).as("the newest release in CHANGELOG.md is the pom's version").isEqualTo(VERSION);
        assertThat(doc("docs/RELEASE.md")).contains("v" + VERSION, "keycloak-dane-" + VERSION + ".jar");
        assertThat(doc("Containerfile")).contains("ARG KEYCLOAK_VERSION=" + KEYCLOAK + "\n",
                "keycloak-dane-" + VERSION + ".jar");
    }

    @Test
    void theReleaseFilesAreTheBuiltJar() throws Exception {
        Path release = ItConfig.daneJar().resolveSibling("release");
        Path jar = release.resolve("keycloak-dane-" + VERSION + ".jar");
        String sha256 = Files.readString(release.resolve("keycloak-dane-" + VERSION + ".jar.sha256")).strip();
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(jar));

        // sha256sum's format, which sha256sum -c checks
        assertThat(sha256).isEqualTo(java.util.HexFormat.of().formatHex(digest) + " *" + jar.getFileName());
        assertThat(Files.mismatch(jar, ItConfig.daneJar())).as("the release jar is the packaged one").isEqualTo(-1);
        Path sbomFile = release.resolve("keycloak-dane-" + VERSION + ".cdx.json");
        assertThat(sbomFile).as("the SBOM; cyclonedx-maven-plugin runs only online: build without -o").exists();
        // not older than the jar: an SBOM left from an earlier build is not this build's
        assertThat(Files.getLastModifiedTime(sbomFile).toMillis() + 1000)
                .as("the SBOM is this build's (cyclonedx-maven-plugin runs only online: build without -o)")
                .isGreaterThanOrEqualTo(Files.getLastModifiedTime(ItConfig.daneJar()).toMillis());
        com.fasterxml.jackson.databind.JsonNode sbom = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(sbomFile.toFile());
        assertThat(sbom.path("bomFormat").asText()).isEqualTo("CycloneDX");
        assertThat(sbom.path("metadata").path("component").path("version").asText()).isEqualTo(VERSION);
        List<String> components = new ArrayList<>();
        sbom.path("components").forEach(c -> components.add(c.path("name").asText() + ":" + c.path("version").asText()));
        // what the jar shades, and nothing Keycloak provides
        assertThat(components).contains("dnsjava:" + System.getProperty("dnsjava.version"))
                .anySatisfy(c -> assertThat(c).startsWith("nimbus-jose-jwt:"))
                .noneSatisfy(c -> assertThat(c).startsWith("keycloak-server-spi"));
    }
}
