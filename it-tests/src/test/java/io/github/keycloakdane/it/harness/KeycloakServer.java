package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.keycloak.admin.client.Keycloak;

import java.io.IOException;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Keycloak ({@code bin/kc.sh start-dev} of the unpacked distribution) on 127.0.0.1, for integration tests.
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
 */
public final class KeycloakServer extends ManagedProcess {

    private static final Set<String> OWNED = Set.of("--http-host", "--http-port", "--https-port",
            "--http-management-port", "--http-enabled", "--https-certificate-file", "--https-certificate-key-file",
            "--import-realm", "--health-enabled");

    /** Collects the configuration; {@link #start()} may be called more than once (one server each time). */
    public static final class Builder {
        private final String name;
        private Path instanceDir;
        private final List<Path> providers = new ArrayList<>();
        private final List<Path> realmImports = new ArrayList<>();
        private final List<String> options = new ArrayList<>();
        private Issued httpsCertificate;
        private Duration startTimeout = Duration.ofSeconds(180);

        private Builder(String name) {
            this.name = ItConfig.plainName(name);
        }

        /** The instance directory (default {@code ItConfig.workDir()/keycloak-NAME}). */
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

    private final Path dist = ItConfig.keycloakDist();
    private final List<Path> providers;
    private final List<Path> realmImports;
    private final List<String> callerOptions;
    private final Issued httpsCertificate;
    private int port;
    private int managementPort;
    private long startedAt;
    private Keycloak admin;

    private KeycloakServer(Builder b) {
        super("keycloak-" + b.name, b.instanceDir != null ? b.instanceDir
                : ItConfig.workDir().resolve("keycloak-" + b.name), "keycloak.log", b.startTimeout);
        this.providers = List.copyOf(b.providers);
        this.realmImports = List.copyOf(b.realmImports);
        this.callerOptions = List.copyOf(b.options);
        this.httpsCertificate = b.httpsCertificate;
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
        syncProviders(Files.createDirectories(home.resolve("providers")));
        for (Path realm : realmImports) {
            Path importDir = Files.createDirectories(home.resolve("data/import"));
            Files.copy(realm, importDir.resolve(realm.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    protected List<String> command() throws IOException {
        port = freePort();
        managementPort = freePort();
        List<String> cmd = new ArrayList<>(List.of(home().resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-management-port=" + managementPort, "--health-enabled=true"));
        Map<String, String> defaults = new LinkedHashMap<>(Map.of("--db", "dev-mem", "--cache", "local",
                "--http-management-scheme", "http"));
        if (httpsCertificate != null) {
            Path tls = Files.createDirectories(dir().resolve("tls"));
            cmd.add("--http-enabled=false");
            // start-dev opens its HTTP listener all the same (on 8080 unless told otherwise): keep it on a free port
            cmd.add("--http-port=" + freePort());
            cmd.add("--https-port=" + port);
            cmd.add("--https-certificate-file=" + TestPki.writePem(tls.resolve("server.pem"),
                    List.of(httpsCertificate.cert())));
            cmd.add("--https-certificate-key-file=" + TestPki.writePem(tls.resolve("server.key"),
                    httpsCertificate.keyPair().getPrivate()));
            defaults.put("--https-client-auth", "request");
        } else {
            cmd.add("--http-port=" + port);
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
        cmd.addAll(callerOptions);
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
        if (!ItConfig.keycloakJavaOptsAppend().isBlank()) {
            env.put("JAVA_OPTS_APPEND", ItConfig.keycloakJavaOptsAppend());
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
        return List.of();
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

    /** {@code BASE/realms/REALM}: the issuer when the request reached Keycloak directly. */
    public URI realmUri(String realm) {
        return URI.create(baseUri() + "/realms/" + realm);
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
