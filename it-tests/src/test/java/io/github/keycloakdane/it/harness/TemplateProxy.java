package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A TLS-terminating proxy on 127.0.0.1 in front of Keycloak whose configuration is a file under
 * {@code src/test/resources/proxies/}: the harness fills its {@code @DIR@}, {@code @PORT@} and {@code @UPSTREAM@}
 * (Keycloak's {@code host:port}) placeholders, and those a subclass adds ({@link #placeholders()}), and runs it. The part of the file between the lines
 * {@code # snippet: begin} and {@code # snippet: end} is what the docs quote ({@link #snippet}).
 */
public abstract class TemplateProxy extends ManagedProcess {

    private final String template;
    protected volatile List<URI> upstreams;
    protected final Issued serverCertificate;
    private int port;

    protected TemplateProxy(String name, Path dir, String template, List<URI> upstreams, Issued serverCertificate) {
        super(name, dir, name + ".out", Duration.ofSeconds(15));
        this.template = template;
        this.upstreams = List.copyOf(upstreams);
        this.serverCertificate = serverCertificate;
    }

    /** The configuration file the proxy reads. */
    protected abstract Path conf();

    /** The proxy's command line for {@link #conf()}. */
    protected abstract List<String> command(Path conf);

    /** Placeholders of this proxy's own, beyond {@code @DIR@}, {@code @PORT@} and {@code @UPSTREAM@}. */
    protected Map<String, String> placeholders() {
        return Map.of();
    }

    @Override
    protected final List<String> command() throws IOException {
        port = freePort();
        writeConf();
        return command(conf());
    }

    /** Fills the template into {@link #conf()}. */
    protected final void writeConf() throws IOException {
        Map<String, String> values = new HashMap<>(placeholders());
        values.put("@DIR@", dir().toString());
        values.put("@PORT@", Integer.toString(port));
        values.put("@UPSTREAM@", upstreams.isEmpty() ? "" : hostPort(upstreams.get(0)));
        String text = resource(template);
        for (Map.Entry<String, String> p : values.entrySet()) {
            text = text.replace(p.getKey(), p.getValue());
        }
        Files.writeString(conf(), text);
    }

    /** {@code HOST:PORT} of a plain-HTTP upstream. */
    protected static String hostPort(URI upstream) {
        if (!"http".equals(upstream.getScheme()) || upstream.getPort() < 0) {
            throw new IllegalArgumentException("upstreams are http://HOST:PORT: " + upstream);
        }
        return upstream.getHost() + ":" + upstream.getPort();
    }

    @Override
    protected String notReady() {
        return accepts(port) ? null : "nothing listens on " + port;
    }

    /** {@code https://127.0.0.1:PORT}. */
    public URI baseUri() {
        return URI.create("https://127.0.0.1:" + port);
    }

    /** {@code BASE/realms/REALM}: the issuer behind this proxy. */
    public URI realmUri(String realm) {
        return URI.create(baseUri() + "/realms/" + realm);
    }

    /** A file under {@code src/test/resources/proxies/}, e.g. {@code haproxy.cfg}. */
    public static String resource(String name) {
        try (InputStream in = TemplateProxy.class.getResourceAsStream("/proxies/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource proxies/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines between {@code # snippet: begin} and {@code # snippet: end} of a proxies/ resource, unindented. */
    public static String snippet(String name) {
        List<String> lines = resource(name).lines().toList();
        int begin = indexOf(lines, "# snippet: begin", name);
        int end = indexOf(lines, "# snippet: end", name);
        List<String> body = lines.subList(begin + 1, end);
        int indent = body.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        StringBuilder s = new StringBuilder();
        body.forEach(l -> s.append(l.length() >= indent ? l.substring(indent) : l.strip()).append('\n'));
        return s.toString();
    }

    private static int indexOf(List<String> lines, String marker, String name) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals(marker)) {
                return i;
            }
        }
        throw new IllegalStateException("proxies/" + name + " has no line '" + marker + "'");
    }
}
