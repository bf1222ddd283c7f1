package io.github.keycloakdane.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A "DNS server" on 127.0.0.1 that reads every UDP datagram and never answers: a resolver that is reachable but
 * does not respond (dropped packets, overloaded upstream). Counts what it receives, so a test can tell the query did
 * arrive.
 */
public final class SilentUdpServer implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread reader;
    private final AtomicInteger received = new AtomicInteger();

    public SilentUdpServer() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        reader = new Thread(this::drain, "silent-udp-" + socket.getLocalPort());
        reader.setDaemon(true);
        reader.start();
    }

    private void drain() {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            try {
                socket.receive(new DatagramPacket(buf, buf.length));
                received.incrementAndGet();
            } catch (SocketException e) {
                return; // closed
            } catch (IOException e) {
                // ignore and keep draining
            }
        }
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
    }

    /** How many datagrams arrived (and were ignored). */
    public int received() {
        return received.get();
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        reader.join(2000);
    }
}
