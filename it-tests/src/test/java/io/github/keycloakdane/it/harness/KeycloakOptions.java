package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.settings.ServerOption;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Ready-made {@code kc.sh start-dev} options for the ITs. Each method returns complete {@code --name=value} arguments
 * for {@link KeycloakServer.Builder#options(List)}.
 *
 * <p>What the {@code nginx} x509cert-lookup of Keycloak 26.7.3 returns ({@code org.keycloak.services.x509}):
 * <ul>
 * <li>{@code trust-proxy-verification=false} (the default; {@code NginxProxySslClientCertificateLookup}): the
 * certificate from the {@value #CLIENT_CERT_HEADER} header (URL-decoded), then the chain <em>rebuilt from Keycloak's
 * truststore</em> with a PKIX CertPathBuilder whose maxPathLength is {@code certificate-chain-length}; the
 * chain-prefix headers are never read. Without a truststore that holds the client's issuers (the usual case for DANE)
 * the rebuild fails, Keycloak logs "Impossible to rebuild end user cert chain" at INFO and returns
 * <b>the leaf only</b>.</li>
 * <li>{@code trust-proxy-verification=true} ({@code NginxProxyTrustedClientCertificateLookup}): the leaf, then the
 * headers {@code <prefix>_0 .. <prefix>_<certificate-chain-length - 1>} that are present (a WARN for each missing
 * one), each accepted only when the request has {@code ssl-client-verify: SUCCESS}. nginx cannot forward the client's
 * intermediates (it has variables for the leaf only), and with {@code ssl_verify_client optional_no_ca} its
 * {@code $ssl_client_verify} is {@code FAILED:...} for any certificate it has no CA for, so through nginx this mode
 * yields the leaf only and only if nginx sends a constant SUCCESS. The harness does not use it.</li>
 * </ul>
 * Both return {@code null} when the request does not come from a trusted proxy ({@code proxy-trusted-addresses}); with
 * that option unset every sender is trusted.
 *
 * <p>The other lookups of 26.7.3 (each also returns nothing unless the request comes from a trusted proxy):
 * <ul>
 * <li>{@code haproxy} ({@code HaProxySslClientCertificateLookup}): the leaf from {@code ssl-client-cert} (PEM, or bare
 * base64 of DER); with {@code ssl-cert-chain} (new in 26.7; the older {@code ssl-cert-chain-prefix} is deprecated) the
 * chain from that one header, base64 of the concatenated DER certificates (MIME decoder), at most
 * {@code certificate-chain-length} of them.</li>
 * <li>{@code apache} ({@code ApacheProxySslClientCertificateLookup}): the leaf from {@code ssl-client-cert}, then
 * {@code <ssl-cert-chain-prefix>_0 .. _<certificate-chain-length - 1>} (a missing or unparsable one is skipped with a
 * warning); PEM, BEGIN/END lines and line breaks removed before decoding.</li>
 * <li>{@code traefik} ({@code TraefikProxySslClientCertificateLookup}): the fixed header
 * {@value #TRAEFIK_CERT_HEADER}, comma-separated base64 DER certificates, leaf first, at most
 * {@code certificate-chain-length + 1}; no other option.</li>
 * <li>{@code envoy} ({@code EnvoyProxySslClientCertificateLookup}): the fixed header {@value #ENVOY_XFCC_HEADER},
 * {@code ;}-separated {@code key=value}; the value of {@code Chain} (leaf included) if present, else of {@code Cert},
 * each unquoted, URL-decoded, then PEM-decoded; no options.</li>
 * <li>{@code rfc9440} ({@code Rfc9440ClientCertificateLookup}): {@code ssl-client-cert} (default
 * {@value #RFC9440_CERT_HEADER}) an RFC 8941 byte sequence {@code :base64 DER:}, at most once;
 * {@code ssl-cert-chain} (default {@value #RFC9440_CHAIN_HEADER}) a list of such, the leaf not included, at most
 * {@code certificate-chain-length}.</li>
 * <li>{@code default}: the chain the TLS layer saw (Keycloak terminating TLS itself).</li>
 * </ul>
 */
public final class KeycloakOptions {

    /** The header nginx puts {@code $ssl_client_escaped_cert} into. */
    public static final String CLIENT_CERT_HEADER = "ssl-client-cert";
    /** Prefix of the (never filled by nginx) chain headers {@code ssl-client-cert-chain_0, _1, ...}. */
    public static final String CHAIN_HEADER_PREFIX = "ssl-client-cert-chain";
    /** The header nginx puts the verification result into (read only with trust-proxy-verification=true). */
    public static final String CLIENT_VERIFY_HEADER = "ssl-client-verify";
    /** certificate-chain-length for the nginx lookup. */
    public static final int CHAIN_LENGTH = 2;

    /** The headers HAProxy sets (proxies/haproxy.cfg): the leaf, and the rest of the client's chain in one header. */
    public static final String HAPROXY_CERT_HEADER = "SSL_CLIENT_CERT";
    public static final String HAPROXY_CHAIN_HEADER = "SSL_CLIENT_CERT_CHAIN";
    /** The headers Apache httpd sets (proxies/apache-httpd.conf), named after mod_ssl's variables: leaf, chain_N. */
    public static final String APACHE_CERT_HEADER = "SSL_CLIENT_CERT";
    public static final String APACHE_CHAIN_PREFIX = "SSL_CLIENT_CERT_CHAIN";
    /** The chain headers apache-httpd.conf forwards ({@code _0}, {@code _1}) and the other lookups accept. */
    public static final int PROXY_CHAIN_LENGTH = 2;
    /** Fixed in Keycloak's traefik lookup (Traefik's passTLSClientCert header). */
    public static final String TRAEFIK_CERT_HEADER = "X-Forwarded-Tls-Client-Cert";
    /** Fixed in Keycloak's envoy lookup. */
    public static final String ENVOY_XFCC_HEADER = "x-forwarded-client-cert";
    /** The rfc9440 lookup's default headers (RFC 9440 §2). */
    public static final String RFC9440_CERT_HEADER = "Client-Cert";
    public static final String RFC9440_CHAIN_HEADER = "Client-Cert-Chain";

    private KeycloakOptions() {
    }

    /** The haproxy lookup reading what proxies/haproxy.cfg sends: leaf and chain ({@code ssl-cert-chain}). */
    public static List<String> haproxyCertLookup() {
        return List.of("--spi-x509cert-lookup--provider=haproxy",
                lookup("haproxy", "ssl-client-cert", HAPROXY_CERT_HEADER),
                lookup("haproxy", "ssl-cert-chain", HAPROXY_CHAIN_HEADER),
                lookup("haproxy", "certificate-chain-length", PROXY_CHAIN_LENGTH));
    }

    /** The apache lookup reading what proxies/apache-httpd.conf sends: leaf and {@code _0}, {@code _1}. */
    public static List<String> apacheCertLookup() {
        return List.of("--spi-x509cert-lookup--provider=apache",
                lookup("apache", "ssl-client-cert", APACHE_CERT_HEADER),
                lookup("apache", "ssl-cert-chain-prefix", APACHE_CHAIN_PREFIX),
                lookup("apache", "certificate-chain-length", PROXY_CHAIN_LENGTH));
    }

    /** The traefik lookup (its header is fixed). */
    public static List<String> traefikCertLookup() {
        return List.of("--spi-x509cert-lookup--provider=traefik",
                lookup("traefik", "certificate-chain-length", PROXY_CHAIN_LENGTH));
    }

    /** The envoy lookup (no options). */
    public static List<String> envoyCertLookup() {
        return List.of("--spi-x509cert-lookup--provider=envoy");
    }

    /** The rfc9440 lookup with its default headers. */
    public static List<String> rfc9440CertLookup() {
        return List.of("--spi-x509cert-lookup--provider=rfc9440",
                lookup("rfc9440", "certificate-chain-length", PROXY_CHAIN_LENGTH));
    }

    /**
     * The nginx x509cert-lookup with {@code trust-proxy-verification=false}: leaf from {@value #CLIENT_CERT_HEADER},
     * chain only if Keycloak's truststore can rebuild it (see the class comment).
     */
    public static List<String> nginxCertLookup() {
        List<String> options = new ArrayList<>(List.of(NGINX_LOOKUP_PROVIDER));
        options.addAll(nginxCertLookupSettings());
        return options;
    }

    /** The lookup's choice, a build-time option ({@code kc.sh build}). */
    public static final String NGINX_LOOKUP_PROVIDER = "--spi-x509cert-lookup--provider=nginx";

    /** The nginx lookup's own settings, runtime options ({@code kc.sh start}). */
    public static List<String> nginxCertLookupSettings() {
        return List.of(
                spi("ssl-client-cert", CLIENT_CERT_HEADER),
                spi("ssl-cert-chain-prefix", CHAIN_HEADER_PREFIX),
                spi("certificate-chain-length", CHAIN_LENGTH),
                spi("trust-proxy-verification", false));
    }

    /**
     * The build-time options of a production node behind nginx on PostgreSQL: the database vendor and the lookup.
     * None of the {@code dane} SPI's options is build-time (an SPI's provider settings are read at start); it has
     * one provider, so nothing to choose at build either.
     */
    public static List<String> productionBuild() {
        return List.of("--db=postgres", NGINX_LOOKUP_PROVIDER);
    }

    /**
     * The runtime options of a production node: its public URL ({@code --hostname}, nginx's origin), behind the proxy
     * at {@code proxyAddress}, on the PostgreSQL database, the nginx lookup's settings, DANE's resolver (and trust
     * anchors, null for the built-in IANA root anchors) and the searchable name attribute.
     */
    public static List<String> production(URI hostname, String proxyAddress, String dbUrl, String dbUser,
                                          String dbPassword, String resolver, Path trustAnchorFile) {
        List<String> options = new ArrayList<>(List.of("--hostname=" + hostname));
        options.addAll(behindProxy(proxyAddress));
        options.addAll(List.of("--db-url=" + dbUrl, "--db-username=" + dbUser, "--db-password=" + dbPassword));
        options.addAll(nginxCertLookupSettings());
        options.add(ServerOption.RESOLVER.spiOption() + "=" + resolver);
        if (trustAnchorFile != null) {
            options.add(ServerOption.TRUST_ANCHORS.spiOption() + "=" + trustAnchorFile);
        }
        options.add(SEARCHABLE_NAME);
        return options;
    }

    /** Keycloak's meters, ours among them, at {@code /metrics} of the management interface. */
    public static final String METRICS = "--metrics-enabled=true";

    /** Lets a client send only {@code dane_clientid}: the attribute is searchable. */
    public static final String SEARCHABLE_NAME = "--spi-client--jpa--searchable-attributes=dane.clientid";

    /** The default x509cert-lookup: the chain the TLS layer saw (Keycloak serving HTTPS itself). */
    public static List<String> tlsCertLookup() {
        return List.of("--spi-x509cert-lookup--provider=default");
    }

    /**
     * Behind a reverse proxy: honour X-Forwarded-* and trust proxy headers (including the client certificate
     * header) only from {@code trustedAddresses} (comma-separated IPs or CIDRs, e.g. {@code 127.0.0.1}); null trusts
     * every sender, as Keycloak does without the option.
     */
    public static List<String> behindProxy(String trustedAddresses) {
        return trustedAddresses == null ? List.of("--proxy-headers=xforwarded")
                : List.of("--proxy-headers=xforwarded", "--proxy-trusted-addresses=" + trustedAddresses);
    }

    /** The DANE SPI's resolver and trust anchors ({@code --spi-dane--default--resolver/trust-anchors}). */
    public static List<String> dane(InetSocketAddress resolver, Path trustAnchorFile) {
        return List.of(
                ServerOption.RESOLVER.spiOption() + "=" + resolver.getAddress().getHostAddress() + ":"
                        + resolver.getPort(),
                ServerOption.TRUST_ANCHORS.spiOption() + "=" + trustAnchorFile.toAbsolutePath());
    }

    /** One more option of the DANE SPI, e.g. {@code dane(ServerOption.TIMEOUT, 2000)}. */
    public static String dane(ServerOption option, Object value) {
        return option.spiOption() + "=" + value;
    }

    private static String spi(String key, Object value) {
        return lookup("nginx", key, value);
    }

    private static String lookup(String provider, String key, Object value) {
        return "--spi-x509cert-lookup--" + provider + "--" + key + "=" + value;
    }
}
