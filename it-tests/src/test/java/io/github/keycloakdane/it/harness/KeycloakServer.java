package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code bin/kc.sh start-dev} of the unpacked distribution) on 127.0.0.1, for integration tests.
 *
 * <pre>{@code
 * try (KeycloakServer kc = KeycloakServer.builder("nginx")
 *         .provider(ItConfig.daneJar())
 *         .options(KeycloakOptions.nginxCertLookup())
 *         .options(KeycloakOptions.behindProxy("127.0.0.1"))
 *         .start()) {
 *     kc.admin().createRealm(...);
 * }
 * }</pre>
 *
 * <p>Each instance has its own directory ({@code target/it/keycloak-NAME/} by default; held with a file lock while it
 * runs, so a concurrent test run gets {@code keycloak-NAME.2/}) holding {@code home/} (a copy of the distribution,
 * made once and kept), {@code keycloak.log} (the server's console output, overwritten at each start),
 * {@code keycloak.cmd} (its command line), {@code keycloak.pid} and, in HTTPS mode, {@code tls/}. At each start
 * {@code home/data} is wiped, the provider jars are synchronised into {@code home/providers} (copied with their
 * timestamps, so an unchanged jar does not trigger a rebuild) and the realm files are put into
 * {@code home/data/import}. Because {@code home/} is kept, start-dev re-augments (about 30 s more) only on the first
 * start of an instance and when build-time options or provider jars change.
 *
 * <p>The harness owns these options, and rejects them from callers: {@code --http-host} (always 127.0.0.1; the
 * management interface inherits it), {@code --http-port}, {@code --https-port}, {@code --http-management-port},
 * {@code --http-enabled}, {@code --https-certificate-file}, {@code --https-certificate-key-file},
 * {@code --import-realm}, {@code --health-enabled}. Defaults a caller may override: {@code --db=dev-mem},
 * {@code --cache=local}, {@code --http-management-scheme=http} and, in HTTPS mode, {@code --https-client-auth=request}.
 * Every option must be given as one {@code --name=value} argument.
 *
 * <p>{@link #close()} stops kc.sh and its java child (SIGTERM, SIGKILL after 30 s); a JVM shutdown hook does the same
 * if a test never gets there, and a later start in the same directory kills a server left over by a JVM that was
 * killed outright. The JVM gets {@code JAVA_OPTS_APPEND=}{@link ItConfig#keycloakJavaOptsAppend()}.
 */
public final class KeycloakServer implements AutoCloseable {

    public static final String DEFAULT_ADMIN_USERNAME = "admin";
    public static final String DEFAULT_ADMIN_PASSWORD = "admin";

    private static final Set<String> OWNED = Set.of("--http-host", "--http-port", "--https-port",
            "--http-management-port", "--http-enabled", "--https-certificate-file", "--https-certificate-key-file",
            "--import-realm", "--health-enabled");
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    private static final Pattern STARTED_IN = Pattern.compile("started in ([0-9.]+)s");
    private static final Pattern AUGMENTED_IN = Pattern.compile("augmentation completed in ([0-9]+)ms");

    /** Collects the configuration; {@link #start()} may be called more than once (one server each time). */
    public static final class Builder {
        private final String name;
        private Path dist;
        private Path instanceDir;
        private final List<Path> providers = new ArrayList<>();
        private final List<Path> realmImports = new ArrayList<>();
        private final List<String> options = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Issued httpsCertificate;
        private String adminUsername = DEFAULT_ADMIN_USERNAME;
        private String adminPassword = DEFAULT_ADMIN_PASSWORD;
        private Duration startTimeout = Duration.ofSeconds(180);

        private Builder(String name) {
            this.name = ItConfig.plainName(name);
        }

        /** The unpacked distribution to copy (default {@link ItConfig#keycloakDist()}). */
        public Builder dist(Path dist) {
            this.dist = dist;
            return this;
        }

        /**
         * The instance directory, used exclusively (default {@code ItConfig.workDir()/keycloak-NAME}, or
         * {@code keycloak-NAME.2}, {@code .3}, ... while other test runs hold that one).
         */
        public Builder instanceDir(Path dir) {
            this.instanceDir = dir;
            return this;
        }

        /** A provider jar for {@code providers/} (repeatable). */
        public Builder provider(Path jar) {
            providers.add(jar.toAbsolutePath().normalize());
            return this;
        }

        /** A realm JSON for {@code data/import/} (repeatable); adds {@code --import-realm}. */
        public Builder realmImport(Path realmJson) {
            realmImports.add(realmJson.toAbsolutePath().normalize());
            return this;
        }

        /** Options, each a complete {@code --name[=value]} argument. */
        public Builder option(String... opts) {
            return options(List.of(opts));
        }

        public Builder options(List<String> opts) {
            for (String o : opts) {
                String n = optionName(o);
                if (OWNED.contains(n)) {
                    throw new IllegalArgumentException(n + " is set by the harness");
                }
                options.add(o);
            }
            return this;
        }

        /** An environment variable for kc.sh (e.g. {@code JAVA_OPTS_APPEND}). */
        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        /**
         * Serve HTTPS only ({@code --http-enabled=false}) with this certificate and key, written as PEM into
         * {@code tls/}; make it with {@link TestPki#tlsServer} for 127.0.0.1. Client certificates are requested
         * ({@code --https-client-auth=request}) unless an option says otherwise. The TLS layer validates a client
         * certificate against Keycloak's truststore ({@code --truststore-paths=...}).
         */
        public Builder https(Issued serverCertificate) {
            this.httpsCertificate = serverCertificate;
            return this;
        }

        /** The bootstrap admin of the master realm (default admin/admin). */
        public Builder admin(String username, String password) {
            this.adminUsername = username;
            this.adminPassword = password;
            return this;
        }

        /** How long to wait for /health/ready (default 180 s). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public KeycloakServer start() throws IOException {
            KeycloakServer server = new KeycloakServer(this);
            server.start();
            return server;
        }
    }

    /** A builder for the instance {@code name} (also the directory name: keycloak-NAME). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    private final String name;
    private final Path dist;
    private final Path preferredDir;
    private final boolean exactDir;
    private DirLease lease;
    private Path instanceDir;
    private Path home;
    private Path logFile;
    private Path pidFile;
    private final List<Path> providers;
    private final List<Path> realmImports;
    private final List<String> callerOptions;
    private final Map<String, String> callerEnv;
    private final Issued httpsCertificate;
    private final String adminUsername;
    private final String adminPassword;
    private final Duration startTimeout;
    private final Thread shutdownHook;

    private volatile Process process;
    private int port;
    private int managementPort;
    private List<String> command = List.of();
    private Duration startupTime;
    private boolean reaugmented;
    private AdminApi admin;

    private KeycloakServer(Builder b) {
        this.name = b.name;
        this.dist = b.dist != null ? b.dist.toAbsolutePath().normalize() : ItConfig.keycloakDist();
        this.exactDir = b.instanceDir != null;
        this.preferredDir = (exactDir ? b.instanceDir : ItConfig.workDir().resolve("keycloak-" + b.name))
                .toAbsolutePath().normalize();
        this.providers = List.copyOf(b.providers);
        this.realmImports = List.copyOf(b.realmImports);
        this.callerOptions = List.copyOf(b.options);
        this.callerEnv = Map.copyOf(b.env);
        this.httpsCertificate = b.httpsCertificate;
        this.adminUsername = b.adminUsername;
        this.adminPassword = b.adminPassword;
        this.startTimeout = b.startTimeout;
        this.shutdownHook = new Thread(this::stopProcess, "keycloak-" + name + "-shutdown");
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    private void start() throws IOException {
        lease = exactDir ? DirLease.acquireExactly(preferredDir) : DirLease.acquire(preferredDir);
        instanceDir = lease.dir();
        home = instanceDir.resolve("home");
        logFile = instanceDir.resolve("keycloak.log");
        pidFile = instanceDir.resolve("keycloak.pid");
        try {
            // with the lease held, a server found here belongs to a run whose JVM died before its shutdown hook ran
            ProcessTree.stopStale(pidFile, home.resolve("bin") + "/", STOP_GRACE);
            prepareHome();
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            for (int attempt = 1; ; attempt++) {
                port = Ports.freeTcpPort();
                managementPort = Ports.freeTcpPort();
                command = buildCommand();
                Files.writeString(instanceDir.resolve("keycloak.cmd"), String.join(" \\\n    ", command) + "\n");
                long t0 = System.nanoTime();
                ProcessBuilder pb = new ProcessBuilder(command)
                        .directory(instanceDir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(logFile.toFile());
                environment(pb.environment());
                process = pb.start();
                Files.writeString(pidFile, Long.toString(process.pid()));
                try {
                    awaitReady();
                    startupTime = Duration.ofNanos(System.nanoTime() - t0);
                    reaugmented = log().contains("augmentation completed");
                    System.out.printf(Locale.ROOT, "[keycloak-%s] ready in %.1f s%s at %s (log: %s)%n", name,
                            startupTime.toMillis() / 1000.0, reaugmented ? " (re-augmented)" : "", baseUri(),
                            logFile);
                    return;
                } catch (IOException e) {
                    stopProcess();
                    String log = log();
                    boolean portRace = log.contains("Address already in use") || log.contains("already bound");
                    if (!portRace || attempt == START_ATTEMPTS) {
                        throw e;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private List<String> buildCommand() throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/kc.sh").toString());
        cmd.add("start-dev");
        cmd.add("--http-host=127.0.0.1");
        cmd.add("--http-management-port=" + managementPort);
        cmd.add("--health-enabled=true");
        Set<String> given = callerOptions.stream().map(KeycloakServer::optionName).collect(Collectors.toSet());
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("--db", "dev-mem");
        defaults.put("--cache", "local");
        defaults.put("--http-management-scheme", "http");
        if (httpsCertificate != null) {
            Path tls = Files.createDirectories(instanceDir.resolve("tls"));
            Path cert = TestPki.writePem(tls.resolve("server.pem"), List.of(httpsCertificate.cert()));
            Path key = TestPki.writePem(tls.resolve("server.key"), httpsCertificate.keyPair().getPrivate());
            cmd.add("--http-enabled=false");
            // start-dev opens its HTTP listener all the same (on 8080 unless told otherwise): keep it on a free port
            cmd.add("--http-port=" + Ports.freeTcpPort());
            cmd.add("--https-port=" + port);
            cmd.add("--https-certificate-file=" + cert);
            cmd.add("--https-certificate-key-file=" + key);
            defaults.put("--https-client-auth", "request");
        } else {
            cmd.add("--http-port=" + port);
        }
        defaults.forEach((k, v) -> {
            if (!given.contains(k)) {
                cmd.add(k + "=" + v);
            }
        });
        if (!realmImports.isEmpty()) {
            cmd.add("--import-realm");
        }
        cmd.addAll(callerOptions);
        return List.copyOf(cmd);
    }

    private void environment(Map<String, String> env) {
        // nothing from the test JVM's environment may configure Keycloak behind the harness' back
        env.keySet().removeIf(k -> k.startsWith("KC_") || k.startsWith("KEYCLOAK_") || k.startsWith("QUARKUS_")
                || k.startsWith("JAVA_OPTS") || k.equals("JAVA_ADD_OPENS") || k.equals("JAVA_TOOL_OPTIONS")
                || k.equals("JAVA") || k.equals("DEBUG") || k.equals("DEBUG_PORT"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", adminUsername);
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        String javaOpts = ItConfig.keycloakJavaOptsAppend();
        if (!javaOpts.isBlank()) {
            env.put("JAVA_OPTS_APPEND", javaOpts);
        }
        env.putAll(callerEnv);
    }

    private void awaitReady() throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + startTimeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            Process p = process;
            if (p == null || !p.isAlive()) {
                throw new IOException("Keycloak " + name + " exited with status " + (p == null ? "?" : p.exitValue())
                        + " before it was ready\n" + diagnostics());
            }
            try {
                HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
                // the management interface can report ready a moment before the main listener accepts connections
                if (r.statusCode() == 200 && accepts(port)) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for Keycloak", e);
            }
            ProcessTree.sleep(250);
        }
        throw new IOException("Keycloak " + name + " not ready within " + startTimeout.toSeconds() + " s (last: "
                + last + ")\n" + diagnostics());
    }

    private static boolean accepts(int tcpPort) {
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", tcpPort), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the server (kc.sh and its java child) and frees the instance directory. Idempotent. */
    @Override
    public void close() {
        stopProcess();
        ProcessTree.removeShutdownHook(shutdownHook);
        if (lease != null) {
            lease.close();
        }
    }

    /** Same as {@link #close()}. */
    public void stop() {
        close();
    }

    private synchronized void stopProcess() {
        Process p = process;
        if (p == null) {
            return;
        }
        ProcessTree.stop(p.toHandle(), STOP_GRACE);
        process = null;
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // harmless
        }
    }

    // ------------------------------------------------------------------------------------------------ the home dir

    private void prepareHome() throws IOException {
        Path marker = home.resolve(".harness-dist");
        String wanted = dist + "\n" + ProcessTree.read(dist.resolve("version.txt"));
        if (!Files.isRegularFile(marker) || !Files.readString(marker).equals(wanted)) {
            ProcessTree.deleteTree(home);
            copyTree(dist, home);
            Files.writeString(marker, wanted);
        }
        ProcessTree.deleteTree(home.resolve("data"));
        syncProviders();
        if (!realmImports.isEmpty()) {
            Path importDir = Files.createDirectories(home.resolve("data/import"));
            for (Path realm : realmImports) {
                Files.copy(realm, importDir.resolve(realm.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void syncProviders() throws IOException {
        Path dir = Files.createDirectories(home.resolve("providers"));
        Set<String> wanted = new LinkedHashSet<>();
        for (Path jar : providers) {
            if (!Files.isRegularFile(jar)) {
                throw new IOException("provider jar missing: " + jar);
            }
            if (!wanted.add(jar.getFileName().toString())) {
                throw new IllegalArgumentException("two provider jars named " + jar.getFileName());
            }
            Path target = dir.resolve(jar.getFileName());
            if (!sameFile(jar, target)) {
                Files.copy(jar, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                if (!wanted.contains(n) && !n.equals("README.md")) {
                    Files.delete(f);
                }
            }
        }
    }

    private static boolean sameFile(Path a, Path b) throws IOException {
        if (!Files.isRegularFile(b)) {
            return false;
        }
        FileTime ta = Files.getLastModifiedTime(a);
        FileTime tb = Files.getLastModifiedTime(b);
        return Files.size(a) == Files.size(b) && ta.equals(tb) && Files.mismatch(a, b) == -1;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path src : walk.toList()) {
                Path dst = to.resolve(from.relativize(src).toString());
                if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    public String name() {
        return name;
    }

    public boolean isHttps() {
        return httpsCertificate != null;
    }

    /** {@code http://127.0.0.1:PORT} or, in HTTPS mode, {@code https://127.0.0.1:PORT} (no trailing slash). */
    public URI baseUri() {
        return URI.create((isHttps() ? "https" : "http") + "://127.0.0.1:" + port);
    }

    /** {@code BASE/realms/REALM}: the issuer when the request reached Keycloak directly. */
    public URI realmUri(String realm) {
        return URI.create(baseUri() + "/realms/" + realm);
    }

    /** The HTTP port, or the HTTPS port in HTTPS mode. */
    public int port() {
        return port;
    }

    /** The management interface (plain HTTP): /health, /health/ready. */
    public int managementPort() {
        return managementPort;
    }

    /** The HTTPS server certificate (HTTPS mode), else null. */
    public X509Certificate serverCertificate() {
        return httpsCertificate == null ? null : httpsCertificate.cert();
    }

    public String adminUsername() {
        return adminUsername;
    }

    public String adminPassword() {
        return adminPassword;
    }

    /** An admin REST client for this server (direct, not through a proxy). */
    public synchronized AdminApi admin() {
        if (admin == null) {
            TlsHttp http = isHttps() ? TlsHttp.trusting(List.of(httpsCertificate.cert())) : TlsHttp.plain();
            admin = new AdminApi(baseUri(), http, adminUsername, adminPassword);
        }
        return admin;
    }

    /** The kc.sh command line of the current (or last) start. */
    public List<String> command() {
        return command;
    }

    public Path instanceDir() {
        return instanceDir;
    }

    /** The Keycloak installation this instance runs ({@code bin/}, {@code conf/}, {@code providers/}, ...). */
    public Path home() {
        return home;
    }

    public Path logFile() {
        return logFile;
    }

    /** The server's console output of the current (or last) start. */
    public String log() {
        return ProcessTree.read(logFile);
    }

    public String logTail(int lines) {
        return ProcessTree.tail(logFile, lines);
    }

    /** From starting kc.sh until /health/ready answered 200. */
    public Duration startupTime() {
        return startupTime;
    }

    /** Whether the last start rebuilt (re-augmented) the server first. */
    public boolean reaugmented() {
        return reaugmented;
    }

    /** What Keycloak itself reports ("started in 23.5s"), or null. */
    public Duration reportedStartTime() {
        Matcher m = STARTED_IN.matcher(log());
        return m.find() ? Duration.ofMillis((long) (Double.parseDouble(m.group(1)) * 1000)) : null;
    }

    /** How long the last re-augmentation took, or null when there was none. */
    public Duration augmentationTime() {
        Matcher m = AUGMENTED_IN.matcher(log());
        return m.find() ? Duration.ofMillis(Long.parseLong(m.group(1))) : null;
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The pid of kc.sh (after a re-augmentation, kc.sh has exec'ed into the java process: then it is java's). */
    public long pid() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("Keycloak " + name + " is not running");
        }
        return p.pid();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String diagnostics() {
        return "--- command ---\n" + String.join(" ", command) + "\n--- last lines of " + logFile + " ---\n"
                + ProcessTree.tail(logFile, 60);
    }

    static String optionName(String option) {
        if (!option.startsWith("--")) {
            throw new IllegalArgumentException("options are --name=value arguments: " + option);
        }
        int eq = option.indexOf('=');
        return eq < 0 ? option : option.substring(0, eq);
    }

    @Override
    public String toString() {
        return "KeycloakServer[" + name + ", " + (port == 0 ? "not started" : baseUri()) + "]";
    }
}
