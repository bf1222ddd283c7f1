package io.github.keycloakdane.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One server process of the harness (Keycloak, nginx, Knot), with everything around its life written once: a
 * directory of its own ({@link DirLease}), the stop of a process that a killed run left there, free ports and a
 * retry when another process takes one first, the wait until it serves, a JVM shutdown hook, and the command line and
 * log tails that a failed start shows.
 *
 * <p>A subclass says how to prepare its directory ({@link #prepare()}), what to run on which ports
 * ({@link #command()}), when it serves ({@link #notReady()}) and which files tell what went wrong
 * ({@link #diagnosticFiles()}). {@link #close()} stops the process with all its children (SIGTERM, SIGKILL after
 * 30 s) and frees the directory; the shutdown hook does the same if a test never gets there.
 */
public abstract class ManagedProcess implements AutoCloseable {

    static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    /** What Keycloak, nginx and Knot log when a port was taken between {@link #freePort()} and their bind. */
    private static final List<String> PORT_TAKEN = List.of("Address already in use", "already bound", "cannot bind",
            "failed to bind");

    private final String name;
    private final Path preferredDir;
    private final String outputName;
    private final Duration startTimeout;
    private final Thread shutdownHook;
    private DirLease lease;
    private Path dir;
    private volatile Process process;
    private List<String> command = List.of();

    /**
     * @param name       for messages, e.g. {@code keycloak-stack}
     * @param dir        the preferred directory ({@code DIR.2}, {@code .3}, ... while other runs hold it)
     * @param outputName the file in the directory that gets the process's stdout and stderr
     */
    protected ManagedProcess(String name, Path dir, String outputName, Duration startTimeout) {
        this.name = name;
        this.preferredDir = dir.toAbsolutePath().normalize();
        this.outputName = outputName;
        this.startTimeout = startTimeout;
        this.shutdownHook = new Thread(this::stopProcess, name + "-shutdown");
    }

    /** Writes what every start needs into {@link #dir()}; runs once, with the directory held. */
    protected abstract void prepare() throws IOException;

    /** The command line of one start attempt: picks the ports and writes the configuration that names them. */
    protected abstract List<String> command() throws IOException;

    /** null when the process serves, else what it still lacks (shown when it never gets there). */
    protected abstract String notReady() throws IOException;

    /** Files besides the console output that tell why a start failed (logs, the configuration). */
    protected abstract List<Path> diagnosticFiles();

    /** Changes to the environment the process inherits (default: none). */
    protected void environment(Map<String, String> env) {
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    /** Starts the process and waits until it serves; on failure, everything is stopped again. */
    protected final void start() throws IOException {
        lease = DirLease.acquire(preferredDir);
        dir = lease.dir();
        try {
            // with the lease held, a process found here belongs to a run whose JVM died before its shutdown hook ran
            stopStale();
            prepare();
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            for (int attempt = 1; ; attempt++) {
                command = command();
                ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(output().toFile());
                environment(pb.environment());
                process = pb.start();
                Files.writeString(pidFile(), Long.toString(process.pid()));
                try {
                    awaitReady();
                    return;
                } catch (IOException e) {
                    stopProcess();
                    String logs = read(output()) + diagnosticFiles().stream().map(ManagedProcess::read).toList();
                    if (attempt == START_ATTEMPTS || PORT_TAKEN.stream().noneMatch(logs::contains)) {
                        throw e;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        String missing = "no answer yet";
        while (System.nanoTime() < deadline) {
            Process p = process;
            if (!p.isAlive()) {
                throw new IOException(name + " exited with status " + p.exitValue() + " before it was ready\n"
                        + diagnostics());
            }
            missing = notReady();
            if (missing == null) {
                return;
            }
            sleep(100);
        }
        throw new IOException(name + " not ready within " + startTimeout.toSeconds() + " s (still " + missing + ")\n"
                + diagnostics());
    }

    /** Stops the process (and its children) and frees the directory. Idempotent. */
    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the JVM is shutting down already, or the hook was never added
        }
        if (lease != null) {
            lease.close();
        }
    }

    private synchronized void stopProcess() {
        Process p = process;
        if (p != null) {
            stopTree(p.toHandle());
            process = null;
            try {
                Files.deleteIfExists(pidFile());
            } catch (IOException e) {
                // harmless: the next start checks the command line before it stops anything
            }
        }
    }

    /**
     * Stops what an earlier run left in this directory: the pid in the pid file if its command line names the
     * directory (so a recycled pid is left alone), and any other process whose command line does (a child that
     * outlived its parent).
     */
    private void stopStale() throws IOException {
        String marker = dir + "/";
        if (Files.isRegularFile(pidFile())) {
            try {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile()).strip()))
                        .filter(h -> commandLine(h).contains(marker)).ifPresent(ManagedProcess::stopTree);
            } catch (NumberFormatException e) {
                // nothing usable there
            }
            Files.deleteIfExists(pidFile());
        }
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().filter(h -> h.pid() != self && commandLine(h).contains(marker)).toList()
                .forEach(ManagedProcess::stopTree);
    }

    /**
     * SIGTERM to the process and every descendant (a snapshot taken first, so children that the root's exit
     * re-parents are not lost), then SIGKILL to whatever is still alive after the grace period.
     */
    private static void stopTree(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        List<CompletableFuture<ProcessHandle>> killed = new ArrayList<>();
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
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

    private static String commandLine(ProcessHandle h) {
        return h.info().commandLine().orElse("");
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** For messages, e.g. {@code keycloak-stack}. */
    protected String name() {
        return name;
    }

    /** The directory this instance holds. */
    protected Path dir() {
        return dir;
    }

    /** The process's console output (stdout and stderr) of the current, or last, start. */
    protected Path output() {
        return dir.resolve(outputName);
    }

    private Path pidFile() {
        return dir.resolve("harness.pid");
    }

    /** The command line and the last lines of the output and of every {@link #diagnosticFiles() diagnostic file}. */
    protected String diagnostics() {
        StringBuilder s = new StringBuilder("--- command ---\n").append(String.join(" ", command)).append('\n');
        List<Path> files = new ArrayList<>(List.of(output()));
        files.addAll(diagnosticFiles());
        for (Path f : files) {
            List<String> lines = read(f).lines().toList();
            s.append("--- ").append(f).append(" ---\n")
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())))
                    .append('\n');
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + (dir == null ? "not started" : dir) + "]";
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A port free on 127.0.0.1 for both TCP and UDP at the time of the call (a race lost for it is retried). */
    protected static int freePort() {
        for (int i = 0; i < 50; i++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
                 ServerSocket tcp = new ServerSocket()) {
                tcp.setReuseAddress(false);
                tcp.bind(new InetSocketAddress(LOOPBACK, udp.getLocalPort()));
                return tcp.getLocalPort();
            } catch (IOException e) {
                // the TCP side is taken: try another
            }
        }
        throw new UncheckedIOException(new IOException("no port free for both UDP and TCP on " + LOOPBACK));
    }

    /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
    protected static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(LOOPBACK, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A text file's content, "" when it cannot be read. */
    static String read(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Sleeps; an interrupt becomes an IOException (the harness's start paths throw IOException). */
    static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** An executable on the PATH or in /usr/sbin, /usr/local/sbin. */
    static Path binary(String name, String hint) {
        List<Path> candidates = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty()) {
                candidates.add(Path.of(d, name));
            }
        }
        candidates.add(Path.of("/usr/sbin", name));
        candidates.add(Path.of("/usr/local/sbin", name));
        return candidates.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " not found (" + hint + ")"));
    }
}
