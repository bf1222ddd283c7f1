package io.github.keycloakdane.dns;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DnssecStatus;
import io.github.keycloakdane.core.TlsaLookup;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TSIG;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one CNAME mechanism ({@link CnameChasingResolver}, read by {@link DnsTlsaSource}) on every branch, in trust-AD
 * mode against an in-process upstream that answers like an authoritative server per name (and sets AD where the
 * test says the answer is secure). {@code DnsTlsaSourceIT} runs the validating mode against Knot.
 */
class CnameChainTest {

    private static final byte[] DIGEST = new byte[32];

    /** Answers from a table: name → (records, rcode, AD, denial in the authority section). */
    private static final class Upstream implements Resolver {
        private record Answer(List<org.xbill.DNS.Record> records, int rcode, boolean secure, boolean denial) {
        }

        final Map<Name, Answer> answers = new HashMap<>();
        final List<Name> asked = new ArrayList<>();

        Upstream answer(String name, boolean secure, org.xbill.DNS.Record... records) {
            answers.put(n(name), new Answer(List.of(records), Rcode.NOERROR, secure, false));
            return this;
        }

        Upstream deny(String name, int rcode, boolean secure) {
            answers.put(n(name), new Answer(List.of(), rcode, secure, true));
            return this;
        }

        Upstream fail(String name, int rcode) {
            answers.put(n(name), new Answer(List.of(), rcode, false, false));
            return this;
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query) {
            Name qname = query.getQuestion().getName();
            asked.add(qname);
            Answer a = answers.getOrDefault(qname, new Answer(List.of(), Rcode.NXDOMAIN, false, false));
            Message response = new Message(query.getHeader().getID());
            response.getHeader().setFlag(Flags.QR);
            response.getHeader().setRcode(a.rcode);
            response.addRecord(query.getQuestion(), Section.QUESTION);
            if (a.secure) {
                response.getHeader().setFlag(Flags.AD);
            }
            a.records.forEach(r -> response.addRecord(r, Section.ANSWER));
            if (a.denial) {
                response.addRecord(new SOARecord(n("example.test"), DClass.IN, 60, n("ns.example.test"),
                        n("hostmaster.example.test"), 1, 60, 60, 60, 60), Section.AUTHORITY);
            }
            return CompletableFuture.completedFuture(response);
        }

        // @formatter:off
        @Override public void setPort(int port) { }
        @Override public void setTCP(boolean flag) { }
        @Override public void setIgnoreTruncation(boolean flag) { }
        @Override public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) { }
        @Override public void setTSIGKey(TSIG key) { }
        @Override public void setTimeout(Duration timeout) { }
        // @formatter:on
    }

    private static Name n(String name) {
        return Name.fromConstantString(name.endsWith(".") ? name : name + ".");
    }

    private static CNAMERecord cname(String from, String to, long ttl) {
        return new CNAMERecord(n(from), DClass.IN, ttl, n(to));
    }

    private static TLSARecord tlsa(String owner, long ttl) {
        return new TLSARecord(n(owner), DClass.IN, ttl, 3, 1, 1, DIGEST);
    }

    private static TlsaLookup lookup(Upstream upstream, String name) throws Exception {
        DnsSettings settings = DnsSettings.defaults().withResolver(new InetSocketAddress("127.0.0.1", 53))
                .withTrustAd(true).withCache(Duration.ZERO, Duration.ZERO, 0);
        return new DnsTlsaSource(settings, upstream, Clock.systemUTC()).lookup(DaneName.parse(name));
    }

    /** a0 → a1 → ... → a{links}, the last holding a TLSA record; each link answered on its own (other zones). */
    private static Upstream chainAcrossZones(int links) {
        Upstream up = new Upstream();
        for (int i = 0; i < links; i++) {
            up.answer("a" + i + ".z" + i + ".test", true, cname("a" + i + ".z" + i + ".test",
                    "a" + (i + 1) + ".z" + (i + 1) + ".test", 300));
        }
        return up.answer("a" + links + ".z" + links + ".test", true, tlsa("a" + links + ".z" + links + ".test", 300));
    }

    @Test
    void aChainAcrossZonesIsChasedAndItsShortestTtlKept() throws Exception {
        Upstream up = new Upstream()
                .answer("device.example.test", true, cname("device.example.test", "device.other.test", 30))
                .answer("device.other.test", true, tlsa("device.other.test", 600));

        TlsaLookup lookup = lookup(up, "device.example.test");

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup.records()).hasSize(1);
        assertThat(lookup.ttlSeconds()).isEqualTo(30);
        assertThat(lookup.detail()).contains("via CNAME [device.other.test.]");
        assertThat(up.asked).containsExactly(n("device.example.test"), n("device.other.test"));
    }

    @Test
    void aChainOfEightLinksIsFineAndOfNineIsAChainErrorNotNodata() throws Exception {
        assertThat(lookup(chainAcrossZones(8), "a0.z0.test").status()).isEqualTo(DnssecStatus.SECURE);

        TlsaLookup nine = lookup(chainAcrossZones(9), "a0.z0.test");

        assertThat(nine.status()).as(nine.detail()).isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(nine.detail()).contains("CNAME chain longer than 8 links");
    }

    @Test
    void aTooLongChainInOneAnswerIsAChainErrorToo() throws Exception {
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            records.add(cname("c" + i + ".example.test", "c" + (i + 1) + ".example.test", 60));
        }
        records.add(tlsa("c9.example.test", 60));
        Upstream up = new Upstream().answer("c0.example.test", true, records.toArray(org.xbill.DNS.Record[]::new));

        TlsaLookup lookup = lookup(up, "c0.example.test");

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(lookup.detail()).contains("CNAME chain longer than 8 links");
        assertThat(up.asked).hasSize(1);
    }

    @Test
    void aLoopIsAChainError() throws Exception {
        Upstream up = new Upstream()
                .answer("loop.example.test", true, cname("loop.example.test", "back.other.test", 60))
                .answer("back.other.test", true, cname("back.other.test", "loop.example.test", 60));

        assertThat(lookup(up, "loop.example.test").detail()).contains("CNAME chain longer than 8 links");
    }

    @Test
    void oneInsecureLinkMakesTheWholeChainInsecure() throws Exception {
        Upstream up = new Upstream()
                .answer("device.example.test", true, cname("device.example.test", "device.unsigned.test", 60))
                .answer("device.unsigned.test", false, tlsa("device.unsigned.test", 60));

        TlsaLookup lookup = lookup(up, "device.example.test");

        assertThat(lookup.status()).isEqualTo(DnssecStatus.INSECURE);
        assertThat(lookup.detail()).contains("via CNAME [device.unsigned.test.]");
    }

    @Test
    void theEndOfAChainIsDeniedAsNodataOrNxdomain() throws Exception {
        Upstream nodata = new Upstream()
                .answer("a.example.test", true, cname("a.example.test", "b.other.test", 60))
                .deny("b.other.test", Rcode.NOERROR, true);
        Upstream nxdomain = new Upstream()
                .answer("a.example.test", true, cname("a.example.test", "b.other.test", 60))
                .deny("b.other.test", Rcode.NXDOMAIN, true);

        TlsaLookup noRecords = lookup(nodata, "a.example.test");
        TlsaLookup noName = lookup(nxdomain, "a.example.test");

        assertThat(noRecords.status()).isEqualTo(DnssecStatus.NODATA);
        assertThat(noRecords.detail()).startsWith("b.other.test. has no TLSA records");
        assertThat(noName.status()).isEqualTo(DnssecStatus.NXDOMAIN);
        assertThat(noName.detail()).startsWith("b.other.test. does not exist");
    }

    @Test
    void anEmptyAnswerWithoutProofEndsTheChaseAsNodata() throws Exception {
        Upstream up = new Upstream()
                .answer("a.example.test", true, cname("a.example.test", "b.other.test", 60))
                .answer("b.other.test", true);

        TlsaLookup lookup = lookup(up, "a.example.test");

        assertThat(lookup.status()).isEqualTo(DnssecStatus.NODATA);
        assertThat(up.asked).hasSize(2);
    }

    @Test
    void aTargetThatFailsFailsTheLookup() throws Exception {
        Upstream up = new Upstream()
                .answer("a.example.test", true, cname("a.example.test", "b.other.test", 60))
                .fail("b.other.test", Rcode.REFUSED);

        TlsaLookup lookup = lookup(up, "a.example.test");

        assertThat(lookup.status()).isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(lookup.detail()).startsWith("REFUSED for a.example.test.");
    }

    @Test
    void aDirectAnswerAndErrorsNeedNoChase() throws Exception {
        Upstream up = new Upstream().answer("d.example.test", true, tlsa("d.example.test", 60))
                .fail("s.example.test", Rcode.SERVFAIL).fail("r.example.test", Rcode.REFUSED);

        assertThat(lookup(up, "d.example.test").status()).isEqualTo(DnssecStatus.SECURE);
        assertThat(lookup(up, "s.example.test").status()).isEqualTo(DnssecStatus.SERVFAIL);
        assertThat(lookup(up, "r.example.test").detail()).startsWith("REFUSED");
        assertThat(up.asked).hasSize(3);
    }

    @Test
    void anUpstreamServfailIsAResolverFailureNotABogusAnswerInTheValidatingModeToo() throws Exception {
        Upstream up = new Upstream().fail("device.example.test", Rcode.SERVFAIL);
        DnsSettings settings = DnsSettings.defaults().withResolver(new InetSocketAddress("127.0.0.1", 53))
                .withTrustAnchors(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n")
                .withCache(Duration.ZERO, Duration.ZERO, 0);

        TlsaLookup lookup = new DnsTlsaSource(settings, up, Clock.systemUTC()).lookup(DaneName.parse(
                "device.example.test"));

        assertThat(lookup.status()).as(lookup.detail()).isEqualTo(DnssecStatus.SERVFAIL);
    }
}
