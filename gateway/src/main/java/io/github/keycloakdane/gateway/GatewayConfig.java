package io.github.keycloakdane.gateway;

import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.settings.ServerSettings;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.util.PrivateKeyFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The gateway's configuration, parsed and checked at start so that a bad value stops it with the option's name. */
public record GatewayConfig(InetSocketAddress listen, URI upstream, List<X509Certificate> chain,
                            AsymmetricKeyParameter key, String identityHeader, String certificateHeader, int codepoint,
                            List<String> unauthenticatedPaths, int maxHandshakes, Duration handshakeTimeout,
                            ServerSettings dane) {

    private static final Pattern PKCS8 = Pattern.compile(
            "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END PRIVATE KEY-----");

    /** {@code --KEY=VALUE} or {@code --KEY VALUE}; a boolean DANE option may stand alone (true). */
    public static GatewayConfig parse(String... args) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            ServerOption dane = daneOption(name);
            if (!GatewayOption.flags().contains(name) && dane == null) {
                throw new IllegalArgumentException("unknown option " + name);
            }
            if (value == null) {
                boolean bare = dane != null && dane.type == ServerOption.Type.BOOLEAN
                        && (i + 1 >= args.length || args[i + 1].startsWith("--"));
                if (bare) {
                    value = "true";
                } else if (i + 1 < args.length) {
                    value = args[++i];
                } else {
                    throw new IllegalArgumentException(name + " needs a value");
                }
            }
            values.put(name, value);
        }
        return of(values);
    }

    private static ServerOption daneOption(String flag) {
        return GatewayOption.DANE_OPTIONS.stream().filter(o -> o.cliFlag().equals(flag)).findFirst().orElse(null);
    }

    static GatewayConfig of(Map<String, String> values) {
        ServerSettings dane = ServerSettings.parse(o -> GatewayOption.DANE_OPTIONS.contains(o)
                ? values.get(o.cliFlag()) : null, ServerOption::cliFlag);
        String listen = value(values, GatewayOption.LISTEN);
        int colon = listen.lastIndexOf(':');
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw invalid(GatewayOption.LISTEN, "'" + listen + "' is not HOST:PORT");
        }
        URI upstream;
        try {
            upstream = URI.create(required(values, GatewayOption.UPSTREAM).replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw invalid(GatewayOption.UPSTREAM, e.getMessage());
        }
        if (!"http".equals(upstream.getScheme()) && !"https".equals(upstream.getScheme())) {
            throw invalid(GatewayOption.UPSTREAM, "must be an http or https URL");
        }
        List<X509Certificate> chain;
        String certFile = required(values, GatewayOption.CERT);
        try {
            chain = CertificateParser.parsePem(Files.readString(Path.of(certFile), StandardCharsets.US_ASCII));
        } catch (Exception e) {
            throw invalid(GatewayOption.CERT, "cannot read " + certFile + ": " + e.getMessage());
        }
        if (chain.isEmpty()) {
            throw invalid(GatewayOption.CERT, certFile + " holds no certificate");
        }
        String keyFile = required(values, GatewayOption.KEY);
        AsymmetricKeyParameter key;
        try {
            Matcher m = PKCS8.matcher(Files.readString(Path.of(keyFile), StandardCharsets.US_ASCII));
            if (!m.find()) {
                throw new IOException("no PKCS#8 'BEGIN PRIVATE KEY' block");
            }
            key = PrivateKeyFactory.createKey(Base64.getMimeDecoder().decode(m.group(1)));
        } catch (IOException | RuntimeException e) {
            throw invalid(GatewayOption.KEY, "cannot read " + keyFile + ": " + e.getMessage());
        }
        String identityHeader = header(values, GatewayOption.IDENTITY_HEADER);
        String certificateHeader = header(values, GatewayOption.CERTIFICATE_HEADER);
        int codepoint = number(values, GatewayOption.CODEPOINT);
        if (codepoint > 65535) {
            throw invalid(GatewayOption.CODEPOINT, "must be at most 65535");
        }
        List<String> paths = new ArrayList<>();
        String joined = values.get(GatewayOption.UNAUTHENTICATED_PATHS.flag());
        if (joined != null) {
            for (String p : joined.split(",")) {
                String prefix = p.strip();
                if (prefix.isEmpty()) {
                    continue;
                }
                if (!prefix.startsWith("/") || prefix.contains("..") || prefix.contains("%")) {
                    throw invalid(GatewayOption.UNAUTHENTICATED_PATHS, "'" + prefix + "' is not a plain path prefix");
                }
                paths.add(prefix);
            }
        }
        int maxHandshakes = number(values, GatewayOption.MAX_HANDSHAKES);
        int timeout = number(values, GatewayOption.HANDSHAKE_TIMEOUT);
        if (maxHandshakes == 0 || timeout == 0) {
            throw invalid(maxHandshakes == 0 ? GatewayOption.MAX_HANDSHAKES : GatewayOption.HANDSHAKE_TIMEOUT,
                    "must be at least 1");
        }
        if (timeout <= dane.dns().timeout().toMillis()) {
            throw invalid(GatewayOption.HANDSHAKE_TIMEOUT, "must be longer than --timeout ("
                    + dane.dns().timeout().toMillis() + " ms): the DANE lookup is part of the handshake");
        }
        return new GatewayConfig(address, upstream, List.copyOf(chain), key, identityHeader, certificateHeader,
                codepoint, List.copyOf(paths), maxHandshakes, Duration.ofMillis(timeout), dane);
    }

    /** Whether a request for {@code path} may pass without an authenticated name. */
    public boolean unauthenticatedAllowed(String path) {
        // no dot segments, escapes or empty segments that the upstream might resolve out of the prefix
        if (path.contains("..") || path.contains("%") || path.contains("//") || path.contains("\\")) {
            return false;
        }
        return unauthenticatedPaths.stream().anyMatch(path::startsWith);
    }

    private static String value(Map<String, String> values, GatewayOption o) {
        String v = values.get(o.flag());
        return v == null || v.isBlank() ? o.defaultValue : v.strip();
    }

    private static String required(Map<String, String> values, GatewayOption o) {
        String v = value(values, o);
        if (v == null) {
            throw invalid(o, "is required");
        }
        return v;
    }

    private static String header(Map<String, String> values, GatewayOption o) {
        String v = value(values, o);
        if (!ServerSettings.isHeaderName(v)) {
            throw invalid(o, "'" + v + "' is not a header name");
        }
        return v;
    }

    private static int number(Map<String, String> values, GatewayOption o) {
        String v = value(values, o);
        try {
            int n = Integer.parseInt(v);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw invalid(o, "must be a whole number >= 0, not '" + v + "'");
    }

    private static IllegalArgumentException invalid(GatewayOption o, String why) {
        return new IllegalArgumentException(o.flag() + ": " + why);
    }
}
