package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A real nginx on 127.0.0.1 terminating TLS in front of Keycloak, configured as the Keycloak guide configures it for
 * the {@code nginx} x509cert-lookup.
 *
 * <p>It requests a client certificate without judging it ({@code ssl_verify_client optional_no_ca}: nginx checks
 * that the client holds the key, nothing else) and proxies everything to Keycloak's HTTP port (several: round robin
 * over an {@code upstream} group; {@link #upstreams(List)} changes them with a reload) with
 * {@value KeycloakOptions#CLIENT_CERT_HEADER} ({@code $ssl_client_escaped_cert}, the <b>leaf only</b>: nginx has no
 * variable for the client's intermediates), {@value KeycloakOptions#CLIENT_VERIFY_HEADER}
 * ({@code $ssl_client_verify}) and X-Forwarded-For/-Proto/-Host/-Port, and drops client-sent
 * {@code ssl-client-cert-chain_N}, {@code Forwarded} and {@code X-Forwarded-Trusted-Proxy} headers (a header nginx
 * sets replaces the client's; an empty value drops it). For tests only, a request with {@value #NODE_HEADER}{@code : N}
 * goes to upstream N instead of the next in turn.
 *
 * <p>Its directory holds {@code nginx.conf}, {@code server.pem}/{@code .key}, {@code access.log} (one line per
 * request with the upstream status, {@code $ssl_client_verify}, the client certificate's subject and the upstream's
 * address),
 * {@code error.log}, {@code nginx.out} and {@code tmp/}. It runs as {@code nginx -g 'daemon off;'}, master and one
 * worker.
 */
public final class NginxProxy extends ManagedProcess {

    /** The request header that pins a request to one upstream (its index); nginx does not forward it. */
    public static final String NODE_HEADER = "X-Harness-Node";

    private final Path nginx = binary("nginx", "install nginx");
    private volatile List<URI> upstreams;
    private final Issued serverCertificate;
    private int port;

    private NginxProxy(Path dir, List<URI> upstreams, Issued serverCertificate) {
        super("nginx-" + dir.getParent().getFileName(), dir, "nginx.out", Duration.ofSeconds(15));
        this.upstreams = List.copyOf(upstreams);
        this.serverCertificate = serverCertificate;
    }

    /** nginx in {@code dir} serving {@code serverCertificate} in front of Keycloak's plain-HTTP {@code upstream}. */
    public static NginxProxy start(Path dir, URI upstream, Issued serverCertificate) throws IOException {
        return start(dir, List.of(upstream), serverCertificate);
    }

    /**
     * nginx balancing over these plain-HTTP upstreams (none: every request gets 503 until {@link #upstreams(List)}):
     * its public origin is known before the servers behind it start, as their {@code --hostname} needs.
     */
    public static NginxProxy start(Path dir, List<URI> upstreams, Issued serverCertificate) throws IOException {
        NginxProxy proxy = new NginxProxy(dir, upstreams, serverCertificate);
        proxy.start();
        return proxy;
    }

    /**
     * Replaces the upstreams: rewrites the configuration, reloads ({@code nginx -s reload}) and returns once the
     * workers of the old configuration have exited, so that every later connection sees the new one.
     */
    public void upstreams(List<URI> servers) throws IOException {
        upstreams = List.copyOf(servers);
        Files.writeString(conf(), config());
        ProcessHandle master = ProcessHandle.of(Long.parseLong(read(dir().resolve("nginx.pid")).strip()))
                .orElseThrow(() -> new IOException("nginx is not running"));
        List<ProcessHandle> oldWorkers = master.children().toList();
        Process reload = new ProcessBuilder(nginx.toString(), "-p", dir() + "/", "-e", errorLog().toString(),
                "-c", conf().toString(), "-s", "reload").redirectErrorStream(true).start();
        try {
            String out = new String(reload.getInputStream().readAllBytes());
            if (!reload.waitFor(15, TimeUnit.SECONDS) || reload.exitValue() != 0) {
                throw new IOException("nginx -s reload failed: " + out + "\n" + diagnostics());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (oldWorkers.stream().anyMatch(ProcessHandle::isAlive)
                || master.children().allMatch(oldWorkers::contains)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("nginx did not replace its workers after the reload\n" + diagnostics());
            }
            sleep(50);
        }
    }

    @Override
    protected void prepare() throws IOException {
        deleteTree(dir().resolve("tmp"));
        Files.createDirectories(dir().resolve("tmp"));
        TestPki.writePem(dir().resolve("server.pem"), List.of(serverCertificate.cert()));
        TestPki.writePem(dir().resolve("server.key"), serverCertificate.keyPair().getPrivate());
    }

    @Override
    protected List<String> command() throws IOException {
        port = freePort();
        Files.writeString(conf(), config());
        Files.deleteIfExists(accessLog());
        Files.deleteIfExists(errorLog());
        return List.of(nginx.toString(), "-p", dir() + "/", "-e", errorLog().toString(), "-c", conf().toString(),
                "-g", "daemon off;");
    }

    @Override
    protected String notReady() {
        return accepts(port) ? null : "nothing listens on " + port;
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of(errorLog(), conf());
    }

    private String config() {
        Path dir = dir();
        StringBuilder c = new StringBuilder("# written by " + NginxProxy.class.getName() + "\n");
        if ("root".equals(System.getProperty("user.name"))) {
            c.append("user root;\n"); // workers would otherwise run as nobody, who cannot write tmp/ here
        }
        c.append("worker_processes 1;\npid ").append(dir.resolve("nginx.pid")).append(";\n");
        c.append("error_log ").append(errorLog()).append(" info;\n");
        c.append("events { worker_connections 256; }\nhttp {\n");
        c.append("  log_format dane '$remote_addr [$time_local] \"$request\" $status upstream=$upstream_status '\n");
        c.append("                  'verify=\"$ssl_client_verify\" subject=\"$ssl_client_s_dn\" "
                + "serial=$ssl_client_serial rt=$request_time upstream_addr=$upstream_addr';\n");
        c.append("  access_log ").append(accessLog()).append(" dane;\n");
        for (String t : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            c.append("  ").append(t).append("_temp_path ").append(dir.resolve("tmp/" + t)).append(";\n");
        }
        // Keycloak's login pages send big cookies and headers
        c.append("  proxy_buffer_size 64k;\n  proxy_buffers 8 64k;\n  proxy_busy_buffers_size 128k;\n");
        if (!upstreams.isEmpty()) {
            c.append("  upstream keycloak {\n");
            upstreams.forEach(u -> c.append("    server ").append(hostPort(u)).append(";\n"));
            c.append("  }\n");
            // the test-only pin: an IP:port needs no resolver, "keycloak" names the group above
            c.append("  map $http_").append(NODE_HEADER.toLowerCase(Locale.ROOT).replace('-', '_'))
                    .append(" $dane_upstream {\n    default keycloak;\n");
            for (int i = 0; i < upstreams.size(); i++) {
                c.append("    ").append(i).append(' ').append(hostPort(upstreams.get(i))).append(";\n");
            }
            c.append("  }\n");
        }
        c.append("  server {\n    listen 127.0.0.1:").append(port).append(" ssl;\n    server_name _;\n");
        c.append("    ssl_certificate ").append(dir.resolve("server.pem")).append(";\n");
        c.append("    ssl_certificate_key ").append(dir.resolve("server.key")).append(";\n");
        c.append("    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_verify_client optional_no_ca;\n");
        // every connection is a full handshake: no client certificate carried over from an earlier session
        c.append("    ssl_session_tickets off;\n    ssl_session_cache off;\n");
        c.append("    location / {\n");
        if (upstreams.isEmpty()) {
            return c.append("      return 503;\n    }\n  }\n}\n").toString();
        }
        c.append("      proxy_pass http://$dane_upstream;\n");
        c.append("      proxy_set_header " + NODE_HEADER + " \"\";\n");
        c.append("      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n");
        c.append("      proxy_set_header Host $host:$server_port;\n");
        c.append("      proxy_set_header X-Forwarded-For $remote_addr;\n");
        c.append("      proxy_set_header X-Forwarded-Proto https;\n");
        c.append("      proxy_set_header X-Forwarded-Host $host;\n");
        c.append("      proxy_set_header X-Forwarded-Port $server_port;\n");
        c.append("      proxy_set_header Forwarded \"\";\n");
        c.append("      proxy_set_header X-Forwarded-Trusted-Proxy \"\";\n");
        c.append("      proxy_set_header " + KeycloakOptions.CLIENT_CERT_HEADER + " $ssl_client_escaped_cert;\n");
        c.append("      proxy_set_header " + KeycloakOptions.CLIENT_VERIFY_HEADER + " $ssl_client_verify;\n");
        for (int i = 0; i < KeycloakOptions.CHAIN_LENGTH; i++) {
            c.append("      proxy_set_header " + KeycloakOptions.CHAIN_HEADER_PREFIX + "_" + i + " \"\";\n");
        }
        return c.append("    }\n  }\n}\n").toString();
    }

    private static String hostPort(URI upstream) {
        if (!"http".equals(upstream.getScheme()) || upstream.getPort() < 0) {
            throw new IllegalArgumentException("upstreams are http://HOST:PORT: " + upstream);
        }
        return upstream.getHost() + ":" + upstream.getPort();
    }

    private Path conf() {
        return dir().resolve("nginx.conf");
    }

    private Path accessLog() {
        return dir().resolve("access.log");
    }

    private Path errorLog() {
        return dir().resolve("error.log");
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** {@code https://127.0.0.1:PORT}: the public origin Keycloak reports behind this proxy. */
    public URI baseUri() {
        return URI.create("https://127.0.0.1:" + port);
    }

    /** The plain-HTTP servers behind it, in the order {@value #NODE_HEADER} counts them. */
    public List<URI> upstreams() {
        return upstreams;
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
                sleep(20);
            } catch (IOException e) {
                break;
            }
            lines = accessLogLines();
        }
        return lines;
    }

    private List<String> accessLogLines() {
        return read(accessLog()).lines().toList();
    }
}
