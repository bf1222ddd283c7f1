package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;
import io.github.keycloakdane.dns.DnsSettings;
import io.github.keycloakdane.dns.DnsTlsaSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link DnsTlsaSource} against a real Knot DNS that signs {@value #ZONE} itself (ECDSA P-256, NSEC) and serves
 * {@value #UNSIGNED} unsigned, plus a UDP server that never answers. Every TLSA association data is random per run.
 */
class DnsTlsaSourceIT {

    static final String ZONE = "example.test";
    static final String UNSIGNED = "unsigned.test";
    static final String OTHER = "other.test";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    // what the zones publish
    static final byte[] DEVICE1_SHA256 = random(32);
    static final byte[] DEVICE1_SHA512 = random(64);
    static final byte[] WILDCARD_CA_SHA256 = random(32);
    static final byte[] UNSIGNED_SHA256 = random(32);
    static final byte[] OTHER_SHA256 = random(32);
    static final byte[] MIXED_GOOD_SHA256 = random(32);
    static final byte[] MIXED_GOOD_SHA512 = random(64);
    static final List<byte[]> BIG = new ArrayList<>();
    static final int BIG_COUNT = 30;

    static KnotDns knot;

    @BeforeAll
    static void startKnot() throws IOException {
        for (int i = 0; i < BIG_COUNT; i++) {
            BIG.add(random(64));
        }
        StringBuilder signed = new StringBuilder()
                .append("device1._device    TLSA 3 1 1 ").append(hex(DEVICE1_SHA256)).append('\n')
                .append("device1._device    TLSA 3 1 2 ").append(hex(DEVICE1_SHA512)).append('\n')
                .append("*._device          TLSA 2 0 1 ").append(hex(WILDCARD_CA_SHA256)).append('\n')
                .append("printer._device    A    192.0.2.7\n")
                .append("alias._device      CNAME device1._device\n")
                .append("outside._device    CNAME device1._device.unsigned.test.\n")
                .append("partner._device    CNAME device7._device.other.test.\n")
                // one good record of each digest, then one record for each way a record can be unusable
                .append("mixed._device      TLSA 3 1 1 ").append(hex(MIXED_GOOD_SHA256)).append('\n')
                .append("mixed._device      TLSA 3 1 2 ").append(hex(MIXED_GOOD_SHA512)).append('\n')
                .append("mixed._device      TLSA 4 1 1 ").append(hex(random(32))).append('\n')
                .append("mixed._device      TLSA 3 2 1 ").append(hex(random(32))).append('\n')
                .append("mixed._device      TLSA 3 1 9 ").append(hex(random(32))).append('\n')
                .append("mixed._device      TLSA 3 1 1 ").append(hex(random(31))).append('\n');
        for (byte[] data : BIG) {
            signed.append("big._device 30 TLSA 3 1 2 ").append(hex(data)).append('\n');
        }
        // in-zone CNAME chains that Knot answers whole: 8 links (the most allowed) and 9
        for (int i = 0; i < 8; i++) {
            signed.append("eight").append(i).append("._device CNAME eight").append(i + 1).append("._device\n");
        }
        signed.append("eight8._device TLSA 3 1 1 ").append(hex(DEVICE1_SHA256)).append('\n');
        for (int i = 0; i < 9; i++) {
            signed.append("nine").append(i).append("._device CNAME nine").append(i + 1).append("._device\n");
        }
        signed.append("nine9._device TLSA 3 1 1 ").append(hex(DEVICE1_SHA256)).append('\n');
        String unsigned = "device1._device TLSA 3 1 1 " + hex(UNSIGNED_SHA256) + "\n";
        knot = KnotDns.builder(Path.of("target", "knot", DnsTlsaSourceIT.class.getSimpleName()))
                .signedZone(ZONE, signed.toString())
                .unsignedZone(UNSIGNED, unsigned)
                .signedZone(OTHER, "device7._device TLSA 3 1 1 " + hex(OTHER_SHA256) + "\n")
                .start();
    }

    @AfterAll
    static void stopKnot() {
        if (knot != null) {
            knot.close();
        }
    }

    // ------------------------------------------------------------------------------------------------ secure

    @Test
    @DisplayName("signed TLSA RRset, KSK DNSKEY as anchor -> SECURE with the published records")
    void secureRrset() {
        TlsaLookup lookup = source().lookup(name("device1._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).containsExactlyInAnyOrder(
                record(3, 1, 1, DEVICE1_SHA256), record(3, 1, 2, DEVICE1_SHA512));
        assertThat(lookup.unusable()).isEmpty();
        assertThat(lookup.ttlSeconds()).isBetween(1L, KnotDns.MAX_TTL);
        assertThat(knot.trustAnchor()).startsWith("example.test. IN DNSKEY 257 3 13 ");
    }

    @Test
    @DisplayName("the same zone with the KSK given as a DS anchor -> SECURE")
    void secureWithDsAnchor() {
        DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(knot.address())
                .withTrustAnchors(knot.dsTrustAnchor(ZONE)));

        TlsaLookup lookup = source.lookup(name("device1._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).hasSize(2);
    }

    @Test
    @DisplayName("*._device wildcard, query sensor9._device -> SECURE via the wildcard proof")
    void wildcard() throws IOException {
        // Knot really synthesises the answer from the wildcard: the RRSIG has fewer labels than the owner name
        Message raw = knot.query("sensor9._device.example.test", Type.TLSA);
        RRSIGRecord sig = (RRSIGRecord) raw.getSection(Section.ANSWER).stream()
                .filter(r -> r.getType() == Type.RRSIG).findFirst().orElseThrow();
        assertThat(sig.getLabels()).isEqualTo(3);
        assertThat(raw.getSection(Section.AUTHORITY)).anyMatch(r -> r.getType() == Type.NSEC);

        TlsaLookup lookup = source().lookup(name("sensor9._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).containsExactly(record(2, 0, 1, WILDCARD_CA_SHA256));
    }

    @Test
    @DisplayName("CNAME inside the signed zone to a name with TLSA -> SECURE, chain followed")
    void cnameInsideSignedZone() {
        TlsaLookup lookup = source().lookup(name("alias._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).containsExactlyInAnyOrder(
                record(3, 1, 1, DEVICE1_SHA256), record(3, 1, 2, DEVICE1_SHA512));
        assertThat(lookup.detail()).contains("via CNAME").contains("device1._device.example.test.");
    }

    @Test
    @DisplayName("a validated CNAME chain of 8 links -> SECURE; of 9 -> SERVFAIL naming the chain, not NODATA")
    void cnameChainLength() {
        TlsaLookup eight = source().lookup(name("eight0._device.example.test"));
        TlsaLookup nine = source().lookup(name("nine0._device.example.test"));

        assertThat(eight.status()).as(eight.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(eight.records()).containsExactly(record(3, 1, 1, DEVICE1_SHA256));
        assertThat(nine.status()).as(nine.detail()).isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(nine.detail()).contains("CNAME chain longer than 8 links");
    }

    @Test
    @DisplayName("CNAME into another signed zone (anchors for both) -> SECURE, each link validated")
    void cnameIntoOtherSignedZone() throws IOException {
        // Knot is authoritative only: it answers the CNAME and leaves the other zone's target unanswered
        Message raw = knot.query("partner._device.example.test", Type.TLSA);
        assertThat(raw.getSection(Section.ANSWER)).noneMatch(r -> r.getType() == Type.TLSA);
        assertThat(raw.getSection(Section.AUTHORITY)).isEmpty();

        TlsaLookup lookup = source().lookup(name("partner._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).containsExactly(record(3, 1, 1, OTHER_SHA256));

        // with the anchor of example.test only, the other zone's link cannot be secure
        DnsTlsaSource oneAnchor = new DnsTlsaSource(DnsSettings.defaults().withResolver(knot.address())
                .withTrustAnchors(knot.trustAnchor(ZONE)));
        assertThat(oneAnchor.lookup(name("partner._device.example.test")).status()).isEqualTo(DnssecStatus.INSECURE);
    }

    @Test
    @DisplayName("an RRset too large for UDP (30 x 3 1 2) -> TCP fallback, SECURE with all records")
    void largeRrsetOverTcp() throws IOException {
        Message udp = knot.queryUdpOnly("big._device.example.test", Type.TLSA);
        assertThat(udp.getHeader().getFlag(Flags.TC)).as("UDP answer truncated").isTrue();
        Message tcp = knot.queryTcp("big._device.example.test", Type.TLSA);
        assertThat(tcp.toWire().length).isGreaterThan(1232);

        long tcpBefore = knot.stat("mod-stats.request-protocol[tcp4]");
        TlsaLookup lookup = source().lookup(name("big._device.example.test"));
        long tcpAfter = knot.stat("mod-stats.request-protocol[tcp4]");

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).hasSize(BIG_COUNT)
                .containsExactlyInAnyOrderElementsOf(BIG.stream().map(d -> record(3, 1, 2, d)).toList());
        assertThat(lookup.ttlSeconds()).isBetween(1L, 30L);
        assertThat(tcpAfter).as("TCP queries Knot counted during the lookup").isGreaterThan(tcpBefore);
    }

    @Test
    @DisplayName("unknown usage/selector/matching type and a bad digest length beside good records")
    void unusableRecordsSetAside() {
        TlsaLookup lookup = source().lookup(name("mixed._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).containsExactlyInAnyOrder(
                record(3, 1, 1, MIXED_GOOD_SHA256), record(3, 1, 2, MIXED_GOOD_SHA512));
        assertThat(lookup.unusable()).hasSize(4);
        assertThat(lookup.unusable()).anyMatch(s -> s.startsWith("4 1 1") && s.contains("usage"));
        assertThat(lookup.unusable()).anyMatch(s -> s.startsWith("3 2 1") && s.contains("selector"));
        assertThat(lookup.unusable()).anyMatch(s -> s.startsWith("3 1 9") && s.contains("matching type"));
        assertThat(lookup.unusable()).anyMatch(s -> s.startsWith("3 1 1") && s.contains("32"));
    }

    // ------------------------------------------------------------------------------------------------ not secure

    @Test
    @DisplayName("unsigned zone -> INSECURE, no records")
    void unsignedZone() {
        TlsaLookup lookup = source().lookup(name("device1._device.unsigned.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.INSECURE);
        assertThat(lookup.records()).isEmpty();
    }

    @Test
    @DisplayName("trust anchor that is not the zone's key -> BOGUS with the validator's reason")
    void wrongAnchorIsBogus() throws IOException {
        DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(knot.address())
                .withTrustAnchors(KnotDns.unrelatedTrustAnchor(ZONE)));

        TlsaLookup lookup = source.lookup(name("device1._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.BOGUS);
        assertThat(lookup.records()).isEmpty();
        assertThat(lookup.detail())
                .startsWith("DNSSEC validation of device1._device.example.test. failed: ")
                .containsIgnoringCase("chain of trust")
                .contains("example.test.");
        // Knot itself answers normally: the failure is the validator's
        assertThat(knot.query("device1._device.example.test", Type.TLSA).getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    @DisplayName("name exists without TLSA -> NODATA; name missing -> NXDOMAIN; both secure denials")
    void secureDenials() {
        DnsTlsaSource source = source();

        TlsaLookup nodata = source.lookup(name("printer._device.example.test"));
        TlsaLookup nxdomain = source.lookup(name("nobody._client.example.test"));

        assertThat(nodata.status()).as(nodata.detail()).isEqualTo(DnssecStatus.NODATA);
        assertThat(nodata.records()).isEmpty();
        assertThat(nodata.detail()).contains("secure denial");
        assertThat(nxdomain.status()).as(nxdomain.detail()).isEqualTo(DnssecStatus.NXDOMAIN);
        assertThat(nxdomain.records()).isEmpty();
        assertThat(nxdomain.detail()).contains("secure denial");
    }

    @Test
    @DisplayName("CNAME from the signed zone into the unsigned zone -> INSECURE")
    void cnameIntoUnsignedZone() {
        TlsaLookup lookup = source().lookup(name("outside._device.example.test"));

        // the CNAME itself is signed under the example.test anchor, so INSECURE can only come from the unsigned link
        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.INSECURE);
        assertThat(lookup.records()).isEmpty();
        assertThat(lookup.detail()).contains("outside._device.example.test.").contains("not DNSSEC-secure");
    }

    @Test
    @DisplayName("trust-AD mode against Knot (authoritative: no AD) -> INSECURE, fails closed")
    void trustAdWithoutUpstreamAd() throws IOException {
        // Knot does not set AD, even when asked to (RFC 6840 §5.7): it is not a validating resolver
        Message raw = knot.query("device1._device.example.test", Type.TLSA);
        assertThat(raw.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(raw.getSection(Section.ANSWER)).anyMatch(r -> r.getType() == Type.TLSA);
        assertThat(raw.getHeader().getFlag(Flags.AD)).isFalse();

        DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(knot.address())
                .withTrustAnchors(knot.trustAnchor()).withTrustAd(true));
        TlsaLookup lookup = source.lookup(name("device1._device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.INSECURE);
        assertThat(lookup.records()).isEmpty();
    }

    @Test
    @DisplayName("resolver that never answers -> TIMEOUT within the configured bound")
    void silentResolverTimesOut() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        try (SilentUdpServer silent = new SilentUdpServer()) {
            for (boolean trustAd : new boolean[] {false, true}) {
                DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(silent.address())
                        .withTrustAnchors(knot.trustAnchor()).withTrustAd(trustAd).withTimeout(timeout));
                int before = silent.received();

                long start = System.nanoTime();
                TlsaLookup lookup = source.lookup(name("device1._device.example.test"));
                Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

                assertThat(lookup.status()).as("trustAd=" + trustAd + ": " + lookup.detail())
                        .isEqualTo(DnssecStatus.TIMEOUT);
                assertThat(lookup.records()).isEmpty();
                assertThat(elapsed).as("trustAd=" + trustAd)
                        .isLessThan(timeout.plusMillis(1500))
                        .isGreaterThanOrEqualTo(timeout.minusMillis(100));
                assertThat(silent.received()).as("the query reached the silent server").isGreaterThan(before);
            }
        }
    }

    @Test
    @DisplayName("the validated DNSKEY set is cached across lookups: the second name of a zone costs one TLSA query")
    void validatedKeysAreCachedAcrossLookups() throws Exception {
        try (FaultyDns proxy = new FaultyDns(knot.address(), Duration.ZERO, 1)) {
            AtomicInteger keyQueries = new AtomicInteger();
            proxy.dropWhen(m -> {
                if (m.getQuestion().getType() == Type.DNSKEY || m.getQuestion().getType() == Type.DS) {
                    keyQueries.incrementAndGet();
                }
                return false; // counts, never drops
            });
            DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(proxy.address())
                    .withTrustAnchors(knot.trustAnchor()));

            TlsaLookup first = source.lookup(name("device1._device.example.test"));
            int afterFirst = keyQueries.get();
            TlsaLookup second = source.lookup(name("mixed._device.example.test"));
            TlsaLookup third = source.lookup(name("eight8._device.example.test"));

            assertThat(first.status()).as(first.detail()).isEqualTo(DnssecStatus.SECURE);
            assertThat(second.status()).as(second.detail()).isEqualTo(DnssecStatus.SECURE);
            assertThat(third.status()).as(third.detail()).isEqualTo(DnssecStatus.SECURE);
            assertThat(afterFirst).as("the first lookup fetched the zone's DNSKEY set").isPositive();
            assertThat(keyQueries.get()).as("later names of the zone reuse the validated keys").isEqualTo(afterFirst);
            assertThat(proxy.queries("mixed._device.example.test")).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("resolver answers the TLSA query but loses the validator's DNSKEY queries -> TIMEOUT within the bound")
    void validationQueriesLostTimesOut() throws Exception {
        Duration timeout = Duration.ofSeconds(1);
        try (FaultyDns proxy = new FaultyDns(knot.address(), Duration.ZERO, 1)) {
            proxy.dropWhen(m -> m.getQuestion().getType() == Type.DNSKEY);
            DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(proxy.address())
                    .withTrustAnchors(knot.trustAnchor()).withTimeout(timeout));

            long start = System.nanoTime();
            TlsaLookup lookup = source.lookup(name("device1._device.example.test"));
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

            assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.TIMEOUT);
            assertThat(lookup.records()).isEmpty();
            assertThat(elapsed).isLessThan(timeout.plusMillis(1500));
            assertThat(proxy.queries("device1._device.example.test")).as("the TLSA query went through")
                    .isGreaterThanOrEqualTo(1);
            assertThat(proxy.droppedByPredicate()).as("a DNSKEY query was lost").isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    @DisplayName("a zone Knot does not serve (REFUSED) -> SERVFAIL status, not secure")
    void refusedIsNotSecure() throws IOException {
        assertThat(knot.query("device1._device.nowhere.test", Type.TLSA).getRcode()).isEqualTo(Rcode.REFUSED);

        TlsaLookup lookup = source().lookup(name("device1._device.nowhere.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(lookup.records()).isEmpty();
        assertThat(lookup.detail()).contains("REFUSED");
    }

    // ------------------------------------------------------------------------------------------------ cache

    @Test
    @DisplayName("positive cache: old answer until min(TTL, maxTtl), then the replaced record")
    void positiveCacheExpires() throws Exception {
        Duration maxTtl = Duration.ofMillis(1500);
        DnsTlsaSource cached = new DnsTlsaSource(settings().withCache(maxTtl, Duration.ofMillis(1500), 100));
        DaneName rotate = name("rotate._device.example.test");
        byte[] oldData = random(32);
        byte[] newData = random(32);
        knot.replace(ZONE, "rotate._device 60 TLSA 3 1 1 " + hex(oldData));

        TlsaLookup first = cached.lookup(rotate);
        long stored = System.nanoTime();
        assertThat(first.status()).as(first.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(first.records()).containsExactly(record(3, 1, 1, oldData));
        assertThat(first.ttlSeconds()).isEqualTo(60);

        knot.replace(ZONE, "rotate._device 60 TLSA 3 1 1 " + hex(newData));
        TlsaLookup uncached = source().lookup(rotate);
        assertThat(uncached.records()).as("Knot serves the new record at once").containsExactly(record(3, 1, 1, newData));

        TlsaLookup second = cached.lookup(rotate);
        assertThat(Duration.ofNanos(System.nanoTime() - stored)).as("still within maxTtl").isLessThan(maxTtl);
        assertThat(second.records()).as("cached").containsExactly(record(3, 1, 1, oldData));

        sleepUntil(stored, maxTtl.plusMillis(100));
        TlsaLookup third = cached.lookup(rotate);
        assertThat(third.status()).as(third.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(third.records()).as("maxTtl expired").containsExactly(record(3, 1, 1, newData));

        // removal: the name is gone, so the *._device wildcard answers again
        knot.delete(ZONE, "rotate._device", Type.TLSA);
        assertThat(source().lookup(rotate).records()).containsExactly(record(2, 0, 1, WILDCARD_CA_SHA256));
    }

    @Test
    @DisplayName("negative cache: NXDOMAIN kept for negativeTtl although the record has been added meanwhile")
    void negativeCacheExpires() throws Exception {
        Duration negativeTtl = Duration.ofMillis(1500);
        DnsTlsaSource cached = new DnsTlsaSource(settings().withCache(Duration.ofMinutes(5), negativeTtl, 100));
        DaneName late = name("late._client.example.test");
        byte[] data = random(32);

        TlsaLookup first = cached.lookup(late);
        long stored = System.nanoTime();
        assertThat(first.status()).as(first.detail()).isEqualTo(DnssecStatus.NXDOMAIN);

        knot.add(ZONE, "late._client 60 TLSA 3 1 1 " + hex(data));
        TlsaLookup uncached = source().lookup(late);
        assertThat(uncached.status()).as(uncached.detail()).isEqualTo(DnssecStatus.SECURE);

        TlsaLookup second = cached.lookup(late);
        assertThat(Duration.ofNanos(System.nanoTime() - stored)).as("still within negativeTtl").isLessThan(negativeTtl);
        assertThat(second.status()).as("cached failure").isEqualTo(DnssecStatus.NXDOMAIN);

        sleepUntil(stored, negativeTtl.plusMillis(100));
        TlsaLookup third = cached.lookup(late);
        assertThat(third.status()).as(third.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(third.records()).containsExactly(record(3, 1, 1, data));

        knot.delete(ZONE, "late._client", Type.ANY);
        assertThat(source().lookup(late).status()).isEqualTo(DnssecStatus.NXDOMAIN);
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static DnsSettings settings() {
        return DnsSettings.defaults().withResolver(knot.address()).withTrustAnchors(knot.trustAnchor());
    }

    /** A source with the default settings and its own cache. */
    private static DnsTlsaSource source() {
        return new DnsTlsaSource(settings());
    }

    private static DaneName name(String name) {
        try {
            return DaneName.parse(name);
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static TlsaRecord record(int usage, int selector, int matchingType, byte[] data) {
        try {
            return TlsaRecord.of(usage, selector, matchingType, data);
        } catch (UnusableRecordException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static byte[] random(int length) {
        byte[] b = new byte[length];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String hex(byte[] data) {
        return HEX.formatHex(data);
    }

    private static void sleepUntil(long startNanos, Duration after) throws InterruptedException {
        long remaining = startNanos + after.toNanos() - System.nanoTime();
        if (remaining > 0) {
            Thread.sleep(remaining / 1_000_000 + 1);
        }
    }
}
