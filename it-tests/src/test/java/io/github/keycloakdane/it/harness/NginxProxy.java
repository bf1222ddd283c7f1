package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real nginx on 127.0.0.1 terminating TLS in front of Keycloak, configured as the Keycloak guide configures it for
 * the {@code nginx} x509cert-lookup, for integration tests.
 *
 * <p>It listens with TLS on a free port, requests a client certificate without judging it
 * ({@code ssl_verify_client optional_no_ca}: nginx checks that the client holds the key, nothing else) and proxies
 * everything to Keycloak's HTTP port with
 * <ul>
 * <li>{@code ssl-client-cert: $ssl_client_escaped_cert} (URL-encoded PEM of the <b>leaf only</b>: nginx has no
 * variable for the client's intermediates, so the chain never reaches Keycloak; absent without a client
 * certificate),</li>
 * <li>{@code ssl-client-verify}: {@code $ssl_client_verify} ({@link VerifyHeader#NGINX}: {@code NONE}, or
 * {@code FAILED:<reason>} for every certificate nginx has no CA for) or, with {@link VerifyHeader#PRESENTED},
 * {@code SUCCESS} whenever a certificate was presented (what Keycloak's
 * {@code trust-proxy-verification=true} needs),</li>
 * <li>X-Forwarded-For ({@code $remote_addr}, replacing any client value), -Proto ({@code https}), -Host, -Port,</li>
 * <li>and removes client-sent {@code ssl-client-cert-chain_N}, {@code Forwarded} and
 * {@code X-Forwarded-Trusted-Proxy} headers (a header nginx sets replaces the client's; an empty value drops it).</li>
 * </ul>
 *
 * <p>Files, all in its directory ({@code target/it/nginx-NAME/} by default): {@code nginx.conf}, {@code server.pem},
 * {@code server.key}, {@code access.log} (one line per request with the upstream status, {@code $ssl_client_verify}
 * and the client certificate's subject), {@code error.log}, {@code nginx.out}, {@code nginx.pid}, {@code tmp/}. It
 * runs as {@code nginx -p DIR/ -c DIR/nginx.conf -g 'daemon off;'} (master + one worker); {@link #close()} stops both,
 * and so does a JVM shutdown hook.
 */
public final class NginxProxy implements AutoCloseable {

    /** What nginx sends in the {@code ssl-client-verify} header. */
    public enum VerifyHeader {
        /** {@code $ssl_client_verify} as it is: {@code NONE}, {@code SUCCESS} or {@code FAILED:reason}. */
        NGINX,
        /** {@code SUCCESS} when the client presented a certificate (and so proved its key), else {@code NONE}. */
        PRESENTED
    }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;

    public static final class Builder {
        private final String name;
        private Path dir;
        private URI upstream;
        private Issued serverCertificate;
        private VerifyHeader verifyHeader = VerifyHeader.NGINX;
        private int chainHeadersToClear = KeycloakOptions.CHAIN_LENGTH;
        private String extraLocationDirectives = "";
        private Path binary;

        private Builder(String name) {
            this.name = ItConfig.plainName(name);
        }

        /**
         * The working directory, used exclusively (default {@code ItConfig.workDir()/nginx-NAME}, or
         * {@code nginx-NAME.2}, ... while other test runs hold that one).
         */
        public Builder dir(Path dir) {
            this.dir = dir;
            return this;
        }

        /** Keycloak's plain-HTTP base, e.g. {@code keycloak.baseUri()}. Required. */
        public Builder upstream(URI keycloakHttp) {
            this.upstream = keycloakHttp;
            return this;
        }

        /**
         * The TLS server certificate (default: a self-signed one for 127.0.0.1 and localhost made at start, see
         * {@link #serverCertificate()}).
         */
        public Builder serverCertificate(Issued cert) {
            this.serverCertificate = cert;
            return this;
        }

        public Builder verifyHeader(VerifyHeader mode) {
            this.verifyHeader = mode;
            return this;
        }

        /** How many {@code ssl-client-cert-chain_N} headers to strip from client requests (default 2). */
        public Builder chainHeadersToClear(int count) {
            this.chainHeadersToClear = count;
            return this;
        }

        /** More directives for the {@code location /} block, e.g. {@code proxy_set_header X-Test yes;}. */
        public Builder locationDirectives(String directives) {
            this.extraLocationDirectives = directives;
            return this;
        }

        /** The nginx binary (default: nginx on the PATH, then /usr/sbin/nginx). */
        public Builder binary(Path nginx) {
            this.binary = nginx;
            return this;
        }

        public NginxProxy start() throws IOException {
            if (upstream == null) {
                throw new IllegalStateException("no upstream");
            }
            NginxProxy proxy = new NginxProxy(this);
            proxy.start();
            return proxy;
        }
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    private final String name;
    private final Path preferredDir;
    private final boolean exactDir;
    private DirLease lease;
    private Path dir;
    private final URI upstream;
    private final Issued serverCertificate;
    private final VerifyHeader verifyHeader;
    private final int chainHeadersToClear;
    private final String extraLocationDirectives;
    private final Path nginx;
    private Path conf;
    private Path accessLog;
    private Path errorLog;
    private Path outFile;
    private Path pidFile;
    private final Thread shutdownHook;
    private volatile Process process;
    private int port;

    private NginxProxy(Builder b) {
        this.name = b.name;
        this.exactDir = b.dir != null;
        this.preferredDir = (exactDir ? b.dir : ItConfig.workDir().resolve("nginx-" + b.name)).toAbsolutePath()
                .normalize();
        this.upstream = b.upstream;
        this.serverCertificate = b.serverCertificate != null ? b.serverCertificate
                : TestPki.tlsServer(null, "127.0.0.1", "localhost");
        this.verifyHeader = b.verifyHeader;
        this.chainHeadersToClear = b.chainHeadersToClear;
        this.extraLocationDirectives = b.extraLocationDirectives;
        this.nginx = b.binary != null ? b.binary : findNginx();
        this.shutdownHook = new Thread(this::stopProcess, "nginx-" + name + "-shutdown");
    }

    private void start() throws IOException {
        lease = exactDir ? DirLease.acquireExactly(preferredDir) : DirLease.acquire(preferredDir);
        dir = lease.dir();
        conf = dir.resolve("nginx.conf");
        accessLog = dir.resolve("access.log");
        errorLog = dir.resolve("error.log");
        outFile = dir.resolve("nginx.out");
        pidFile = dir.resolve("nginx.pid");
        try {
            // with the lease held, an nginx found here belongs to a run whose JVM died before its shutdown hook ran
            ProcessTree.stopStale(dir.resolve("harness.pid"), conf.toString(), STOP_GRACE);
            ProcessTree.deleteTree(dir.resolve("tmp"));
            Files.createDirectories(dir.resolve("tmp"));
            TestPki.writePem(dir.resolve("server.pem"), List.of(serverCertificate.cert()));
            TestPki.writePem(dir.resolve("server.key"), serverCertificate.keyPair().getPrivate());
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            for (int attempt = 1; ; attempt++) {
                port = Ports.freeTcpPort();
                Files.writeString(conf, config(), StandardCharsets.UTF_8);
                Files.deleteIfExists(accessLog);
                Files.deleteIfExists(errorLog);
                process = new ProcessBuilder(nginx.toString(), "-p", dir + "/", "-e", errorLog.toString(),
                        "-c", conf.toString(), "-g", "daemon off;")
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(outFile.toFile())
                        .start();
                Files.writeString(dir.resolve("harness.pid"), Long.toString(process.pid()));
                try {
                    awaitListening();
                    return;
                } catch (IOException e) {
                    stopProcess();
                    String errors = ProcessTree.read(errorLog) + ProcessTree.read(outFile);
                    if (!errors.contains("Address already in use") || attempt == START_ATTEMPTS) {
                        throw e;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void awaitListening() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Process p = process;
            if (p == null || !p.isAlive()) {
                throw new IOException("nginx exited with status " + (p == null ? "?" : p.exitValue()) + "\n"
                        + diagnostics());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(Ports.LOOPBACK, port), 500);
                return;
            } catch (IOException e) {
                // not yet
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("nginx not listening on " + port + " within " + START_TIMEOUT.toSeconds() + " s\n"
                + diagnostics());
    }

    private String config() {
        String verify = verifyHeader == VerifyHeader.NGINX ? "$ssl_client_verify" : "$dane_client_presented";
        StringBuilder c = new StringBuilder();
        c.append("# written by ").append(NginxProxy.class.getName()).append('\n');
        if ("root".equals(System.getProperty("user.name"))) {
            // workers would otherwise run as nobody, who cannot write tmp/ here
            c.append("user root;\n");
        }
        c.append("worker_processes 1;\n");
        c.append("pid ").append(pidFile).append(";\n");
        c.append("error_log ").append(errorLog).append(" info;\n");
        c.append("events { worker_connections 256; }\n");
        c.append("http {\n");
        c.append("  log_format dane '$remote_addr [$time_local] \"$request\" $status upstream=$upstream_status '\n");
        c.append("                  'verify=\"$ssl_client_verify\" subject=\"$ssl_client_s_dn\" "
                + "serial=$ssl_client_serial rt=$request_time';\n");
        c.append("  access_log ").append(accessLog).append(" dane;\n");
        for (String t : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            c.append("  ").append(t).append("_temp_path ").append(dir.resolve("tmp/" + t)).append(";\n");
        }
        // Keycloak's login pages send big cookies and headers
        c.append("  proxy_buffer_size 64k;\n  proxy_buffers 8 64k;\n  proxy_busy_buffers_size 128k;\n");
        c.append("  map $ssl_client_verify $dane_client_presented {\n    NONE NONE;\n    \"\" NONE;\n"
                + "    default SUCCESS;\n  }\n");
        c.append("  server {\n");
        c.append("    listen 127.0.0.1:").append(port).append(" ssl;\n");
        c.append("    server_name _;\n");
        c.append("    ssl_certificate ").append(dir.resolve("server.pem")).append(";\n");
        c.append("    ssl_certificate_key ").append(dir.resolve("server.key")).append(";\n");
        c.append("    ssl_protocols TLSv1.2 TLSv1.3;\n");
        c.append("    ssl_verify_client optional_no_ca;\n");
        // every connection is a full handshake: no client certificate carried over from an earlier session
        c.append("    ssl_session_tickets off;\n    ssl_session_cache off;\n");
        c.append("    location / {\n");
        c.append("      proxy_pass ").append(upstream.toString().replaceAll("/+$", "")).append(";\n");
        c.append("      proxy_http_version 1.1;\n");
        c.append("      proxy_set_header Connection \"\";\n");
        c.append("      proxy_set_header Host $host:$server_port;\n");
        c.append("      proxy_set_header X-Forwarded-For $remote_addr;\n");
        c.append("      proxy_set_header X-Forwarded-Proto https;\n");
        c.append("      proxy_set_header X-Forwarded-Host $host;\n");
        c.append("      proxy_set_header X-Forwarded-Port $server_port;\n");
        c.append("      proxy_set_header Forwarded \"\";\n");
        c.append("      proxy_set_header X-Forwarded-Trusted-Proxy \"\";\n");
        c.append("      proxy_set_header ").append(KeycloakOptions.CLIENT_CERT_HEADER)
                .append(" $ssl_client_escaped_cert;\n");
        c.append("      proxy_set_header ").append(KeycloakOptions.CLIENT_VERIFY_HEADER).append(' ').append(verify)
                .append(";\n");
        for (int i = 0; i < chainHeadersToClear; i++) {
            c.append("      proxy_set_header ").append(KeycloakOptions.CHAIN_HEADER_PREFIX).append('_').append(i)
                    .append(" \"\";\n");
        }
        if (!extraLocationDirectives.isBlank()) {
            c.append("      ").append(extraLocationDirectives.strip()).append('\n');
        }
        c.append("    }\n  }\n}\n");
        return c.toString();
    }

    /** Stops nginx (master and worker) and frees its directory. Idempotent. */
    @Override
    public void close() {
        stopProcess();
        ProcessTree.removeShutdownHook(shutdownHook);
        if (lease != null) {
            lease.close();
        }
    }

    private synchronized void stopProcess() {
        Process p = process;
        if (p == null) {
            return;
        }
        ProcessTree.stop(p.toHandle(), STOP_GRACE);
        process = null;
        try {
            Files.deleteIfExists(dir.resolve("harness.pid"));
        } catch (IOException e) {
            // harmless
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    public int port() {
        return port;
    }

    /** {@code https://127.0.0.1:PORT}: the public origin Keycloak reports behind this proxy. */
    public URI baseUri() {
        return URI.create("https://127.0.0.1:" + port);
    }

    /** {@code https://127.0.0.1:PORT/realms/REALM}: a realm's issuer as seen through the proxy. */
    public URI realmUri(String realm) {
        return URI.create(baseUri() + "/realms/" + realm);
    }

    /** The TLS server certificate (trust it, or its issuer, in clients). */
    public X509Certificate serverCertificate() {
        return serverCertificate.cert();
    }

    public URI upstream() {
        return upstream;
    }

    public Path dir() {
        return dir;
    }

    public Path configFile() {
        return conf;
    }

    public Path accessLog() {
        return accessLog;
    }

    public Path errorLog() {
        return errorLog;
    }

    /** The access log lines so far (one per request). */
    public List<String> accessLogLines() {
        String log = ProcessTree.read(accessLog);
        return log.isEmpty() ? List.of() : log.lines().toList();
    }

    /** Requests nginx has answered so far. */
    public int requestCount() {
        return accessLogLines().size();
    }

    /**
     * Waits (up to {@code timeout}) until the access log has at least {@code count} lines and returns them: nginx
     * writes a request's line after the response went out, so a client may be faster than the log.
     */
    public List<String> awaitAccessLogLines(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> lines = accessLogLines();
        while (lines.size() < count && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            lines = accessLogLines();
        }
        return lines;
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** The nginx master's pid. */
    public long pid() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("nginx is not running");
        }
        return p.pid();
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String diagnostics() {
        return "--- " + errorLog + " ---\n" + ProcessTree.tail(errorLog, 30) + "--- " + outFile + " ---\n"
                + ProcessTree.tail(outFile, 30) + "--- " + conf + " ---\n" + ProcessTree.read(conf);
    }

    private static Path findNginx() {
        List<Path> candidates = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!d.isEmpty()) {
                candidates.add(Path.of(d, "nginx"));
            }
        }
        candidates.add(Path.of("/usr/sbin/nginx"));
        candidates.add(Path.of("/usr/local/sbin/nginx"));
        return candidates.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException("nginx not found"));
    }

    @Override
    public String toString() {
        return "NginxProxy[" + name + ", " + (port == 0 ? "not started" : baseUri()) + " -> " + upstream + "]";
    }
}
