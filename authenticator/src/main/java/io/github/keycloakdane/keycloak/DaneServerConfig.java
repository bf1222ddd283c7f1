package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchPolicy;
import io.github.keycloakdane.dns.DnsSettings;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The server-wide settings of the {@code dane} SPI ({@code --spi-dane--default--OPTION=VALUE}), parsed and checked
 * once at start-up so that a bad value stops the server with a message naming the option, not a failure at the first
 * login. Reads options through a plain function, so it needs no running Keycloak.
 */
public record DaneServerConfig(DnsSettings dns, AllowList allowList, MatchPolicy matchPolicy,
                               boolean allowUntrustedCertificateHeader) {

    public static final String RESOLVER = "resolver";
    public static final String TRUST_ANCHORS = "trust-anchors";
    public static final String TRUST_AD = "trust-ad";
    public static final String TIMEOUT = "timeout";
    public static final String CACHE_MAX_TTL = "cache-max-ttl";
    public static final String CACHE_NEGATIVE_TTL = "cache-negative-ttl";
    public static final String CACHE_SIZE = "cache-size";
    public static final String ALLOW_LIST = "allow-list";
    public static final String EE_NAME_CHECK = "ee-name-check";
    public static final String PKIX_TRUST = "pkix-trust";
    public static final String ALLOW_UNTRUSTED_CERTIFICATE_HEADER = "allow-untrusted-certificate-header";

    /** Every option, in the order the README's table lists them. */
    public static final List<String> OPTIONS = List.of(RESOLVER, TRUST_ANCHORS, TRUST_AD, TIMEOUT, CACHE_MAX_TTL,
            CACHE_NEGATIVE_TTL, CACHE_SIZE, ALLOW_LIST, EE_NAME_CHECK, PKIX_TRUST, ALLOW_UNTRUSTED_CERTIFICATE_HEADER);

    /** The command-line spelling of an option, for messages. */
    public static String cli(String option) {
        return "--spi-dane--default--" + option;
    }

    /**
     * @param option returns an option's value, or null when it is not set
     * @throws IllegalArgumentException naming the offending option
     */
    public static DaneServerConfig parse(Function<String, String> option) {
        DnsSettings dns = DnsSettings.defaults();
        String resolver = value(option, RESOLVER);
        if (resolver != null) {
            try {
                dns = dns.withResolver(DnsSettings.parseResolver(resolver));
            } catch (IllegalArgumentException e) {
                throw invalid(RESOLVER, e.getMessage());
            }
        }
        String anchorsFile = value(option, TRUST_ANCHORS);
        if (anchorsFile != null) {
            try {
                dns = dns.withTrustAnchors(Files.readString(Path.of(anchorsFile), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw invalid(TRUST_ANCHORS, "cannot read " + anchorsFile + ": " + e);
            }
        }
        dns = dns.withTrustAd(bool(option, TRUST_AD, false))
                .withTimeout(Duration.ofMillis(positiveLong(option, TIMEOUT, DnsSettings.DEFAULT_TIMEOUT.toMillis())))
                .withCache(Duration.ofSeconds(nonNegativeLong(option, CACHE_MAX_TTL, DnsSettings.DEFAULT_MAX_TTL.toSeconds())),
                        Duration.ofSeconds(nonNegativeLong(option, CACHE_NEGATIVE_TTL,
                                DnsSettings.DEFAULT_NEGATIVE_TTL.toSeconds())),
                        (int) Math.min(Integer.MAX_VALUE, nonNegativeLong(option, CACHE_SIZE, DnsSettings.DEFAULT_CACHE_SIZE)));

        AllowList allowList = AllowList.any();
        String allow = value(option, ALLOW_LIST);
        if (allow != null) {
            try {
                allowList = AllowList.parse(allow);
            } catch (InvalidNameException e) {
                throw invalid(ALLOW_LIST, e.getMessage());
            }
        }

        MatchPolicy policy = MatchPolicy.defaults().withEeNameCheck(bool(option, EE_NAME_CHECK, false));
        String pkixFile = value(option, PKIX_TRUST);
        if (pkixFile != null) {
            policy = policy.withPkixTrust(readAnchors(pkixFile));
        }
        return new DaneServerConfig(dns, allowList, policy, bool(option, ALLOW_UNTRUSTED_CERTIFICATE_HEADER, false));
    }

    private static Set<TrustAnchor> readAnchors(String file) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            Set<TrustAnchor> anchors = new LinkedHashSet<>();
            for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                anchors.add(new TrustAnchor((X509Certificate) cert, null));
            }
            if (anchors.isEmpty()) {
                throw invalid(PKIX_TRUST, file + " holds no certificate");
            }
            return anchors;
        } catch (IOException | CertificateException e) {
            throw invalid(PKIX_TRUST, "cannot read PEM certificates from " + file + ": " + e.getMessage());
        }
    }

    private static String value(Function<String, String> option, String name) {
        String v = option.apply(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    private static boolean bool(Function<String, String> option, String name, boolean fallback) {
        String v = value(option, name);
        if (v == null) {
            return fallback;
        }
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw invalid(name, "must be true or false, not '" + v + "'");
    }

    private static long positiveLong(Function<String, String> option, String name, long fallback) {
        long v = nonNegativeLong(option, name, fallback);
        if (v == 0) {
            throw invalid(name, "must be greater than 0");
        }
        return v;
    }

    private static long nonNegativeLong(Function<String, String> option, String name, long fallback) {
        String v = value(option, name);
        if (v == null) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(name, "must be a whole number >= 0, not '" + v + "'");
    }

    private static IllegalArgumentException invalid(String option, String why) {
        return new IllegalArgumentException(cli(option) + ": " + why);
    }
}
