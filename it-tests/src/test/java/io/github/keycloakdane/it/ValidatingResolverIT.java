package io.github.keycloakdane.it;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;
import io.github.keycloakdane.dns.DnsSettings;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.dns.ResolverChannel;
import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.Unbound;
import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DnsTlsaSource} asking a real validating resolver, Debian's Unbound (stub zones to Knot, the test zones'
 * trust anchors), instead of Knot: in both DNSSEC modes (local validation through Unbound, and Unbound's AD bit
 * believed) and over both channels (UDP, and DNS over TLS to Unbound's DoT listener with the certificate checked).
 * Then the TLS channel's refusals: wrong CA, name or pin, and no fallback to plain DNS. No Keycloak.
 */
class ValidatingResolverIT {

    static final String ZONE = "example.test";
    static final String UNSIGNED = "unsigned.test";
    /** Signed by Knot, but anchored (in Unbound and locally) to a key Knot never used: every answer is bogus. */
    static final String BOGUS = "bogus.test";
    /** TTL of the rotated records: Unbound's cache keeps the old answer at most this long. */
    static final long ROTATION_TTL = 2;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();
    static final byte[] DEVICE = random(32);

    static KnotDns knot;
    static Unbound unbound;
    static String anchors;

    /** How the source reaches Unbound and who validates. */
    enum Mode {
        LOCAL_UDP(false, false), LOCAL_TLS(false, true), TRUST_AD_UDP(true, false), TRUST_AD_TLS(true, true);

        final boolean trustAd;
        final boolean tls;

        Mode(boolean trustAd, boolean tls) {
            this.trustAd = trustAd;
            this.tls = tls;
        }

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    @BeforeAll
    static void start() throws IOException {
        StringBuilder signed = new StringBuilder("device1._device TLSA 3 1 1 " + hex(DEVICE) + "\n");
        for (Mode mode : Mode.values()) {
            signed.append("rot-").append(mode.label()).append("._device ").append(ROTATION_TTL).append(" TLSA 3 1 1 ")
                    .append(hex(random(32))).append('\n');
        }
        Path dir = Path.of("target", "knot", ValidatingResolverIT.class.getSimpleName());
        knot = KnotDns.builder(dir)
                .signedZone(ZONE, signed.toString())
                .unsignedZone(UNSIGNED, "device1._device TLSA 3 1 1 " + hex(random(32)) + "\n")
                .signedZone(BOGUS, "device1._device TLSA 3 1 1 " + hex(random(32)) + "\n")
                .start();
        anchors = knot.trustAnchor(ZONE) + KnotDns.unrelatedTrustAnchor(BOGUS);
        unbound = Unbound.builder(Path.of("target", "unbound", ValidatingResolverIT.class.getSimpleName()))
                .stub(ZONE, knot.address()).stub(UNSIGNED, knot.address()).stub(BOGUS, knot.address())
                .trustAnchors(anchors)
                .start();
    }

    @AfterAll
    static void stop() {
        if (unbound != null) {
            unbound.close();
        }
        if (knot != null) {
            knot.close();
        }
    }

    // ----------------------------------------------------------------------- the four cases, in every mode

    @ParameterizedTest
    @EnumSource(Mode.class)
    @DisplayName("a signed TLSA RRset through Unbound -> SECURE; over TLS the query reaches Unbound's DoT listener")
    void secure(Mode mode) throws IOException {
        long tlsBefore = unbound.stat("num.query.tls");

        TlsaLookup lookup = source(mode).lookup(name("device1._device." + ZONE));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).containsExactly(record(DEVICE));
        long tlsQueries = unbound.stat("num.query.tls") - tlsBefore;
        if (mode.tls) {
            assertThat(tlsQueries).isPositive();
        } else {
            assertThat(tlsQueries).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    @DisplayName("an unsigned zone (no trust anchor above it) through Unbound -> INSECURE")
    void insecure(Mode mode) {
        TlsaLookup lookup = source(mode).lookup(name("device1._device." + UNSIGNED));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.INSECURE);
        assertThat(lookup.records()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    @DisplayName("a zone whose anchor is not its key -> BOGUS locally, Unbound's SERVFAIL with trust-ad; never SECURE")
    void bogus(Mode mode) {
        TlsaLookup lookup = source(mode).lookup(name("device1._device." + BOGUS));

        assertThat(lookup.status()).as(lookup.detail())
                .isEqualTo(mode.trustAd ? DnssecStatus.SERVFAIL : DnssecStatus.BOGUS);
        assertThat(lookup.records()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Mode.class)
    @DisplayName("a rotated record: Unbound serves the new key within the TTL, every answer in between is old or new")
    void rotation(Mode mode) throws IOException {
        String owner = "rot-" + mode.label() + "._device";
        DaneName name = name(owner + "." + ZONE);
        DnsTlsaSource source = source(mode);
        TlsaLookup before = source.lookup(name);
        assertThat(before.status()).as(before.detail()).isEqualTo(DnssecStatus.SECURE);
        TlsaRecord old = before.records().get(0);
        byte[] fresh = random(32);

        knot.replace(ZONE, owner + " " + ROTATION_TTL + " TLSA 3 1 1 " + hex(fresh));
        long changed = System.nanoTime();
        TlsaLookup now;
        do {
            sleep(200);
            now = source.lookup(name);
            assertThat(now.status()).as(now.detail()).isEqualTo(DnssecStatus.SECURE);
            assertThat(now.records()).hasSize(1).first().isIn(old, record(fresh));
        } while (now.records().get(0).equals(old)
                && System.nanoTime() - changed < Duration.ofSeconds(ROTATION_TTL + 8).toNanos());

        assertThat(now.records()).containsExactly(record(fresh));
        // TTL plus one lookup, with room for a busy machine
        assertThat(Duration.ofNanos(System.nanoTime() - changed)).isLessThan(Duration.ofSeconds(ROTATION_TTL + 4));
    }

    // ----------------------------------------------------------------------- the TLS channel's checks

    @Test
    @DisplayName("DoT with the resolver's key pinned alone (no CA, no name) -> SECURE")
    void pinAlone() {
        TlsaLookup lookup = trustAdOver(unbound.tlsAddress(),
                ResolverChannel.tls(null, List.of(), ResolverChannel.parsePins(unbound.pin())));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
    }

    @Test
    @DisplayName("DoT checked against the CA and the resolver's address as name (iPAddress), plus the pin -> SECURE")
    void caAddressAndPin() {
        TlsaLookup lookup = trustAdOver(unbound.tlsAddress(),
                ResolverChannel.tls(null, List.of(unbound.caCertificate()), ResolverChannel.parsePins(unbound.pin())));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
    }

    @Test
    @DisplayName("DoT: a certificate from another CA, another name, another pin, or the JVM's trust store -> refused,"
            + " nothing asked")
    void untrustedResolverRefused() throws IOException {
        X509Certificate otherCa = TestPki.ca("another CA").build().cert();
        byte[] otherPin = random(32);
        long queriesBefore = unbound.stat("total.num.queries");

        assertRefused(ResolverChannel.tls(Unbound.TLS_NAME, List.of(otherCa), List.of()), "is not trusted");
        assertRefused(ResolverChannel.tls("other.dane.test", List.of(unbound.caCertificate()), List.of()),
                "does not name other.dane.test");
        assertRefused(ResolverChannel.tls(Unbound.TLS_NAME, List.of(), List.of(otherPin)), "matches no pin");
        assertRefused(ResolverChannel.tls(Unbound.TLS_NAME, List.of(unbound.caCertificate()), List.of(otherPin)),
                "matches no pin");
        assertRefused(ResolverChannel.tls(Unbound.TLS_NAME, List.of(), List.of()), "is not trusted");

        assertThat(unbound.stat("total.num.queries")).isEqualTo(queriesBefore);
    }

    @Test
    @DisplayName("DoT to a port that speaks plain DNS only -> a failed lookup, and no query over UDP instead")
    void noFallbackToUdp() throws IOException {
        long queriesBefore = unbound.stat("total.num.queries");
        DnsTlsaSource source = new DnsTlsaSource(settings(unbound.address(), true)
                .withTimeout(Duration.ofMillis(1500)), ResolverChannel.tls(Unbound.TLS_NAME,
                List.of(unbound.caCertificate()), List.of()));

        TlsaLookup lookup = source.lookup(name("device1._device." + ZONE));

        assertThat(lookup.status()).as(lookup.detail()).isIn(DnssecStatus.NETWORK_ERROR, DnssecStatus.TIMEOUT);
        assertThat(unbound.stat("total.num.queries")).isEqualTo(queriesBefore);
        // the same port over UDP answers: only a fallback could have made the lookup above succeed
        TlsaLookup plain = new DnsTlsaSource(settings(unbound.address(), true)).lookup(name("device1._device." + ZONE));
        assertThat(plain.status()).as(plain.detail()).isEqualTo(DnssecStatus.SECURE);
    }

    private static void assertRefused(ResolverChannel channel, String why) {
        TlsaLookup lookup = trustAdOver(unbound.tlsAddress(), channel);
        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.NETWORK_ERROR);
        assertThat(lookup.detail()).contains(why);
    }

    private static TlsaLookup trustAdOver(InetSocketAddress address, ResolverChannel channel) {
        return new DnsTlsaSource(settings(address, true), channel).lookup(name("device1._device." + ZONE));
    }

    // ----------------------------------------------------------------------- helpers

    /** A source for the mode, without its own cache (every lookup asks Unbound). */
    private static DnsTlsaSource source(Mode mode) {
        ResolverChannel channel = mode.tls
                ? ResolverChannel.tls(Unbound.TLS_NAME, List.of(unbound.caCertificate()), List.of())
                : ResolverChannel.udp();
        return new DnsTlsaSource(settings(mode.tls ? unbound.tlsAddress() : unbound.address(), mode.trustAd), channel);
    }

    private static DnsSettings settings(InetSocketAddress resolver, boolean trustAd) {
        DnsSettings settings = DnsSettings.defaults().withResolver(resolver).withTrustAd(trustAd)
                .withCache(Duration.ZERO, Duration.ZERO, 0);
        return trustAd ? settings : settings.withTrustAnchors(anchors);
    }

    private static DaneName name(String text) {
        try {
            return DaneName.parse(text);
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static TlsaRecord record(byte[] sha256) {
        try {
            return TlsaRecord.of(3, 1, 1, sha256);
        } catch (UnusableRecordException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static byte[] random(int length) {
        byte[] b = new byte[length];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
