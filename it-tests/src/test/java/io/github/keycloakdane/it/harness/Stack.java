package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.keycloak.admin.client.Keycloak;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The real-component stack a scenario runs against, started in dependency order and stopped in reverse:
 * <ol>
 * <li>Knot DNS (optional, {@link Builder#knot}), whose address and trust anchors (written to
 * {@code trust-anchors.zone}) go into Keycloak's {@code --spi-dane--default--resolver/trust-anchors} options;</li>
 * <li>Keycloak (start-dev, HTTP on 127.0.0.1) with the provider jar(s), the nginx x509cert-lookup and
 * {@code proxy-trusted-addresses=127.0.0.1};</li>
 * <li>nginx terminating TLS (server certificate issued by a per-stack test CA, {@link #serverTrust()}) in front of
 * Keycloak.</li>
 * </ol>
 * Normally one stack is shared by every IT class of the run: see {@link SharedStack}.
 */
public final class Stack implements AutoCloseable {

    public static final class Builder {
        private String name = "stack";
        private final List<Path> providers = new ArrayList<>();
        private final List<Path> realmImports = new ArrayList<>();
        private final List<String> keycloakOptions = new ArrayList<>();
        private Consumer<KnotDns.Builder> knot;
        private String proxyTrustedAddresses = "127.0.0.1";
        private List<String> certificateLookup = KeycloakOptions.nginxCertLookup();
        private UnaryOperator<InetSocketAddress> dnsInFront = UnaryOperator.identity();
        private InetSocketAddress resolver;
        private Path trustAnchors;
        private KeycloakLine line;
        private List<String> keycloakConf;
        private final List<String> keycloakJavaOptions = new ArrayList<>();

        private Builder() {
        }

        /**
         * The stack's directory, {@code ItConfig.workDir()/NAME} (default "stack"; {@code NAME.2}, ... while other
         * test runs hold it), with {@code keycloak/}, {@code nginx/}, {@code knot/} and {@code trust-anchors.zone}.
         */
        public Builder name(String name) {
            this.name = ItConfig.plainName(name);
            return this;
        }

        /** A provider jar for Keycloak (repeatable). */
        public Builder provider(Path jar) {
            providers.add(jar);
            return this;
        }

        /** A realm JSON imported at startup (repeatable). */
        public Builder realmImport(Path json) {
            realmImports.add(json);
            return this;
        }

        /** JVM options for Keycloak (its JAVA_OPTS_APPEND, after the harness' own). */
        public Builder keycloakJavaOptions(String... options) {
            keycloakJavaOptions.addAll(List.of(options));
            return this;
        }

        /** More Keycloak options (each a complete --name=value). */
        public Builder keycloakOptions(String... options) {
            keycloakOptions.addAll(List.of(options));
            return this;
        }

        /**
         * Start Knot DNS first with the zones the customizer adds, e.g.
         * {@code knot(k -> k.signedZone("example.test", "device1._device TLSA 3 1 1 ..."))}; Keycloak then gets the
         * DANE SPI options pointing at it.
         */
        public Builder knot(Consumer<KnotDns.Builder> zones) {
            this.knot = zones;
            return this;
        }

        /**
         * Keycloak's {@code --proxy-trusted-addresses} (default {@code 127.0.0.1}, nginx's address); null leaves it
         * unset, so that Keycloak believes proxy headers from every sender.
         */
        public Builder proxyTrustedAddresses(String addresses) {
            this.proxyTrustedAddresses = addresses;
            return this;
        }

        /**
         * The x509cert-lookup's options instead of {@link KeycloakOptions#nginxCertLookup()} (e.g. a third-party
         * lookup from a provider jar that reads what nginx sends).
         */
        public Builder certificateLookup(List<String> options) {
            this.certificateLookup = List.copyOf(options);
            return this;
        }

        /**
         * Puts something between Keycloak and Knot: called with Knot's address once Knot serves, it returns the
         * address Keycloak's resolver option names (e.g. a fault-injecting DNS fixture forwarding to Knot).
         */
        public Builder dnsInFront(UnaryOperator<InetSocketAddress> interposer) {
            this.dnsInFront = interposer;
            return this;
        }

        /**
         * Use a DNS that runs already instead of a Knot of this stack's own: Keycloak's resolver and trust anchor
         * options point at it (e.g. the shared stack's Knot, or a validating resolver in front of it).
         */
        public Builder dns(InetSocketAddress resolver, Path trustAnchorFile) {
            this.resolver = resolver;
            this.trustAnchors = trustAnchorFile;
            return this;
        }

        /** Keycloak of another line (its distribution and option spelling) instead of {@code keycloak.version}. */
        public Builder line(KeycloakLine line) {
            this.line = line;
            return this;
        }

        /** Keycloak's {@code conf/keycloak.conf} lines. */
        public Builder keycloakConf(String... lines) {
            this.keycloakConf = List.of(lines);
            return this;
        }

        public Stack start() throws IOException {
            Stack stack = new Stack();
            try {
                stack.start(this);
            } catch (IOException | RuntimeException | Error e) {
                stack.close();
                throw e;
            }
            return stack;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private final Issued tlsCa = TestPki.ca("keycloak-dane IT TLS CA").build();
    private DirLease lease;
    private KnotDns knot;
    private Path trustAnchorFile;
    private KeycloakServer keycloak;
    private NginxProxy nginx;

    private Stack() {
    }

    private void start(Builder b) throws IOException {
        long t0 = System.nanoTime();
        lease = DirLease.acquire(ItConfig.workDir().resolve(b.name));
        Path dir = lease.dir();
        List<String> options = new ArrayList<>();
        if (b.knot != null) {
            KnotDns.Builder kb = KnotDns.builder(dir.resolve("knot"));
            b.knot.accept(kb);
            knot = kb.start();
            trustAnchorFile = Files.writeString(dir.resolve("trust-anchors.zone"), knot.trustAnchor());
            options.addAll(KeycloakOptions.dane(b.dnsInFront.apply(knot.address()), trustAnchorFile));
        } else if (b.resolver != null) {
            trustAnchorFile = b.trustAnchors;
            options.addAll(KeycloakOptions.dane(b.dnsInFront.apply(b.resolver), trustAnchorFile));
        }
        options.addAll(b.certificateLookup);
        options.addAll(KeycloakOptions.behindProxy(b.proxyTrustedAddresses));
        options.addAll(b.keycloakOptions);
        KeycloakServer.Builder kb = KeycloakServer.builder(b.name).instanceDir(dir.resolve("keycloak"))
                .options(options).javaOptions(b.keycloakJavaOptions);
        b.providers.forEach(kb::provider);
        b.realmImports.forEach(kb::realmImport);
        if (b.line != null) {
            kb.line(b.line);
        }
        if (b.keycloakConf != null) {
            kb.keycloakConf(b.keycloakConf);
        }
        keycloak = kb.start();
        nginx = NginxProxy.start(dir.resolve("nginx"), keycloak.baseUri(),
                TestPki.tlsServer(tlsCa, "127.0.0.1", "localhost"));
        System.out.printf(Locale.ROOT, "[stack-%s] up in %.1f s: %s -> %s%s%n", b.name, (System.nanoTime() - t0) / 1e9,
                nginx.baseUri(), keycloak.baseUri(), knot == null ? "" : ", DNS 127.0.0.1:" + knot.port());
    }

    /** Stops nginx, Keycloak and Knot, in that order. Idempotent. */
    @Override
    public void close() {
        for (AutoCloseable part : new AutoCloseable[] {nginx, keycloak, knot, lease}) {
            try {
                if (part != null) {
                    part.close();
                }
            } catch (Exception e) {
                // the others are stopped all the same
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    public KeycloakServer keycloak() {
        return keycloak;
    }

    public NginxProxy nginx() {
        return nginx;
    }

    /** The Knot DNS server; throws when the stack runs without one. */
    public KnotDns knot() {
        if (knot == null) {
            throw new IllegalStateException("this stack runs without Knot DNS");
        }
        return knot;
    }

    /** The trust anchor file handed to Keycloak (null without Knot). */
    public Path trustAnchorFile() {
        return trustAnchorFile;
    }

    /** The public origin: nginx, {@code https://127.0.0.1:PORT}. */
    public URI baseUri() {
        return nginx.baseUri();
    }

    /** A realm's URI through nginx (its issuer). */
    public URI realmUri(String realm) {
        return URI.create(baseUri() + "/realms/" + realm);
    }

    /** {@code realmUri(realm)/protocol/openid-connect/token}. */
    public URI tokenUri(String realm) {
        return URI.create(realmUri(realm) + "/protocol/openid-connect/token");
    }

    /** The CA that issued nginx's server certificate: what clients trust. */
    public List<X509Certificate> serverTrust() {
        return List.of(tlsCa.cert());
    }

    /** An HTTPS client trusting nginx, without a client certificate (add one with withClientCertificate). */
    public TlsHttp https() {
        return TlsHttp.trusting(serverTrust());
    }

    /** The admin client, straight to Keycloak. */
    public Keycloak admin() {
        return keycloak.admin();
    }
}
