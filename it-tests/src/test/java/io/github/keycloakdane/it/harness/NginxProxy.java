package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A real nginx on 127.0.0.1 terminating TLS in front of Keycloak's {@code nginx} x509cert-lookup, configured by
 * {@code src/test/resources/proxies/nginx.conf}: it asks for a client certificate, accepts any, forwards the leaf
 * and balances over one or more Keycloak nodes ({@link #upstreams(List)} changes them with a reload). For tests
 * only, a request with {@value #NODE_HEADER}{@code : N} goes to node N instead of the next in turn. Its directory
 * holds {@code nginx.conf}, {@code server.pem}/{@code .key}, {@code access.log} (one line per request with the
 * upstream's status and address, {@code $ssl_client_verify} and the client certificate's subject),
 * {@code error.log}, {@code nginx.out} and {@code tmp/}. Runs as {@code nginx -g 'daemon off;'}.
 */
public final class NginxProxy extends TemplateProxy {

    /** The request header that pins a request to one upstream (its index); nginx does not forward it. */
    public static final String NODE_HEADER = "X-Harness-Node";

    private final Path nginx = binary("nginx", "install nginx");

    private NginxProxy(Path dir, List<URI> upstreams, Issued serverCertificate) {
        super("nginx", dir, "nginx.conf", upstreams, serverCertificate);
    }

    /** nginx in {@code dir} serving {@code serverCertificate} in front of Keycloak's plain-HTTP {@code upstream}. */
    public static NginxProxy start(Path dir, URI upstream, Issued serverCertificate) throws IOException {
        return start(dir, List.of(upstream), serverCertificate);
    }

    /**
     * nginx balancing over these plain-HTTP upstreams (none: every request fails with 502 until
     * {@link #upstreams(List)}): its public origin is known before the servers behind it start, as their
     * {@code --hostname} needs.
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
        writeConf();
        ProcessHandle master = ProcessHandle.of(Long.parseLong(read(dir().resolve("nginx.pid")).strip()))
                .orElseThrow(() -> new IOException("nginx is not running"));
        List<ProcessHandle> oldWorkers = master.children().toList();
        run(new ProcessBuilder(command(conf(), "-s", "reload")), Duration.ofSeconds(15));
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
        Files.deleteIfExists(accessLog());
        Files.deleteIfExists(dir().resolve("error.log"));
        TestPki.writePem(dir().resolve("server.pem"), List.of(serverCertificate.cert()));
        TestPki.writePem(dir().resolve("server.key"), serverCertificate.keyPair().getPrivate());
    }

    @Override
    protected Map<String, String> placeholders() {
        StringBuilder servers = new StringBuilder();
        StringBuilder pins = new StringBuilder();
        for (int i = 0; i < upstreams.size(); i++) {
            servers.append("        server ").append(hostPort(upstreams.get(i))).append(";\n");
            pins.append("        ").append(i).append(' ').append(hostPort(upstreams.get(i))).append(";\n");
        }
        if (upstreams.isEmpty()) {
            servers.append("        server 127.0.0.1:1 down;\n"); // nginx wants a server in every group
        }
        // workers would otherwise run as nobody, who cannot write tmp/ here
        return Map.of("@USER@", "root".equals(System.getProperty("user.name")) ? "user root;" : "",
                "@UPSTREAM_SERVERS@\n", servers.toString(), "@UPSTREAM_PINS@\n", pins.toString());
    }

    @Override
    protected Path conf() {
        return dir().resolve("nginx.conf");
    }

    @Override
    protected List<String> command(Path conf) {
        return command(conf, "-g", "daemon off;");
    }

    private List<String> command(Path conf, String option, String value) {
        return List.of(nginx.toString(), "-p", dir() + "/", "-e", dir().resolve("error.log").toString(),
                "-c", conf.toString(), option, value);
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of(dir().resolve("error.log"), conf());
    }

    private Path accessLog() {
        return dir().resolve("access.log");
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
