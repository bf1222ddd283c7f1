package io.github.keycloakdane.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The paths failsafe hands to the ITs as system properties (it-tests/pom.xml), with fallbacks for a run from the IDE
 * with it-tests as working directory.
 */
public final class ItConfig {

    private ItConfig() {
    }

    /** {@code keycloak.dist}, by default {@code target/keycloak-VERSION}. */
    public static Path keycloakDist() {
        Path dist = path("keycloak.dist", "target/keycloak-" + System.getProperty("keycloak.version"));
        if (!Files.isExecutable(dist.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("no Keycloak distribution at " + dist
                    + " (it is unpacked in the pre-integration-test phase: run mvn verify on it-tests)");
        }
        return dist;
    }

    /** The provider jar under test ({@code dane.jar}). */
    public static Path daneJar() {
        Path jar = path("dane.jar", "../authenticator/target/keycloak-dane.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("the packaged jar is missing: " + jar
                    + " (run mvn -pl authenticator package -DskipTests)");
        }
        return jar;
    }

    /** The realm JSON of realm-config ({@code dane.realm}), when it exists. */
    public static Optional<Path> daneRealm() {
        return Optional.of(path("dane.realm", "../realm-config/dane-realm.json")).filter(Files::isRegularFile);
    }

    /** {@code scripts/keycloak-image.sh} ({@code keycloak.image.script}), which names and builds the local image. */
    public static Path keycloakImageScript() {
        return path("keycloak.image.script", "../scripts/keycloak-image.sh");
    }

    /** Root of the per-instance working directories ({@code it.workdir}), e.g. {@code target/it}. */
    public static Path workDir() {
        return path("it.workdir", "target/it");
    }

    /**
     * Every Keycloak's {@code JAVA_OPTS_APPEND}, from {@code -Dkeycloak.javaOptsAppend=...} (e.g. a jdwp agent to
     * debug the provider); by default C1 only, which starts Keycloak faster on 2 cores.
     */
    public static String keycloakJavaOptsAppend() {
        return System.getProperty("keycloak.javaOptsAppend", "-XX:TieredStopAtLevel=1");
    }

    private static Path path(String property, String fallback) {
        return Path.of(System.getProperty(property, fallback)).toAbsolutePath().normalize();
    }

    /** An instance name, which is also a directory name: a plain file name only. */
    static String plainName(String name) {
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("instance name must be a plain file name: " + name);
        }
        return name;
    }
}
