package io.github.keycloakdane.dns;

import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIG;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * DNS over TLS (RFC 7858): each query on a TLS connection to one resolver, framed with a two-octet length (RFC 1035
 * §4.2.2), one query at a time per connection; idle connections are kept for reuse (RFC 7858 §3.4) and a reused one
 * that the resolver has closed meanwhile is replaced once. The resolver's certificate is checked by
 * {@link ResolverTrust}; every failure (handshake, certificate, connection, timeout) fails the query, never falls
 * back to another transport.
 */
final class TlsResolver implements Resolver {

    private static final int MAX_IDLE = 4;
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final InetSocketAddress address;
    private final String name;
    private final SSLContext context;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
    /** Blocking socket I/O runs here; lookups are bounded by the lookup limit, connections by the timeout. */
    private final ExecutorService io = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dane-dot-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
    private volatile Duration timeout;
    private volatile OPTRecord opt;

    TlsResolver(InetSocketAddress address, String name, ResolverTrust trust, Duration timeout) {
        this.address = address;
        this.name = name;
        this.context = trust.context();
        this.timeout = timeout;
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query) {
        return sendAsync(query, io);
    }

    @Override
    public CompletionStage<Message> sendAsync(Message query, Executor executor) {
        // the caller's executor may be a common pool: blocking I/O stays on ours
        return CompletableFuture.supplyAsync(() -> {
            try {
                return exchange(query);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, io);
    }

    private Message exchange(Message query) throws IOException {
        Message q = query.clone();
        OPTRecord edns = opt;
        if (edns != null && q.getOPT() == null) {
            q.addRecord(edns, Section.ADDITIONAL);
        }
        byte[] wire = q.toWire(Message.MAXLENGTH);
        Connection reused = idle.pollFirst();
        if (reused != null) {
            try {
                return finish(reused, q, reused.exchange(wire));
            } catch (SocketTimeoutException e) {
                reused.close();
                throw e; // the resolver is slow, not gone: no second wait
            } catch (IOException e) {
                // most likely closed by the resolver while idle (RFC 7766 §6.2.3): one fresh connection
                reused.close();
            }
        }
        Connection fresh = connect();
        try {
            return finish(fresh, q, fresh.exchange(wire));
        } catch (IOException | RuntimeException e) {
            fresh.close();
            throw e;
        }
    }

    private Message finish(Connection c, Message query, byte[] answer) throws IOException {
        Message response = new Message(answer);
        if (response.getHeader().getID() != query.getHeader().getID()
                || query.getQuestion() != null && !query.getQuestion().equals(response.getQuestion())) {
            c.close();
            throw new IOException("the answer from " + address + " does not match the query");
        }
        if (idle.size() < MAX_IDLE) {
            idle.addFirst(c);
        } else {
            c.close();
        }
        return response;
    }

    private Connection connect() throws IOException {
        int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Socket plain = new Socket();
        try {
            plain.connect(address, millis);
            plain.setSoTimeout(millis);
            plain.setTcpNoDelay(true);
            SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, name, address.getPort(), true);
            SSLParameters parameters = tls.getSSLParameters();
            parameters.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            if (!ResolverTrust.isAddress(name)) {
                parameters.setServerNames(List.of(new SNIHostName(name)));
            }
            tls.setSSLParameters(parameters);
            try {
                tls.startHandshake();
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (IOException e) {
                throw new IOException("TLS with " + address + " (" + name + ") failed: " + rootMessage(e), e);
            }
            return new Connection(tls);
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /** One TLS connection: writes a framed query, reads one framed answer. */
    private static final class Connection {
        private final SSLSocket socket;
        private final DataInputStream in;
        private final OutputStream out;

        Connection(SSLSocket socket) throws IOException {
            this.socket = socket;
            this.in = new DataInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        byte[] exchange(byte[] query) throws IOException {
            byte[] framed = new byte[query.length + 2];
            framed[0] = (byte) (query.length >>> 8);
            framed[1] = (byte) query.length;
            System.arraycopy(query, 0, framed, 2, query.length);
            out.write(framed);
            out.flush();
            int length;
            try {
                length = in.readUnsignedShort();
            } catch (EOFException e) {
                throw new IOException("the resolver closed the connection", e);
            }
            byte[] answer = new byte[length];
            in.readFully(answer);
            return answer;
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    @Override
    public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
        opt = version < 0 ? null : new OPTRecord(payloadSize == 0 ? 1232 : payloadSize, 0, version, flags, options);
    }

    @Override
    public void setTimeout(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public Duration getTimeout() {
        return timeout;
    }

    /** The port is the configured address's. */
    @Override
    public void setPort(int port) {
        throw new UnsupportedOperationException("the port of a TLS channel is fixed by its address");
    }

    /** Always a stream: nothing to switch. */
    @Override
    public void setTCP(boolean flag) {
    }

    /** A stream answer is never truncated. */
    @Override
    public void setIgnoreTruncation(boolean flag) {
    }

    @Override
    public void setTSIGKey(TSIG key) {
        throw new UnsupportedOperationException("TSIG over the TLS channel is not supported");
    }

    @Override
    public String toString() {
        return "TlsResolver[" + address + ", " + name + "]";
    }
}
