package io.github.keycloakdane.it.harness;

import java.io.File;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One server process of the harness (Keycloak, nginx, Knot) with its life written once: a directory of its own
 * ({@link DirLease}), the stop of what a killed run left there, a retry when another process takes a port first, the
 * wait until it serves, a JVM shutdown hook, and the diagnostics of a failed start. {@link #close()} stops the
 * process with all its children (SIGTERM, SIGKILL after 30 s) and frees the directory.
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
    private volatile Process process;
    private List<String> command = List.of();

    /** {@code dir} is the preferred directory, {@code outputName} the file there that gets stdout and stderr. */
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

    /** Starts the process and waits until it serves; on failure, everything is stopped again. */
    protected final void start() throws IOException {
        lease = DirLease.acquire(preferredDir);
        try {
            // with the lease held, a process found here belongs to a run whose JVM died before its shutdown hook ran
            stopStale();
            prepare();
            Runtime.getRuntime().addShutdownHook(shutdownHook);
            for (int attempt = 1; ; attempt++) {
                command = command();
                ProcessBuilder pb = new ProcessBuilder(command).directory(dir().toFile()).redirectErrorStream(true)
                        .redirectOutput(output().toFile());
                environment(pb.environment());
                process = pb.start();
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
        } catch (IllegalStateException e) {
            // the JVM is shutting down already
        }
        if (lease != null) {
            lease.close();
        }
    }

    private synchronized void stopProcess() {
        if (process != null) {
            stopTree(process.toHandle());
            process = null;
        }
    }

    /** Stops every process whose command line names this directory: the server or a child that outlived it. */
    private void stopStale() {
        String marker = dir() + "/";
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().filter(h -> h.pid() != self && h.info().commandLine().orElse("").contains(marker))
                .toList().forEach(ManagedProcess::stopTree);
    }

    /**
     * SIGTERM to the process and every descendant (a snapshot taken first, so children that the root's exit
     * re-parents are not lost), then SIGKILL to whatever is still alive after the grace period.
     */
    private static void stopTree(ProcessHandle root) {
        List<ProcessHandle> all = Stream.concat(Stream.of(root), root.descendants()).toList();
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + STOP_GRACE.toNanos();
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
                h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join();
            }
        }
    }

    protected String name() {
        return name;
    }

    protected Path dir() {
        return lease.dir();
    }

    /** The process's console output (stdout and stderr) of the current, or last, start. */
    protected Path output() {
        return dir().resolve(outputName);
    }

    /** The command line and the last lines of the output and of every {@link #diagnosticFiles() diagnostic file}. */
    protected String diagnostics() {
        StringBuilder s = new StringBuilder("--- command ---\n").append(String.join(" ", command)).append('\n');
        for (Path f : Stream.concat(Stream.of(output()), diagnosticFiles().stream()).toList()) {
            List<String> lines = read(f).lines().toList();
            s.append("--- ").append(f).append(" ---\n")
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())))
                    .append('\n');
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + (lease == null ? "not started" : dir()) + "]";
    }

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

    /**
     * Runs a command to its end (at most {@code timeout}, then killed), its stderr and stdout together into the
     * builder's output file, or a temporary one, and returns that output; a non-zero exit is an IOException with it.
     */
    static String run(ProcessBuilder command, Duration timeout) throws IOException {
        File given = command.redirectOutput().file();
        Path out = given != null ? given.toPath() : Files.createTempFile("harness-run", ".out");
        try {
            Process p = command.redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!ended) {
                p.destroyForcibly();
            }
            if (!ended || p.exitValue() != 0) {
                throw new IOException(String.join(" ", command.command()) + (ended ? " failed" : " timed out") + ":\n"
                        + read(out));
            }
            return read(out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            if (given == null) {
                Files.deleteIfExists(out);
            }
        }
    }

    /** An executable on the PATH or in /usr/sbin, /usr/local/sbin. */
    static Path binary(String name, String hint) {
        String dirs = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/sbin" + File.pathSeparator
                + "/usr/local/sbin";
        return Stream.of(dirs.split(File.pathSeparator)).filter(d -> !d.isEmpty()).map(d -> Path.of(d, name))
                .filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " not found (" + hint + ")"));
    }
}
