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

    private KeycloakOptions() {
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
        return "--spi-x509cert-lookup--nginx--" + key + "=" + value;
    }
}
