package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real nginx on 127.0.0.1 terminating TLS in front of Keycloak, configured as the Keycloak guide configures it for
 * the {@code nginx} x509cert-lookup.
 *
 * <p>It requests a client certificate without judging it ({@code ssl_verify_client optional_no_ca}: nginx checks
 * that the client holds the key, nothing else) and proxies everything to Keycloak's HTTP port with
 * {@value KeycloakOptions#CLIENT_CERT_HEADER} ({@code $ssl_client_escaped_cert}, the <b>leaf only</b>: nginx has no
 * variable for the client's intermediates), {@value KeycloakOptions#CLIENT_VERIFY_HEADER}
 * ({@code $ssl_client_verify}) and X-Forwarded-For/-Proto/-Host/-Port, and drops client-sent
 * {@code ssl-client-cert-chain_N}, {@code Forwarded} and {@code X-Forwarded-Trusted-Proxy} headers (a header nginx
 * sets replaces the client's; an empty value drops it).
 *
 * <p>Its directory holds {@code nginx.conf}, {@code server.pem}/{@code .key}, {@code access.log} (one line per
 * request with the upstream status, {@code $ssl_client_verify} and the client certificate's subject),
 * {@code error.log}, {@code nginx.out} and {@code tmp/}. It runs as {@code nginx -g 'daemon off;'}, master and one
 * worker.
 */
public final class NginxProxy extends ManagedProcess {

    private final Path nginx = binary("nginx", "install nginx");
    private final URI upstream;
    private final Issued serverCertificate;
    private int port;

    private NginxProxy(Path dir, URI upstream, Issued serverCertificate) {
        super("nginx-" + dir.getParent().getFileName(), dir, "nginx.out", Duration.ofSeconds(15));
        this.upstream = upstream;
        this.serverCertificate = serverCertificate;
    }

    /** nginx in {@code dir} serving {@code serverCertificate} in front of Keycloak's plain-HTTP {@code upstream}. */
    public static NginxProxy start(Path dir, URI upstream, Issued serverCertificate) throws IOException {
        NginxProxy proxy = new NginxProxy(dir, upstream, serverCertificate);
        proxy.start();
        return proxy;
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
                + "serial=$ssl_client_serial rt=$request_time';\n");
        c.append("  access_log ").append(accessLog()).append(" dane;\n");
        for (String t : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            c.append("  ").append(t).append("_temp_path ").append(dir.resolve("tmp/" + t)).append(";\n");
        }
        // Keycloak's login pages send big cookies and headers
        c.append("  proxy_buffer_size 64k;\n  proxy_buffers 8 64k;\n  proxy_busy_buffers_size 128k;\n");
        c.append("  server {\n    listen 127.0.0.1:").append(port).append(" ssl;\n    server_name _;\n");
        c.append("    ssl_certificate ").append(dir.resolve("server.pem")).append(";\n");
        c.append("    ssl_certificate_key ").append(dir.resolve("server.key")).append(";\n");
        c.append("    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_verify_client optional_no_ca;\n");
        // every connection is a full handshake: no client certificate carried over from an earlier session
        c.append("    ssl_session_tickets off;\n    ssl_session_cache off;\n");
        c.append("    location / {\n");
        c.append("      proxy_pass ").append(upstream.toString().replaceAll("/+$", "")).append(";\n");
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
