package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real Apache httpd (Debian 12: 2.4, mod_ssl) on 127.0.0.1 in front of Keycloak's {@code apache} x509cert-lookup,
 * configured by {@code src/test/resources/proxies/apache-httpd.conf} (its own ServerRoot, modules loaded from
 * {@code /usr/lib/apache2/modules}; the system's apache2 configuration is not read): {@code SSLVerifyClient
 * optional_no_ca}, the leaf in {@code SSL_CLIENT_CERT} and the client's further certificates in
 * {@code SSL_CLIENT_CERT_CHAIN_0, _1}, each PEM (mod_headers turns its line breaks into spaces). Its directory holds
 * {@code httpd.conf}, {@code server.pem}/{@code .key}, {@code run/}, {@code error.log}, {@code access.log} and
 * {@code apache2.out}. Runs as {@code apache2 -f httpd.conf -DFOREGROUND}.
 */
public final class ApacheHttpd extends TemplateProxy {

    private final Path apache2 = binary("apache2", "install apache2");

    private ApacheHttpd(Path dir, URI upstream, Issued serverCertificate) {
        super("apache2", dir, "apache-httpd.conf", List.of(upstream), serverCertificate);
    }

    /** httpd in {@code dir} serving {@code serverCertificate} in front of Keycloak's plain-HTTP {@code upstream}. */
    public static ApacheHttpd start(Path dir, URI upstream, Issued serverCertificate) throws IOException {
        ApacheHttpd proxy = new ApacheHttpd(dir, upstream, serverCertificate);
        proxy.start();
        return proxy;
    }

    @Override
    protected void prepare() throws IOException {
        deleteTree(dir().resolve("run"));
        Files.createDirectories(dir().resolve("run"));
        TestPki.writePem(dir().resolve("server.pem"), List.of(serverCertificate.cert()));
        TestPki.writePem(dir().resolve("server.key"), serverCertificate.keyPair().getPrivate());
    }

    @Override
    protected Path conf() {
        return dir().resolve("httpd.conf");
    }

    @Override
    protected List<String> command(Path conf) {
        return List.of(apache2.toString(), "-f", conf.toString(), "-DFOREGROUND");
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of(dir().resolve("error.log"), conf());
    }
}
