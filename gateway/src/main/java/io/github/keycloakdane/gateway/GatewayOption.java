package io.github.keycloakdane.gateway;

import io.github.keycloakdane.settings.ServerOption;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The gateway's own options, written once (name, default, help): {@code --help}, the parser ({@link GatewayConfig})
 * and docs/TLS-NATIVE.md's table come from here. The DANE options (resolver, trust anchors, allow list, cache,
 * timeouts) are the provider's {@link ServerOption}s, spelled {@code --KEY} as in the CLI: see {@link #DANE_OPTIONS}.
 */
public enum GatewayOption {

    LISTEN("listen", "127.0.0.1:8443", "HOST:PORT", "where the gateway accepts TLS 1.3 connections"),
    UPSTREAM("upstream", null, "URL", "Keycloak's HTTP(S) base URL, e.g. `http://127.0.0.1:8080` (required)"),
    CERT("cert", null, "FILE.pem", "the gateway's certificate chain, leaf first (required)"),
    KEY("key", null, "FILE.pem", "the gateway's private key, PKCS#8 PEM (required)"),
    IDENTITY_HEADER("identity-header", "X-Dane-Authenticated-Clientid", "HEADER",
            "the header that carries the authenticated name to Keycloak: Keycloak's `proxy-identity-header`"),
    CERTIFICATE_HEADER("certificate-header", "ssl-client-cert", "HEADER",
            "the header that carries the client's certificate (nginx's escaped PEM) for Keycloak's `nginx`"
                    + " x509cert-lookup, so Keycloak can re-verify"),
    CODEPOINT("dane-clientid-codepoint", Integer.toString(DaneClientId.DEFAULT_CODEPOINT), "N",
            "the `dane_clientid` extension type (IANA has assigned none yet; the default is the first private-use"
                    + " value, clients must use the same)"),
    UNAUTHENTICATED_PATHS("unauthenticated-paths", null, "PREFIXES",
            "comma-separated path prefixes (e.g. `/realms/iot/.well-known/`) that a client without `dane_clientid`"
                    + " may reach, unauthenticated; unset: such a client fails the handshake (`handshake_failure`)"),
    MAX_HANDSHAKES("max-handshakes", "256", "N",
            "the most connections whose TLS work (and so DANE lookup) runs at once on worker threads; one more is"
                    + " closed at once, so slow names cannot starve the rest"),
    HANDSHAKE_TIMEOUT("handshake-timeout", "10000", "MS",
            "a connection that has not finished its handshake (DANE lookup included) by then is closed; must be longer"
                    + " than `--timeout`");

    /** The provider's options the gateway takes too, as {@code --KEY}. */
    public static final Set<ServerOption> DANE_OPTIONS = EnumSet.of(ServerOption.RESOLVER,
            ServerOption.TRUST_ANCHORS, ServerOption.TRUST_AD, ServerOption.TIMEOUT, ServerOption.CACHE_MAX_TTL,
            ServerOption.CACHE_NEGATIVE_TTL, ServerOption.CACHE_SIZE, ServerOption.MAX_CONCURRENT_LOOKUPS,
            ServerOption.ALLOW_LIST, ServerOption.EE_NAME_CHECK, ServerOption.PKIX_TRUST);

    public final String key;
    public final String defaultValue;
    public final String syntax;
    public final String help;

    GatewayOption(String key, String defaultValue, String syntax, String help) {
        this.key = key;
        this.defaultValue = defaultValue;
        this.syntax = syntax;
        this.help = help;
    }

    public String flag() {
        return "--" + key;
    }

    /** docs/TLS-NATIVE.md's option table: the gateway's options, then the DANE ones it shares with the provider. */
    public static String markdownTable() {
        StringBuilder t = new StringBuilder("| option | default | meaning |\n|---|---|---|\n");
        for (GatewayOption o : values()) {
            t.append(String.format(Locale.ROOT, "| `%s=%s` | %s | %s |\n", o.flag(), o.syntax,
                    o.defaultValue == null ? "none" : "`" + o.defaultValue + "`", o.help));
        }
        for (ServerOption o : DANE_OPTIONS) {
            t.append(String.format(Locale.ROOT, "| `%s=%s` | %s | %s |\n", o.cliFlag(), o.syntax().replace("|", "\\|"),
                    o.defaultText(), o.help));
        }
        return t.toString();
    }

    static List<String> flags() {
        return Arrays.stream(values()).map(GatewayOption::flag).toList();
    }
}
