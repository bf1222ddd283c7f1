package io.github.keycloakdane.it;

import org.xbill.DNS.Message;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A UDP DNS proxy on 127.0.0.1 in front of a real server that silently drops the queries a predicate selects
 * (e.g. every DNSKEY query): a resolver that answers some questions and loses others. Queries that do not parse as
 * DNS are dropped too. TCP is not proxied (connections to the proxy port are refused).
 */
public final class DroppingUdpProxy implements AutoCloseable {

    private final DatagramSocket socket;
    private final InetSocketAddress upstream;
    private final Predicate<Message> drop;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dropping-udp-proxy");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger forwarded = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();

    public DroppingUdpProxy(InetSocketAddress upstream, Predicate<Message> drop) throws IOException {
        this.upstream = upstream;
        this.drop = drop;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        workers.execute(this::serve);
    }

    private void serve() {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(packet);
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                continue;
            }
            byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
            SocketAddress client = packet.getSocketAddress();
            Message message;
            try {
                message = new Message(query);
            } catch (IOException e) {
                dropped.incrementAndGet();
                continue;
            }
            if (drop.test(message)) {
                dropped.incrementAndGet();
                continue;
            }
            forwarded.incrementAndGet();
            workers.execute(() -> forward(query, client));
        }
    }

    private void forward(byte[] query, SocketAddress client) {
        try (DatagramSocket out = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            out.setSoTimeout(5000);
            out.send(new DatagramPacket(query, query.length, upstream));
            byte[] buf = new byte[65535];
            DatagramPacket answer = new DatagramPacket(buf, buf.length);
            out.receive(answer);
            socket.send(new DatagramPacket(answer.getData(), answer.getLength(), client));
        } catch (SocketTimeoutException e) {
            // upstream silent: so is the proxy
        } catch (IOException e) {
            // proxy closed or upstream gone
        }
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }

    public int forwarded() {
        return forwarded.get();
    }

    public int dropped() {
        return dropped.get();
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        workers.shutdownNow();
        workers.awaitTermination(2, TimeUnit.SECONDS);
    }
}
