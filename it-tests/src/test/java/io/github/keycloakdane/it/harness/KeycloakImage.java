package io.github.keycloakdane.it.harness;

import org.testcontainers.DockerClientFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The Keycloak image the container ITs run, built on this machine by {@code scripts/keycloak-image.sh} (no registry
 * is reachable): the script alone names it (Keycloak version and recipe hash) and builds it when the engine lacks it.
 */
public final class KeycloakImage {

    private KeycloakImage() {
    }

    /** Why the image can be neither found nor built here, if so: building needs debootstrap (a Debian package). */
    public static Optional<String> whyUnavailable() {
        if (present(tag()) || Files.isExecutable(Path.of("/usr/sbin/debootstrap"))) {
            return Optional.empty();
        }
        return Optional.of("the local Keycloak image is not built and debootstrap, which builds it, is missing "
                + "(scripts/install-deps.sh --docker installs it)");
    }

    /** The image's tag, after building it if the engine lacks it (minutes the first time, then a no-op). */
    public static String build() throws IOException {
        return script();
    }

    private static String tag() {
        try {
            return script("--tag");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean present(String tag) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(tag).exec();
            return true;
        } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            return false;
        }
    }

    /** Runs the script (its progress goes to the test output) and returns the last line it printed: the tag. */
    private static String script(String... args) throws IOException {
        Path script = ItConfig.keycloakImageScript();
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        int status;
        try {
            status = process.waitFor();
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (status != 0 || out.isEmpty()) {
            throw new IOException(script + " " + String.join(" ", args) + " failed (exit " + status + "): " + out);
        }
        return out.substring(out.lastIndexOf('\n') + 1);
    }
}
