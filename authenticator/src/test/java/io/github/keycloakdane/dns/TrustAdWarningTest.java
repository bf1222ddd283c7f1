package io.github.keycloakdane.dns;

import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * trust-ad's start-up warning: logged for a resolver off loopback reached over UDP, not over DNS over TLS (the
 * channel authenticates the resolver) nor on loopback. Nothing is sent: the sources are only built.
 */
class TrustAdWarningTest {

    /** TEST-NET-1 (RFC 5737): not loopback, and never asked here. */
    private static final InetSocketAddress REMOTE = new InetSocketAddress("192.0.2.53", 853);

    private final Logger logger = Logger.getLogger(DnsTlsaSource.class.getName());
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        logger.addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        logger.removeHandler(handler);
    }

    private List<String> warnings() {
        return records.stream().filter(r -> r.getLevel() == Level.WARNING).map(LogRecord::getMessage).toList();
    }

    @Test
    void trustAdOverUdpToARemoteResolverWarns() {
        new DnsTlsaSource(DnsSettings.defaults().withResolver(REMOTE).withTrustAd(true), ResolverChannel.udp());

        assertThat(warnings()).singleElement().asString().contains("which is not on loopback",
                "resolver-transport=tls");
    }

    @Test
    void trustAdOverTlsToARemoteResolverDoesNotWarn() {
        ResolverChannel tls = ResolverChannel.tls("dns.example.net",
                List.of(TestPki.ca("resolver CA").build().cert()), List.of());

        DnsTlsaSource source = new DnsTlsaSource(DnsSettings.defaults().withResolver(REMOTE).withTrustAd(true), tls);

        assertThat(warnings()).isEmpty();
        assertThat(source.channel().secure()).isTrue();
    }

    @Test
    void trustAdOnLoopbackDoesNotWarn() {
        new DnsTlsaSource(DnsSettings.defaults().withResolver(new InetSocketAddress("127.0.0.1", 53))
                .withTrustAd(true), ResolverChannel.udp());

        assertThat(warnings()).isEmpty();
    }
}
