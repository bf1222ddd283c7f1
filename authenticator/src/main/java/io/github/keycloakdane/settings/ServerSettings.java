package io.github.keycloakdane.settings;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchPolicy;
import io.github.keycloakdane.dns.DnsSettings;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.dns.ResolverChannel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The server-wide settings ({@link ServerOption}), parsed and checked once so that a bad value stops the server (or
 * the CLI) with a message naming the option, not a failure at the first login. Reads values through plain functions,
 * so it needs no running Keycloak.
 */
public record ServerSettings(DnsSettings dns, ResolverChannel channel, AllowList allowList, MatchPolicy matchPolicy,
                             boolean allowUntrustedCertificateHeader, String proxyIdentityHeader,
                             boolean trustProxyIdentity, Duration assertionMaxLifetime) {

    /** An HTTP field name (RFC 9110 token), at most 100 characters. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}");

    /** Whether {@code name} can be an HTTP header's name. */
    public static boolean isHeaderName(String name) {
        return name != null && HEADER_NAME.matcher(name).matches();
    }

    /** Keycloak's options: {@code values} reads {@code --spi-dane--default--KEY}; messages name it so. */
    public static ServerSettings parse(Function<ServerOption, String> values) {
        return parse(values, ServerOption::spiOption);
    }

    /**
     * @param values   an option's value, or null when it is not set
     * @param spelling how messages name an option (Keycloak's or the CLI's spelling)
     * @throws IllegalArgumentException naming the offending option
     */
    public static ServerSettings parse(Function<ServerOption, String> values, Function<ServerOption, String> spelling) {
        Reader r = new Reader(values, spelling);
        DnsSettings dns = DnsSettings.defaults();
        String resolver = r.text(ServerOption.RESOLVER);
        ResolverChannel channel = channel(r, resolver != null);
        if (resolver != null) {
            try {
                dns = dns.withResolver(DnsSettings.parseResolver(resolver, channel.defaultPort()));
            } catch (IllegalArgumentException e) {
                throw r.invalid(ServerOption.RESOLVER, e.getMessage());
            }
        }
        String anchorsFile = r.text(ServerOption.TRUST_ANCHORS);
        if (anchorsFile != null) {
            try {
                dns = dns.withTrustAnchors(Files.readString(Path.of(anchorsFile), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw r.invalid(ServerOption.TRUST_ANCHORS, "cannot read " + anchorsFile + ": " + e);
            }
        }
        long timeout = r.number(ServerOption.TIMEOUT);
        if (timeout == 0) {
            throw r.invalid(ServerOption.TIMEOUT, "must be greater than 0");
        }
        dns = dns.withTrustAd(r.bool(ServerOption.TRUST_AD))
                .withTimeout(Duration.ofMillis(timeout))
                .withCache(Duration.ofSeconds(r.number(ServerOption.CACHE_MAX_TTL)),
                        Duration.ofSeconds(r.number(ServerOption.CACHE_NEGATIVE_TTL)),
                        (int) Math.min(Integer.MAX_VALUE, r.number(ServerOption.CACHE_SIZE)));
        long maxLookups = r.number(ServerOption.MAX_CONCURRENT_LOOKUPS);
        if (maxLookups == 0) {
            throw r.invalid(ServerOption.MAX_CONCURRENT_LOOKUPS, "must be at least 1");
        }
        dns = dns.withMaxConcurrentLookups((int) Math.min(Integer.MAX_VALUE, maxLookups));

        AllowList allowList = AllowList.any();
        String allow = r.text(ServerOption.ALLOW_LIST);
        if (allow != null) {
            try {
                allowList = AllowList.parse(allow);
            } catch (InvalidNameException e) {
                throw r.invalid(ServerOption.ALLOW_LIST, e.getMessage());
            }
        }

        MatchPolicy policy = MatchPolicy.defaults().withEeNameCheck(r.bool(ServerOption.EE_NAME_CHECK));
        String pkixFile = r.text(ServerOption.PKIX_TRUST);
        if (pkixFile != null) {
            policy = policy.withPkixTrust(r.anchors(ServerOption.PKIX_TRUST, pkixFile));
        }
        String identityHeader = r.text(ServerOption.PROXY_IDENTITY_HEADER);
        if (identityHeader != null && !isHeaderName(identityHeader)) {
            throw r.invalid(ServerOption.PROXY_IDENTITY_HEADER, "'" + identityHeader + "' is not a header name");
        }
        boolean trustProxyIdentity = r.bool(ServerOption.TRUST_PROXY_IDENTITY);
        if (trustProxyIdentity && identityHeader == null) {
            throw r.invalid(ServerOption.TRUST_PROXY_IDENTITY, "needs " + r.spelling().apply(
                    ServerOption.PROXY_IDENTITY_HEADER) + " (the header whose identity it believes)");
        }
        long maxLifetime = r.number(ServerOption.ASSERTION_MAX_LIFETIME);
        if (maxLifetime == 0) {
            throw r.invalid(ServerOption.ASSERTION_MAX_LIFETIME, "must be at least 1");
        }
        return new ServerSettings(dns, channel, allowList, policy,
                r.bool(ServerOption.ALLOW_UNTRUSTED_CERTIFICATE_HEADER), identityHeader, trustProxyIdentity,
                Duration.ofSeconds(maxLifetime));
    }

    /**
     * The TLSA source these settings describe; a resolver or trust-anchor file that turns out unusable only now
     * (no system resolver, anchors without a DS or DNSKEY record) is reported under its option's {@code spelling}.
     */
    public DnsTlsaSource dnsSource(Function<ServerOption, String> spelling) {
        try {
            return new DnsTlsaSource(dns, channel);
        } catch (IllegalArgumentException e) {
            ServerOption option = dns.trustAnchors() != null ? ServerOption.TRUST_ANCHORS : ServerOption.RESOLVER;
            throw new IllegalArgumentException(spelling.apply(option) + ": " + e.getMessage(), e);
        }
    }

    /** The resolver-transport options: TLS settings only with {@code tls}, and {@code tls} only with a resolver. */
    private static ResolverChannel channel(Reader r, boolean resolverSet) {
        ResolverChannel.Transport transport;
        try {
            transport = ResolverChannel.Transport.parse(r.text(ServerOption.RESOLVER_TRANSPORT));
        } catch (IllegalArgumentException e) {
            throw r.invalid(ServerOption.RESOLVER_TRANSPORT, e.getMessage());
        }
        String name = r.text(ServerOption.RESOLVER_TLS_NAME);
        String caFile = r.text(ServerOption.RESOLVER_TLS_CA);
        String pins = r.text(ServerOption.RESOLVER_TLS_PIN);
        if (transport == ResolverChannel.Transport.UDP) {
            for (ServerOption o : new ServerOption[] {ServerOption.RESOLVER_TLS_NAME, ServerOption.RESOLVER_TLS_CA,
                    ServerOption.RESOLVER_TLS_PIN}) {
                if (r.text(o) != null) {
                    throw r.invalid(o, "needs " + r.spelling().apply(ServerOption.RESOLVER_TRANSPORT) + "=tls");
                }
            }
            return ResolverChannel.udp();
        }
        if (!resolverSet) {
            throw r.invalid(ServerOption.RESOLVER_TRANSPORT, "tls needs " + r.spelling().apply(ServerOption.RESOLVER)
                    + " (the system's resolver has no certificate to check)");
        }
        if (name != null && (name.length() > 253 || !name.matches("[A-Za-z0-9.:_-]+"))) {
            throw r.invalid(ServerOption.RESOLVER_TLS_NAME, "'" + name + "' is not a host name or address");
        }
        List<X509Certificate> ca = List.of();
        if (caFile != null) {
            ca = r.anchors(ServerOption.RESOLVER_TLS_CA, caFile).stream().map(TrustAnchor::getTrustedCert).toList();
        }
        List<byte[]> pinList = List.of();
        if (pins != null) {
            try {
                pinList = ResolverChannel.parsePins(pins);
            } catch (IllegalArgumentException e) {
                throw r.invalid(ServerOption.RESOLVER_TLS_PIN, e.getMessage());
            }
        }
        return ResolverChannel.tls(name, ca, pinList);
    }

    /** Typed reads of option values, with the option's default and messages in the caller's spelling. */
    private record Reader(Function<ServerOption, String> values, Function<ServerOption, String> spelling) {

        String text(ServerOption option) {
            String v = values.apply(option);
            return v == null || v.isBlank() ? option.defaultValue : v.strip();
        }

        boolean bool(ServerOption option) {
            String v = text(option);
            if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(v);
            }
            throw invalid(option, "must be true or false, not '" + v + "'");
        }

        long number(ServerOption option) {
            String v = text(option);
            try {
                long n = Long.parseLong(v);
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw invalid(option, "must be a whole number >= 0, not '" + v + "'");
        }

        Set<TrustAnchor> anchors(ServerOption option, String file) {
            try {
                Set<TrustAnchor> anchors = new LinkedHashSet<>();
                for (X509Certificate cert : CertificateParser.parsePem(Files.readString(Path.of(file)))) {
                    anchors.add(new TrustAnchor(cert, null));
                }
                if (anchors.isEmpty()) {
                    throw invalid(option, file + " holds no certificate");
                }
                return anchors;
            } catch (IOException | CertificateException e) {
                throw invalid(option, "cannot read PEM certificates from " + file + ": " + e.getMessage());
            }
        }

        IllegalArgumentException invalid(ServerOption option, String why) {
            return new IllegalArgumentException(spelling.apply(option) + ": " + why);
        }
    }
}
