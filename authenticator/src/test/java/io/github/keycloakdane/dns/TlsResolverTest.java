package io.github.keycloakdane.dns;

import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The DNS-over-TLS client against an in-process TLS server on loopback that answers every query with one A record. */
class TlsResolverTest {

    private final TestPki.Issued ca = TestPki.ca("resolver CA").build();
    private final TestPki.Issued server = TestPki.tlsServer(ca, "dns.test", "127.0.0.1");
    private final AtomicInteger connections = new AtomicInteger();
    private final List<Message> received = new CopyOnWriteArrayList<>();
    private volatile boolean closeAfterAnswer;
    private volatile boolean wrongId;
    private SSLServerSocket listener;

    @AfterEach
    void stop() throws IOException {
        if (listener != null) {
            listener.close();
        }
    }

    private InetSocketAddress serve() throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", server.keyPair().getPrivate(), new char[0],
                new Certificate[] {server.cert(), ca.cert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        listener = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 10,
                InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    connections.incrementAndGet();
                    Thread t = new Thread(() -> answer(s));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());
    }

    private void answer(Socket s) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream());
             DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            while (true) {
                byte[] query = new byte[in.readUnsignedShort()];
                in.readFully(query);
                Message q = new Message(query);
                received.add(q);
                Message r = new Message(wrongId ? (q.getHeader().getID() + 1) & 0xffff : q.getHeader().getID());
                r.getHeader().setFlag(Flags.QR);
                r.addRecord(q.getQuestion(), Section.QUESTION);
                r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 60,
                        InetAddress.getByName("192.0.2.1")), Section.ANSWER);
                byte[] wire = r.toWire();
                out.writeShort(wire.length);
                out.write(wire);
                out.flush();
                if (closeAfterAnswer) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private TlsResolver resolver(InetSocketAddress address, String name, List<java.security.cert.X509Certificate> cas) {
        return new TlsResolver(address, name, ResolverTrust.of(name, cas, List.of()), Duration.ofSeconds(5));
    }

    private static Message query(String name) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
    }

    private static Message send(TlsResolver resolver, Message query) throws Exception {
        return resolver.sendAsync(query).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void queriesAreAnsweredOverOneReusedConnectionWithTheEdnsTheCallerSet() throws Exception {
        TlsResolver resolver = resolver(serve(), "dns.test", List.of(ca.cert()));
        resolver.setEDNS(0, 1232, ExtendedFlags.DO, List.of());

        Message first = send(resolver, query("a.example."));
        Message second = send(resolver, query("b.example."));

        assertThat(first.getSection(Section.ANSWER)).hasSize(1);
        assertThat(second.getQuestion().getName()).isEqualTo(Name.fromString("b.example."));
        assertThat(connections.get()).isEqualTo(1);
        assertThat(received).hasSize(2);
        assertThat(received.get(0).getOPT()).isNotNull();
        assertThat(received.get(0).getOPT().getFlags() & ExtendedFlags.DO).isNotZero();
    }

    @Test
    void aConnectionTheResolverClosedWhileIdleIsReplacedOnce() throws Exception {
        closeAfterAnswer = true;
        TlsResolver resolver = resolver(serve(), "dns.test", List.of(ca.cert()));

        send(resolver, query("a.example."));
        Thread.sleep(100); // let the server's close arrive (not a timing assertion: either way one retry follows)
        Message second = send(resolver, query("b.example."));

        assertThat(second.getSection(Section.ANSWER)).hasSize(1);
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void anAnswerWithAnotherIdIsRefused() throws Exception {
        wrongId = true;
        TlsResolver resolver = resolver(serve(), "dns.test", List.of(ca.cert()));

        assertThatThrownBy(() -> send(resolver, query("a.example."))).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(IOException.class).rootCause().hasMessageContaining("does not match the query");
    }

    @Test
    void anUntrustedServerGetsNoQuery() throws Exception {
        InetSocketAddress address = serve();
        TlsResolver otherCa = resolver(address, "dns.test", List.of(TestPki.ca("other").build().cert()));
        TlsResolver otherName = resolver(address, "other.test", List.of(ca.cert()));

        assertThatThrownBy(() -> send(otherCa, query("a.example."))).hasMessageContaining("is not trusted");
        assertThatThrownBy(() -> send(otherName, query("a.example."))).hasMessageContaining("does not name other.test");
        assertThat(received).isEmpty();
    }
}
