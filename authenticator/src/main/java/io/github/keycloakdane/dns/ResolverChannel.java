package io.github.keycloakdane.dns;

import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * How queries travel to the resolver: plain UDP (TCP when an answer is truncated), or DNS over TLS (RFC 7858) with
 * the resolver's certificate checked against configured CA certificates (or the JVM's trust store) and a name, and/or
 * its key pinned. A TLS channel that fails is a failed query: there is no fallback to UDP.
 *
 * @param transport how queries travel
 * @param tlsName   TLS only: the name the resolver's certificate must carry (a dNSName, or an iPAddress for an
 *                  address literal), also sent as SNI when it is a host name; null: the resolver's address
 * @param tlsCa     TLS only: the CA certificates the resolver's chain must lead to; empty: the JVM's trust store,
 *                  unless pins are given, in which case only the pins are checked
 * @param tlsPins   TLS only: SHA-256 digests of accepted SubjectPublicKeyInfo of the resolver's own (leaf)
 *                  certificate; empty: no pin
 */
public record ResolverChannel(Transport transport, String tlsName, List<X509Certificate> tlsCa,
                              List<byte[]> tlsPins) {

    /** The default port of DNS over TLS (RFC 7858 §3.1). */
    public static final int TLS_PORT = 853;

    /** How queries travel; the lower-case name is the option's value. */
    public enum Transport {
        UDP, TLS;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Transport parse(String value) {
            for (Transport t : values()) {
                if (t.value().equalsIgnoreCase(value.strip())) {
                    return t;
                }
            }
            throw new IllegalArgumentException("must be udp or tls, not '" + value + "'");
        }
    }

    public ResolverChannel {
        if (transport == null) {
            throw new IllegalArgumentException("no transport");
        }
        tlsCa = tlsCa == null ? List.of() : List.copyOf(tlsCa);
        tlsPins = tlsPins == null ? List.of() : tlsPins.stream().map(byte[]::clone).toList();
        for (byte[] pin : tlsPins) {
            if (pin.length != 32) {
                throw new IllegalArgumentException("a pin is a SHA-256 digest (32 bytes), not " + pin.length
                        + " bytes");
            }
        }
        if (transport == Transport.UDP && (tlsName != null || !tlsCa.isEmpty() || !tlsPins.isEmpty())) {
            throw new IllegalArgumentException("TLS settings without the TLS transport");
        }
    }

    /** Plain UDP, the default. */
    public static ResolverChannel udp() {
        return new ResolverChannel(Transport.UDP, null, List.of(), List.of());
    }

    /** DNS over TLS; see the record's parameters. */
    public static ResolverChannel tls(String name, List<X509Certificate> ca, List<byte[]> pins) {
        return new ResolverChannel(Transport.TLS, name, ca, pins);
    }

    /**
     * Whether the channel is authenticated and encrypted, so that the resolver's AD bit may be believed also when the
     * resolver is not on loopback.
     */
    public boolean secure() {
        return transport == Transport.TLS;
    }

    /** The port a resolver address without one gets. */
    public int defaultPort() {
        return transport == Transport.TLS ? TLS_PORT : 53;
    }

    /** A resolver sending every query to {@code address} over this channel, each exchange within {@code timeout}. */
    Resolver open(InetSocketAddress address, Duration timeout) {
        if (transport == Transport.TLS) {
            String name = tlsName != null ? tlsName : address.getAddress().getHostAddress();
            return new TlsResolver(address, name, ResolverTrust.of(name, tlsCa, tlsPins), timeout);
        }
        SimpleResolver simple = new SimpleResolver(address);
        simple.setTimeout(timeout);
        return simple;
    }

    /** What the start-up log says about the channel. */
    public String describe() {
        if (transport == Transport.UDP) {
            return "over UDP";
        }
        List<String> checks = new ArrayList<>();
        if (!tlsCa.isEmpty() || tlsPins.isEmpty()) {
            checks.add("certificate checked against " + (tlsCa.isEmpty() ? "the JVM's trust store"
                    : tlsCa.size() + " configured CA certificate(s)") + " and the name "
                    + (tlsName != null ? tlsName : "of the resolver's address"));
        }
        if (!tlsPins.isEmpty()) {
            checks.add("key pinned (" + tlsPins.size() + " pin(s))");
        }
        return "over TLS (RFC 7858), " + String.join(", ", checks);
    }

    /**
     * Parses comma-separated pins, each the Base64 of a SHA-256 digest of a SubjectPublicKeyInfo (as
     * {@code openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64}
     * prints it; {@code sha256/} before it, as in RFC 7469 pins, is accepted too).
     */
    public static List<byte[]> parsePins(String text) {
        List<byte[]> pins = new ArrayList<>();
        for (String part : text.split(",")) {
            String pin = part.strip();
            if (pin.regionMatches(true, 0, "sha256/", 0, 7)) {
                pin = pin.substring(7);
            }
            if (pin.isEmpty()) {
                continue;
            }
            byte[] digest;
            try {
                digest = Base64.getDecoder().decode(pin);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + part.strip() + "' is not Base64");
            }
            if (digest.length != 32) {
                throw new IllegalArgumentException("'" + part.strip()
                        + "' is not a SHA-256 digest (32 bytes in Base64)");
            }
            pins.add(digest);
        }
        if (pins.isEmpty()) {
            throw new IllegalArgumentException("no pin given");
        }
        return pins;
    }
}
