package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.settings.SpiSpelling;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Keycloak line the provider is tested on besides the one the full suite runs ({@code keycloak.version}): its
 * version, its unpacked distribution (it-tests/pom.xml unpacks every one of {@code keycloak.lines} beside the main
 * one) and how it spells SPI options.
 */
public record KeycloakLine(String version, Path distribution, SpiSpelling spelling) {

    /** The line of {@code version}, its distribution unpacked beside the main one. */
    public static KeycloakLine of(String version) {
        Path dist = ItConfig.keycloakDist().getParent().resolve("keycloak-" + version);
        if (!Files.isExecutable(dist.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("no Keycloak " + version + " at " + dist
                    + " (it-tests/pom.xml unpacks keycloak.lines in the pre-integration-test phase)");
        }
        return new KeycloakLine(version, dist, SpiSpelling.forKeycloak(version));
    }

    /** The lines of {@code keycloak.lines} (comma-separated versions, the root pom's property). */
    public static List<KeycloakLine> tested() {
        return Arrays.stream(System.getProperty("keycloak.lines", "").split(",")).map(String::strip)
                .filter(v -> !v.isEmpty()).map(KeycloakLine::of).toList();
    }

    /** Whether a version ({@code 26.2.5}, or a dist's {@code version.txt} text) is older than {@code major.minor}. */
    public static boolean before(String version, int major, int minor) {
        Matcher m = Pattern.compile("(\\d+)\\.(\\d+)\\.").matcher(version);
        if (!m.find()) {
            return false;
        }
        int ma = Integer.parseInt(m.group(1));
        int mi = Integer.parseInt(m.group(2));
        return ma < major || (ma == major && mi < minor);
    }

    /** {@code 26.2.5} as a plain name for instance directories and DNS labels: {@code 26-2-5}. */
    public String label() {
        return version.replace('.', '-');
    }
}
