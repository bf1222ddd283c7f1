package io.github.keycloakdane.settings;

import io.github.keycloakdane.dns.DnsSettings;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every server-wide DANE option, written once: its name, type, default and help. Keycloak's option metadata
 * ({@code --spi-dane--default--NAME}), the CLI's flags ({@code --NAME}), docs/CONFIGURATION.md's option table and the parser
 * ({@link ServerSettings}) all come from here; a test checks that table against {@link #markdownTable()}.
 */
public enum ServerOption {

    RESOLVER("resolver", Type.TEXT, null, "first nameserver of `/etc/resolv.conf`", "HOST[:PORT]", true,
            "where TLSA queries go"),
    RESOLVER_TRANSPORT("resolver-transport", Type.TEXT, "udp", null, "udp|tls", true,
            "how queries travel to `resolver`: `udp` (TCP for a truncated answer), or `tls`, DNS over TLS (RFC 7858;"
                    + " port 853 unless `resolver` names one) with the resolver's certificate checked; a failed TLS"
                    + " channel is a failed lookup (`DNS_ERROR`), never a fallback to UDP. With `tls`, `trust-ad=true`"
                    + " is safe also for a resolver off loopback"),
    RESOLVER_TLS_NAME("resolver-tls-name", Type.TEXT, null, "the `resolver`'s address", "NAME", true,
            "`tls`: the name the resolver's certificate must carry in its subjectAltName (a dNSName, or an"
                    + " iPAddress for an address), checked with the CA; a host name is also sent as SNI"),
    RESOLVER_TLS_CA("resolver-tls-ca", Type.TEXT, null, "the JVM's trust store (none with a pin alone)", "FILE.pem",
            true, "`tls`: the CA certificates the resolver's certificate chain must lead to"),
    RESOLVER_TLS_PIN("resolver-tls-pin", Type.TEXT, null, "none", "BASE64[,BASE64...]", true,
            "`tls`: comma-separated SHA-256 digests in Base64 of the DER SubjectPublicKeyInfo the resolver's own"
                    + " certificate must have (docs/PRODUCTION.md shows the openssl command); alone, the"
                    + " pinned key is the resolver's identity (no CA, no name check); with `resolver-tls-ca`, both"
                    + " must hold"),
    TRUST_ANCHORS("trust-anchors", Type.TEXT, null, "the built-in IANA root anchors", "FILE", true,
            "DS or DNSKEY records (zone-file syntax) that DNSSEC is validated to"),
    TRUST_AD("trust-ad", Type.BOOLEAN, "false", null, null, true,
            "trust the resolver's AD bit instead of validating locally (only on loopback or with"
                    + " `resolver-transport=tls`; a warning is logged otherwise)"),
    TIMEOUT("timeout", Type.INTEGER, Long.toString(DnsSettings.DEFAULT_TIMEOUT.toMillis()), null, "MS", true,
            "bound on one lookup, validation and CNAME links included, in milliseconds"),
    CACHE_MAX_TTL("cache-max-ttl", Type.INTEGER, Long.toString(DnsSettings.DEFAULT_MAX_TTL.toSeconds()), null,
            "SECONDS", false, "secure answers are cached for at most this long: min(max(TTL, `cache-min-ttl`), this);"
                    + " `0` disables the positive cache"),
    CACHE_MIN_TTL("cache-min-ttl", Type.INTEGER, Long.toString(DnsSettings.DEFAULT_MIN_TTL.toSeconds()), null,
            "SECONDS", false, "secure answers are cached for at least this long, even when their TTL is shorter (capped"
                    + " at `cache-max-ttl`), so that a never-cached (TTL 0) record cannot send every request to DNS;"
                    + " it is also how long a changed or removed record with a shorter TTL may still be believed"
                    + " (a node believes an answer for min(max(TTL, this), `cache-max-ttl`), and a revocation takes"
                    + " effect within that plus one lookup); `0` follows the TTL"),
    CACHE_NEGATIVE_TTL("cache-negative-ttl", Type.INTEGER,
            Long.toString(DnsSettings.DEFAULT_NEGATIVE_TTL.toSeconds()), null, "SECONDS", false,
            "failures (insecure, bogus, absent, timeout) are cached this long"),
    CACHE_SIZE("cache-size", Type.INTEGER, Integer.toString(DnsSettings.DEFAULT_CACHE_SIZE), null, "N", false,
            "the most names cached"),
    MAX_CONCURRENT_LOOKUPS("max-concurrent-lookups", Type.INTEGER,
            Integer.toString(DnsSettings.DEFAULT_MAX_CONCURRENT_LOOKUPS), null, "N", false,
            "the most TLSA lookups of distinct names this node runs at once (requests for a name being looked up wait"
                    + " for that lookup); a request needing one more fails fast with `DNS_BUSY`, so slow names cannot"
                    + " hold every worker thread"),
    MAX_WAITERS_PER_NAME("max-waiters-per-name", Type.INTEGER,
            Integer.toString(DnsSettings.DEFAULT_MAX_WAITERS_PER_NAME), null, "N", false,
            "the most requests that wait for one name's running lookup; one more fails fast with `DNS_BUSY`, so a slow"
                    + " name, or a flood of requests for one, cannot park every worker thread on one lookup"),
    ALLOW_LIST("allow-list", Type.TEXT, null, "none (no server-wide restriction)", "ENTRIES", false,
            "comma-separated allow-list entries (`name`, `*.parent`, `.domain`) that every DANE name must also match"),
    EE_NAME_CHECK("ee-name-check", Type.BOOLEAN, "false", null, null, true,
            "DANE-EE also requires the name among the leaf's SAN dNSNames"),
    PKIX_TRUST("pkix-trust", Type.TEXT, null, "none (PKIX usages off)", "FILE.pem", true,
            "CA certificates that enable PKIX-TA(0)/PKIX-EE(1) records"),
    ALLOW_UNTRUSTED_CERTIFICATE_HEADER("allow-untrusted-certificate-header", Type.BOOLEAN, "false", null, null, false,
            "believe a header lookup's certificate although `--proxy-trusted-addresses` is unset; without it DANE"
                    + " refuses everyone in that configuration (only when nothing but the proxy can reach Keycloak)"),
    HEADERLESS_CERTIFICATE_LOOKUPS("headerless-certificate-lookups", Type.TEXT, null,
            "none (every lookup but `default` is header-based)", "IDS", false,
            "comma-separated `x509cert-lookup` provider ids that do not read the certificate from a request header"
                    + " (e.g. a third-party lookup that takes it from the TLS layer); every other lookup but `default`"
                    + " is treated as header-based, so without `--proxy-trusted-addresses` DANE refuses everyone"),
    PROXY_IDENTITY_HEADER("proxy-identity-header", Type.TEXT, null, "none (no DANE-aware proxy)", "HEADER", false,
            "the header in which a DANE-aware proxy passes the `dane_clientid` it authenticated; `client-dane` takes"
                    + " the identity from it, honoured only from `--proxy-trusted-addresses` (refused from elsewhere)"
                    + " and re-verified against the forwarded certificate unless `trust-proxy-identity` is set"),
    TRUST_PROXY_IDENTITY("trust-proxy-identity", Type.BOOLEAN, "false", null, null, false,
            "believe `proxy-identity-header` without re-verifying (no certificate needed, no DNS query; the allow"
                    + " list and the client's `dane.clientid` still apply); logs a warning at start"),
    DIAGNOSTICS_MAX_CONCURRENT_LOOKUPS("diagnostics-max-concurrent-lookups", Type.INTEGER,
            Integer.toString(DiagnosticsSettings.DEFAULTS.maxConcurrentLookups()), null, "N", false,
            "the most DNS lookups the admin diagnostics (`/admin/realms/{realm}/dane/diagnose`) run at once on this"
                    + " node, on slots of their own: never one of `max-concurrent-lookups`, which logins use; one more"
                    + " is answered `DNS_BUSY` without a query"),
    DIAGNOSTICS_PER_MINUTE("diagnostics-per-minute", Type.INTEGER,
            Integer.toString(DiagnosticsSettings.DEFAULTS.perMinute()), null, "N", false,
            "diagnoses one admin may run in one realm per minute, on average, on this node (HTTP 429 beyond)"),
    DIAGNOSTICS_BURST("diagnostics-burst", Type.INTEGER, Integer.toString(DiagnosticsSettings.DEFAULTS.burst()),
            null, "N", false, "diagnoses one admin may run in one realm at once before `diagnostics-per-minute`"
                    + " applies (the rate limit's bucket)"),
    ASSERTION_MAX_LIFETIME("assertion-max-lifetime", Type.INTEGER, "60", null, "SECONDS", false,
            "`client-dane-jwt`: the longest a client assertion may live, `exp` minus `iat` (a longer one is refused,"
                    + " `LIFETIME_TOO_LONG`); an assertion is a bearer proof until it expires, so keep it short");

    /** How a value is written and checked. */
    public enum Type {
        TEXT("string"), BOOLEAN("boolean"), INTEGER("int");

        /** The type name of Keycloak's option metadata. */
        public final String keycloakType;

        Type(String keycloakType) {
            this.keycloakType = keycloakType;
        }
    }

    /** The SPI option's name, e.g. {@code cache-max-ttl}. */
    public final String key;
    public final Type type;
    /** The default as a value, or null when there is none to write down (see {@link #defaultText()}). */
    public final String defaultValue;
    private final String defaultWithoutValue;
    private final String syntax;
    /** Whether the CLI takes it too, as {@code --KEY} (a flag without value for booleans). */
    public final boolean cli;
    public final String help;

    ServerOption(String key, Type type, String defaultValue, String defaultWithoutValue, String syntax, boolean cli,
                 String help) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.defaultWithoutValue = defaultWithoutValue;
        this.syntax = type == Type.BOOLEAN ? "true|false" : syntax;
        this.cli = cli;
        this.help = help;
    }

    /**
     * {@code --spi-dane--default--KEY}: how the command line of Keycloak 26.3 and later spells it (before 26.3:
     * {@link SpiSpelling#SINGLE_DASH}).
     */
    public String spiOption() {
        return SpiSpelling.DOUBLE_DASH.option(this);
    }

    /** {@code --KEY}: how the CLI spells it. */
    public String cliFlag() {
        return "--" + key;
    }

    /** The default as a value of its type (Boolean, Integer or String), or null. */
    public Object typedDefault() {
        if (defaultValue == null) {
            return null;
        }
        return switch (type) {
            case BOOLEAN -> Boolean.valueOf(defaultValue);
            case INTEGER -> Integer.valueOf(defaultValue);
            case TEXT -> defaultValue;
        };
    }

    /** The default as docs/CONFIGURATION.md says it. */
    public String defaultText() {
        return defaultValue != null ? "`" + defaultValue + "`" : defaultWithoutValue;
    }

    /** The value's syntax, e.g. {@code HOST[:PORT]} or {@code true|false}. */
    public String syntax() {
        return syntax;
    }

    /** The help without Markdown, for Keycloak's option metadata and the CLI. */
    public String plainHelp() {
        return help.replace("`", "");
    }

    public static List<ServerOption> forCli() {
        return Arrays.stream(values()).filter(o -> o.cli).toList();
    }

    /** docs/CONFIGURATION.md's option table: option, default, meaning. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| option | default | meaning |\n|---|---|---|\n");
        for (ServerOption o : values()) {
            table.append(String.format(Locale.ROOT, "| `%s=%s` | %s | %s |\n", o.spiOption(),
                    o.syntax.replace("|", "\\|"), o.defaultText(), o.help));
        }
        return table.toString();
    }
}
