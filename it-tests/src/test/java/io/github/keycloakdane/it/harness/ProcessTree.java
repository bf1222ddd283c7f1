package io.github.keycloakdane.it.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Stopping a process with all its descendants, and small file helpers shared by the server classes. */
final class ProcessTree {

    private ProcessTree() {
    }

    /**
     * SIGTERM to the process and every descendant (a snapshot taken first, so children that the root's exit
     * re-parents are not lost), then SIGKILL to whatever is still alive after {@code grace}.
     */
    static void stop(ProcessHandle root, Duration grace) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle h : all) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                try {
                    h.onExit().get(left, TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    // still alive: killed below
                }
            }
        }
        List<CompletableFuture<ProcessHandle>> killed = new ArrayList<>();
        for (ProcessHandle h : all) {
            if (h.isAlive()) {
                h.destroyForcibly();
                killed.add(h.onExit());
            }
        }
        try {
            CompletableFuture.allOf(killed.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // nothing more to do
        }
    }

    /**
     * Stops processes left over from an earlier run whose JVM was killed before its shutdown hook ran: the pid in
     * {@code pidFile} if its command line contains {@code marker} (so a recycled pid is left alone), and any other
     * process whose command line contains {@code marker} (a child that outlived its parent). The marker must be
     * unique to the instance, e.g. its directory.
     */
    static void stopStale(Path pidFile, String marker, Duration grace) {
        try {
            if (Files.isRegularFile(pidFile)) {
                long pid = Long.parseLong(Files.readString(pidFile).strip());
                ProcessHandle.of(pid).filter(h -> commandLine(h).contains(marker)).ifPresent(h -> stop(h, grace));
                Files.deleteIfExists(pidFile);
            }
        } catch (IOException | NumberFormatException e) {
            // nothing usable there
        }
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses()
                .filter(h -> h.pid() != self && commandLine(h).contains(marker))
                .toList()
                .forEach(h -> stop(h, grace));
    }

    private static String commandLine(ProcessHandle h) {
        return h.info().commandLine().orElse("");
    }

    /** The last {@code lines} lines of a text file, or "" when it cannot be read. */
    static String tail(Path file, int lines) {
        try {
            if (!Files.isRegularFile(file)) {
                return "";
            }
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")\n";
        }
    }

    static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Sleeps; an interrupt becomes an IOException (the harness's start and stop paths throw IOException). */
    static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(dir)) {
            paths = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : paths) {
            Files.deleteIfExists(p);
        }
    }

    static void removeShutdownHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the JVM is shutting down already, or the hook was never added
        }
    }
}
