package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real HAProxy (Debian 12: 2.6) on 127.0.0.1 in front of Keycloak's {@code haproxy} x509cert-lookup, configured by
 * {@code src/test/resources/proxies/haproxy.cfg}: it asks for a client certificate, accepts any, and forwards the
 * leaf ({@code ssl_c_der}) and the certificates the client sent after it ({@code ssl_c_chain_der}, the leaf not
 * included), each base64 of DER. Its directory holds {@code haproxy.cfg}, {@code server.pem} (certificate and key,
 * as HAProxy wants them), {@code client-ca.pem} (required by {@code verify optional}, its verdict ignored) and
 * {@code haproxy.out} (the log). Runs as {@code haproxy -db}.
 */
public final class HaProxy extends TemplateProxy {

    private final Path haproxy = binary("haproxy", "install haproxy");

    private HaProxy(Path dir, URI upstream, Issued serverCertificate) {
        super("haproxy", dir, "haproxy.cfg", List.of(upstream), serverCertificate);
    }

    /** HAProxy in {@code dir} serving {@code serverCertificate} in front of Keycloak's plain-HTTP {@code upstream}. */
    public static HaProxy start(Path dir, URI upstream, Issued serverCertificate) throws IOException {
        HaProxy proxy = new HaProxy(dir, upstream, serverCertificate);
        proxy.start();
        return proxy;
    }

    @Override
    protected void prepare() throws IOException {
        Files.writeString(dir().resolve("server.pem"), TestPki.pem(List.of(serverCertificate.cert()))
                + TestPki.pem(serverCertificate.keyPair().getPrivate()));
        TestPki.writePem(dir().resolve("client-ca.pem"), List.of(serverCertificate.cert()));
    }

    @Override
    protected Path conf() {
        return dir().resolve("haproxy.cfg");
    }

    @Override
    protected List<String> command(Path conf) {
        return List.of(haproxy.toString(), "-db", "-f", conf.toString());
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of(conf());
    }
}
