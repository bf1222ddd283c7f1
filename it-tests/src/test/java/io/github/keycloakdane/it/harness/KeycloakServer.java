package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.settings.SpiSpelling;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.keycloak.admin.client.Keycloak;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code bin/kc.sh start-dev} of the unpacked distribution, or in {@link Builder#production production
 * mode} {@code kc.sh build} then {@code kc.sh start --optimized}) on 127.0.0.1, for integration tests.
 *
 * <pre>{@code
 * try (KeycloakServer kc = KeycloakServer.builder("https").provider(ItConfig.daneJar())
 *         .https(TestPki.tlsServer(ca, "127.0.0.1")).options(KeycloakOptions.tlsCertLookup()).start()) {
 *     kc.admin().realms().create(...);
 * }
 * }</pre>
 *
 * <p>Its directory ({@code target/it/keycloak-NAME/} by default) holds {@code home/} (a copy of the distribution,
 * made once and kept, so start-dev re-augments only on an instance's first start and when build-time options or
 * provider jars change), {@code keycloak.log} (the console output) and, in HTTPS mode, {@code tls/}. At each start
 * {@code home/data} is wiped, the provider jars are copied into {@code home/providers} (with their timestamps, so an
 * unchanged jar does not trigger a rebuild) and the realm files into {@code home/data/import}.
 *
 * <p>The harness owns {@code --http-host} (127.0.0.1), the ports, {@code --http-enabled}, the HTTPS certificate
 * options, {@code --import-realm} and {@code --health-enabled}, and rejects them from callers. Defaults a caller may
 * override: {@code --db=dev-mem}, {@code --cache=local}, {@code --http-management-scheme=http} and, in HTTPS mode,
 * {@code --https-client-auth=request}. Nothing from the test JVM's environment configures Keycloak; its JVM gets
 * {@code JAVA_OPTS_APPEND=}{@link ItConfig#keycloakJavaOptsAppend()}.
 *
 * <p>Production mode: {@code kc.sh build} with {@link #PRODUCTION_BUILD} and the caller's build options runs in
 * {@code prepare} when they or the provider jars changed since the last build of this instance (its output in
 * {@code build.log}); the start gets {@link #PRODUCTION_START}, no defaults, and the cluster transport (JGroups) on
 * 127.0.0.1 and a port of its own ({@code --cache-embedded-network-bind-address/-port}, also owned).
 */
public final class KeycloakServer extends ManagedProcess {

    private static final Set<String> OWNED = Set.of("--http-host", "--http-port", "--https-port",
            "--http-management-port", "--http-enabled", "--https-certificate-file", "--https-certificate-key-file",
            "--import-realm", "--health-enabled", "--cache-embedded-network-bind-address",
            "--cache-embedded-network-bind-port");
    /** The build-time options every production build gets from the harness: its readiness check needs health. */
    public static final List<String> PRODUCTION_BUILD = List.of("--health-enabled=true");
    /** The start of a production node behind a TLS-terminating proxy: the build's options, plain HTTP inside. */
    public static final List<String> PRODUCTION_START = List.of("start", "--optimized", "--http-enabled=true");
    /** FD_SOCK2 listens on the JGroups port + this ({@code jgroups.fd.port-offset} of Keycloak's stacks). */
    private static final int FD_SOCK_OFFSET = 50000;

    /** Collects the configuration; {@link #start()} may be called more than once (one server each time). */
    public static final class Builder {
        private final String name;
        private Path instanceDir;
        private final List<Path> providers = new ArrayList<>();
        private final List<Path> realmImports = new ArrayList<>();
        private final List<String> options = new ArrayList<>();
        private Issued httpsCertificate;
        private Duration startTimeout = Duration.ofSeconds(600);
        private List<String> buildOptions;
        private Path distribution = ItConfig.keycloakDist();
        private SpiSpelling spelling = SpiSpelling.DOUBLE_DASH;
        private List<String> keycloakConf;
        private final List<String> javaOptions = new ArrayList<>();

        private Builder(String name) {
            this.name = ItConfig.plainName(name);
        }

        /** The instance directory (default {@code ItConfig.workDir()/keycloak-NAME}). */
        public Builder instanceDir(Path dir) {
            this.instanceDir = dir;
            return this;
        }

        /**
         * The installation to copy into {@code home/} (default: the unpacked distribution). Another production
         * instance's {@link KeycloakServer#installation()} brings its build along: with the same build options and
         * provider jars, this instance skips {@code kc.sh build}.
         */
        public Builder distribution(Path installation) {
            this.distribution = installation.toAbsolutePath().normalize();
            return this;
        }

        /**
         * How the server's line spells SPI options (default {@link SpiSpelling#DOUBLE_DASH}, Keycloak 26.3 and
         * later): every {@code --spi-...} option given in the double-dash form is passed in this spelling instead.
         * With {@link KeycloakLine#distribution()} and {@link KeycloakLine#spelling()} another line runs.
         */
        public Builder spelling(SpiSpelling spelling) {
            this.spelling = spelling;
            return this;
        }

        /** Another Keycloak line: its distribution and its spelling of SPI options. */
        public Builder line(KeycloakLine line) {
            distribution(line.distribution());
            return spelling(line.spelling());
        }

        /** The lines of {@code conf/keycloak.conf} (default: the distribution's file, all comments). */
        public Builder keycloakConf(List<String> lines) {
            this.keycloakConf = List.copyOf(lines);
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

        /** JVM options for this instance, after {@link ItConfig#keycloakJavaOptsAppend()} in JAVA_OPTS_APPEND. */
        public Builder javaOptions(List<String> opts) {
            javaOptions.addAll(opts);
            return this;
        }

        /** Options, each one complete {@code --name[=value]} argument. */
        public Builder option(String... opts) {
            return options(List.of(opts));
        }

        public Builder options(List<String> opts) {
            for (String o : opts) {
                if (OWNED.contains(optionName(o))) {
                    throw new IllegalArgumentException(optionName(o) + " is set by the harness");
                }
                options.add(o);
            }
            return this;
        }

        /**
         * Serve HTTPS only with this certificate (make it with {@link TestPki#tlsServer} for 127.0.0.1). The TLS
         * layer validates a client certificate against Keycloak's truststore ({@code --truststore-paths=...}).
         */
        public Builder https(Issued serverCertificate) {
            this.httpsCertificate = serverCertificate;
            return this;
        }

        /**
         * Production mode: {@code kc.sh build} with these build-time options (e.g. {@code --db=postgres},
         * {@code --spi-x509cert-lookup--provider=nginx}) plus {@link #PRODUCTION_BUILD}, then
         * {@code kc.sh start --optimized} with the {@link #options runtime options}. HTTP only (TLS is the proxy's).
         */
        public Builder production(List<String> buildTimeOptions) {
            buildTimeOptions.forEach(o -> {
                if (OWNED.contains(optionName(o))) {
                    throw new IllegalArgumentException(optionName(o) + " is set by the harness");
                }
            });
            this.buildOptions = List.copyOf(buildTimeOptions);
            return this;
        }

        /**
         * How long to wait for /health/ready (default 600 s: alone a start takes 20-60 s, but on a 2-core machine
         * shared with other builds one has taken over 300 s).
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public KeycloakServer start() throws IOException {
            if (buildOptions != null && httpsCertificate != null) {
                throw new IllegalArgumentException("production mode serves HTTP behind a proxy, not HTTPS");
            }
            KeycloakServer server = new KeycloakServer(this);
            server.start();
            return server;
        }
    }

    /** A builder for the instance {@code name} (also the directory name: keycloak-NAME). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    private final Path dist;
    private final List<Path> providers;
    private final List<Path> realmImports;
    private final List<String> callerOptions;
    private final Issued httpsCertificate;
    /** null: start-dev. */
    private final List<String> buildOptions;
    private final SpiSpelling spelling;
    private final List<String> keycloakConf;
    private final List<String> javaOptions;
    private int port;
    private int managementPort;
    private int clusterPort;
    private long startedAt;
    private Keycloak admin;

    private KeycloakServer(Builder b) {
        super("keycloak-" + b.name, b.instanceDir != null ? b.instanceDir
                : ItConfig.workDir().resolve("keycloak-" + b.name), "keycloak.log", b.startTimeout);
        this.providers = List.copyOf(b.providers);
        this.realmImports = List.copyOf(b.realmImports);
        this.callerOptions = List.copyOf(b.options);
        this.httpsCertificate = b.httpsCertificate;
        this.buildOptions = b.buildOptions;
        this.dist = b.distribution;
        this.spelling = b.spelling;
        this.keycloakConf = b.keycloakConf;
        this.javaOptions = List.copyOf(b.javaOptions);
    }

    @Override
    protected void prepare() throws IOException {
        Path home = home();
        Path marker = home.resolve(".harness-dist");
        String wanted = dist + "\n" + read(dist.resolve("version.txt"));
        if (!read(marker).equals(wanted)) {
            deleteTree(home);
            copyTree(dist, home);
            Files.writeString(marker, wanted);
        }
        deleteTree(home.resolve("data"));
        Path conf = home.resolve("conf/keycloak.conf");
        if (keycloakConf != null) {
            Files.write(conf, keycloakConf);
        } else if (Files.isRegularFile(dist.resolve("conf/keycloak.conf"))) {
            Files.copy(dist.resolve("conf/keycloak.conf"), conf, StandardCopyOption.REPLACE_EXISTING);
        }
        syncProviders(Files.createDirectories(home.resolve("providers")));
        for (Path realm : realmImports) {
            Path importDir = Files.createDirectories(home.resolve("data/import"));
            Files.copy(realm, importDir.resolve(realm.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
        if (buildOptions != null) {
            build();
        }
    }

    /** {@code kc.sh build}, unless this home was built with the same options and provider jars already. */
    private void build() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(home().resolve("bin/kc.sh").toString()));
        cmd.addAll(productionBuildArguments(buildOptions));
        Path marker = home().resolve(".harness-build");
        // nothing of this instance's own path in it, so that a copy of a built home is recognised as built
        StringBuilder wanted = new StringBuilder(String.join(" ", cmd.subList(1, cmd.size()))).append('\n');
        for (Path jar : providers) {
            wanted.append(jar).append(' ').append(Files.size(jar)).append(' ')
                    .append(Files.getLastModifiedTime(jar)).append('\n');
        }
        if (read(marker).equals(wanted.toString())) {
            return;
        }
        Files.deleteIfExists(marker);
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir().toFile()).redirectOutput(buildLog().toFile());
        environment(pb.environment());
        try {
            run(pb, Duration.ofMinutes(5));
        } catch (IOException e) {
            throw new IOException(name() + ": kc.sh build failed\n" + e.getMessage(), e);
        }
        Files.writeString(marker, wanted);
        System.out.printf(Locale.ROOT, "[%s] kc.sh build in %.1f s%n", name(), (System.nanoTime() - t0) / 1e9);
    }

    /** {@code build} and its options as a production build of this harness runs them (and docs/PRODUCTION.md shows). */
    public static List<String> productionBuildArguments(List<String> buildTimeOptions) {
        List<String> args = new ArrayList<>(List.of("build"));
        args.addAll(PRODUCTION_BUILD);
        args.addAll(buildTimeOptions);
        return args;
    }

    /** {@link #PRODUCTION_START} and the options, as a production start of this harness runs them (ports aside). */
    public static List<String> productionStartArguments(List<String> runtimeOptions) {
        List<String> args = new ArrayList<>(PRODUCTION_START);
        args.addAll(runtimeOptions);
        return args;
    }

    @Override
    protected List<String> command() throws IOException {
        port = freePort();
        managementPort = freePort();
        List<String> cmd = new ArrayList<>(List.of(home().resolve("bin/kc.sh").toString()));
        cmd.addAll(buildOptions != null ? PRODUCTION_START : List.of("start-dev", "--health-enabled=true"));
        cmd.addAll(List.of("--http-host=127.0.0.1", "--http-management-port=" + managementPort));
        Map<String, String> defaults = new LinkedHashMap<>();
        if (buildOptions != null) {
            clusterPort = clusterPort();
            cmd.addAll(List.of("--http-port=" + port, "--cache-embedded-network-bind-address=127.0.0.1",
                    "--cache-embedded-network-bind-port=" + clusterPort));
        } else if (httpsCertificate != null) {
            Path tls = Files.createDirectories(dir().resolve("tls"));
            // start-dev opens its HTTP listener all the same (on 8080 unless told otherwise): keep it on a free port
            cmd.addAll(List.of("--http-enabled=false", "--http-port=" + freePort(), "--https-port=" + port,
                    "--https-certificate-file=" + TestPki.writePem(tls.resolve("server.pem"),
                            List.of(httpsCertificate.cert())),
                    "--https-certificate-key-file=" + TestPki.writePem(tls.resolve("server.key"),
                            httpsCertificate.keyPair().getPrivate())));
            defaults.put("--https-client-auth", "request");
        } else {
            cmd.add("--http-port=" + port);
        }
        if (buildOptions == null) {
            defaults.putAll(Map.of("--db", "dev-mem", "--cache", "local"));
            if (!KeycloakLine.before(read(dist.resolve("version.txt")), 26, 4)) { // an option since 26.4
                defaults.put("--http-management-scheme", "http");
            }
        }
        Set<String> given = callerOptions.stream().map(KeycloakServer::optionName).collect(Collectors.toSet());
        defaults.forEach((k, v) -> {
            if (!given.contains(k)) {
                cmd.add(k + "=" + v);
            }
        });
        if (!realmImports.isEmpty()) {
            cmd.add("--import-realm");
        }
        callerOptions.forEach(o -> cmd.add(spelling.respell(o)));
        startedAt = System.nanoTime();
        return cmd;
    }

    @Override
    protected void environment(Map<String, String> env) {
        // nothing from the test JVM's environment may configure Keycloak behind the harness' back
        env.keySet().removeIf(k -> k.startsWith("KC_") || k.startsWith("KEYCLOAK_") || k.startsWith("QUARKUS_")
                || k.startsWith("JAVA_OPTS") || k.equals("JAVA_ADD_OPENS") || k.equals("JAVA_TOOL_OPTIONS")
                || k.equals("JAVA") || k.equals("DEBUG") || k.equals("DEBUG_PORT"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        env.put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
        String javaOpts = (ItConfig.keycloakJavaOptsAppend() + " " + String.join(" ", javaOptions)).strip();
        if (!javaOpts.isBlank()) {
            env.put("JAVA_OPTS_APPEND", javaOpts);
        }
    }

    @Override
    protected String notReady() throws IOException {
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(ready, HttpResponse.BodyHandlers.ofString());
            // the management interface can report ready a moment before the main listener accepts connections
            if (r.statusCode() == 200 && accepts(port)) {
                System.out.printf(Locale.ROOT, "[%s] ready in %.1f s%s at %s (log: %s)%n", name(),
                        (System.nanoTime() - startedAt) / 1e9,
                        log().contains("augmentation completed") ? " (re-augmented)" : "", baseUri(), output());
                return null;
            }
            return r.statusCode() + " " + r.body();
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for Keycloak", e);
        }
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return buildOptions == null ? List.of() : List.of(buildLog());
    }

    private Path buildLog() {
        return dir().resolve("build.log");
    }

    /**
     * A JGroups port for this node: FD_SOCK2 listens on it + {@value #FD_SOCK_OFFSET}, so both must be free and the
     * sum below 65536 (JGroups tries the next ports of its range itself when one is taken by then).
     */
    private static int clusterPort() {
        for (int i = 0; i < 200; i++) {
            int p = 10000 + ThreadLocalRandom.current().nextInt(65535 - FD_SOCK_OFFSET - 10000 - 20);
            if (bindable(p) && bindable(p + FD_SOCK_OFFSET)) {
                return p;
            }
        }
        throw new IllegalStateException("no free JGroups port pair below " + (65536 - FD_SOCK_OFFSET));
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(LOOPBACK, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Stops the admin client, then the server (kc.sh and its java child), and frees the directory. */
    @Override
    public synchronized void close() {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        super.close();
    }

    private void syncProviders(Path dir) throws IOException {
        Set<String> wanted = providers.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        if (wanted.size() != providers.size()) {
            throw new IllegalArgumentException("two provider jars of one name: " + providers);
        }
        for (Path jar : providers) {
            Path target = dir.resolve(jar.getFileName());
            boolean same = Files.isRegularFile(target) && Files.mismatch(jar, target) == -1
                    && Files.getLastModifiedTime(jar).equals(Files.getLastModifiedTime(target));
            if (!same) {
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

    /** Copies an installation, without its {@code data/} (wiped at every start anyway, and live in a running one). */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path src : walk.filter(p -> !p.startsWith(from.resolve("data"))).toList()) {
                Path dst = to.resolve(from.relativize(src).toString());
                if (Files.isDirectory(src, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(src, dst, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
    }

    static String optionName(String option) {
        if (!option.startsWith("--")) {
            throw new IllegalArgumentException("options are --name=value arguments: " + option);
        }
        int eq = option.indexOf('=');
        return eq < 0 ? option : option.substring(0, eq);
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** {@code http://127.0.0.1:PORT} or, in HTTPS mode, {@code https://127.0.0.1:PORT} (no trailing slash). */
    public URI baseUri() {
        return URI.create((httpsCertificate != null ? "https" : "http") + "://127.0.0.1:" + port);
    }

    /** {@code http://127.0.0.1:PORT} of the management interface (health, and metrics when enabled). */
    public URI managementUri() {
        return URI.create("http://127.0.0.1:" + managementPort);
    }

    /** {@code BASE/realms/REALM}: the issuer when the request reached Keycloak directly. */
    public URI realmUri(String realm) {
        return URI.create(baseUri() + "/realms/" + realm);
    }

    /** The Keycloak installation this instance runs (for {@link Builder#distribution}). */
    public Path installation() {
        return home();
    }

    /** The Keycloak installation this instance runs. */
    private Path home() {
        return dir().resolve("home");
    }

    /** The server's console output of the current (or last) start. */
    public String log() {
        return read(output());
    }

    /**
     * The admin client (keycloak-admin-client) of this server, straight to it (not through a proxy), logged in as the
     * bootstrap admin of the master realm (admin / admin, {@code admin-cli}).
     */
    public synchronized Keycloak admin() {
        if (admin == null) {
            admin = httpsCertificate == null
                    ? Keycloak.getInstance(baseUri().toString(), "master", "admin", "admin", "admin-cli")
                    : Keycloak.getInstance(baseUri().toString(), "master", "admin", "admin", "admin-cli",
                            TlsHttp.sslContext(List.of(httpsCertificate.cert()), null, List.of()));
        }
        return admin;
    }
}
