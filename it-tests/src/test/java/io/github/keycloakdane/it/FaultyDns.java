package io.github.keycloakdane.it;

import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A DNS fixture on 127.0.0.1 (UDP and TCP, one port) between a resolver and a real server (Knot), that breaks the
 * answers for chosen query names the ways DNS breaks in the field. Everything it does not break it forwards byte for
 * byte, so validation runs against Knot's real signatures.
 */
public final class FaultyDns implements AutoCloseable {

    /** What happens to a query for a name. */
    public enum Fault {
        /** Forwarded unchanged. */
        NONE,
        /** No answer at all. */
        DROP,
        /** The real answer, {@link #delay} late (set it past the lookup timeout). */
        DELAY,
        /** The real answer, as late as {@link #slow(String, Duration)} said for the name (e.g. within the timeout). */
        SLOW,
        /** SERVFAIL from the fixture. */
        SERVFAIL,
        /** REFUSED from the fixture. */
        REFUSED,
        /** The answer without its RRSIG records. */
        STRIP_RRSIGS,
        /** One byte of every RRSIG's signature flipped. */
        CORRUPT_RRSIG,
        /**
         * Every RRSIG's validity window moved into the past (inception 30 days, expiration 1 day ago); the signature
         * bytes stay as Knot made them, so the validator sees an expired signature first.
         */
        EXPIRED_RRSIG,
        /** The answer as an unsigned copy of the zone would give it: no RRSIG, NSEC or NSEC3 records, AD clear. */
        UNSIGNED,
        /** Over UDP an empty answer with TC set; over TCP the real answer (a resolver must retry over TCP). */
        TRUNCATE,
        /** {@link #flapPeriod} queries answered unchanged, then as many with {@link #CORRUPT_RRSIG}, and so on. */
        FLAP
    }

    private final InetSocketAddress upstream;
    private final Duration delay;
    private final int flapPeriod;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<Name, Fault> faults = new ConcurrentHashMap<>();
    private final Map<Name, AtomicInteger> queries = new ConcurrentHashMap<>();
    private final Map<Name, Duration> delays = new ConcurrentHashMap<>();
    private volatile Predicate<Message> dropWhen = m -> false;
    private final AtomicInteger droppedByPredicate = new AtomicInteger();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "faulty-dns");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param delay      how late {@link Fault#DELAY} answers
     * @param flapPeriod how many queries each good and bad phase of {@link Fault#FLAP} lasts
     */
    public FaultyDns(InetSocketAddress upstream, Duration delay, int flapPeriod) throws IOException {
        this.upstream = upstream;
        this.delay = delay;
        this.flapPeriod = flapPeriod;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        this.udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
        ServerSocket server = null;
        for (int i = 0; server == null && i < 20; i++) {
            try {
                server = new ServerSocket(udp.getLocalPort(), 50, loopback);
            } catch (IOException e) {
                // the TCP port next to our UDP port is taken: only a fresh pair helps, which the caller retries
                if (i == 19) {
                    udp.close();
                    throw e;
                }
            }
        }
        this.tcp = server;
        workers.execute(this::serveUdp);
        workers.execute(this::serveTcp);
    }

    /** Breaks (or, with {@link Fault#NONE}, heals) the answers for {@code name}, every type. */
    public void set(String name, Fault fault) {
        Name n = name(name);
        faults.put(n, fault);
        queries.computeIfAbsent(n, k -> new AtomicInteger()).set(0);
    }

    /** Answers the queries for {@code name} (every type) correctly, {@code delay} late ({@link Fault#SLOW}). */
    public void slow(String name, Duration delay) {
        delays.put(name(name), delay);
        set(name, Fault.SLOW);
    }

    /** Also drops every query the predicate selects (e.g. every DNSKEY query), whatever its name. */
    public void dropWhen(Predicate<Message> predicate) {
        this.dropWhen = predicate;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.getLocalPort());
    }

    /** Queries for {@code name} (any type, either transport) since its fault was last set. */
    public int queries(String name) {
        AtomicInteger n = queries.get(name(name));
        return n == null ? 0 : n.get();
    }

    /** Queries dropped by {@link #dropWhen}. */
    public int droppedByPredicate() {
        return droppedByPredicate.get();
    }

    // ------------------------------------------------------------------------------------------------ transports

    private void serveUdp() {
        while (!udp.isClosed()) {
            DatagramPacket packet = new DatagramPacket(new byte[65535], 65535);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                continue; // closed (the loop ends) or one bad packet
            }
            byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
            SocketAddress client = packet.getSocketAddress();
            workers.execute(() -> {
                byte[] answer = answer(query, false);
                if (answer != null) {
                    try {
                        udp.send(new DatagramPacket(answer, answer.length, client));
                    } catch (IOException e) {
                        // closed
                    }
                }
            });
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try {
                Socket connection = tcp.accept();
                workers.execute(() -> serveTcp(connection));
            } catch (IOException e) {
                // closed (the loop ends)
            }
        }
    }

    private void serveTcp(Socket connection) {
        try (connection) {
            DataInputStream in = new DataInputStream(connection.getInputStream());
            DataOutputStream out = new DataOutputStream(connection.getOutputStream());
            while (true) {
                byte[] query = new byte[in.readUnsignedShort()];
                in.readFully(query);
                byte[] answer = answer(query, true);
                if (answer == null) {
                    return; // dropped: the client times out on an open connection, as with a black hole
                }
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            }
        } catch (EOFException e) {
            // the client is done
        } catch (IOException e) {
            // closed
        }
    }

    // ------------------------------------------------------------------------------------------------ faults

    /** The answer to send, or null for none. */
    private byte[] answer(byte[] queryBytes, boolean overTcp) {
        Message query;
        try {
            query = new Message(queryBytes);
        } catch (IOException e) {
            return null;
        }
        if (query.getQuestion() == null) {
            return null;
        }
        if (dropWhen.test(query)) {
            droppedByPredicate.incrementAndGet();
            return null;
        }
        Name qname = query.getQuestion().getName();
        Fault fault = faults.getOrDefault(qname, Fault.NONE);
        int count = queries.computeIfAbsent(qname, k -> new AtomicInteger()).incrementAndGet();
        if (fault == Fault.FLAP) {
            fault = ((count - 1) / flapPeriod) % 2 == 0 ? Fault.NONE : Fault.CORRUPT_RRSIG;
        }
        try {
            switch (fault) {
                case DROP:
                    return null;
                case SERVFAIL:
                    return error(query, Rcode.SERVFAIL);
                case REFUSED:
                    return error(query, Rcode.REFUSED);
                case TRUNCATE:
                    if (!overTcp) {
                        Message tc = errorMessage(query, Rcode.NOERROR);
                        tc.getHeader().setFlag(Flags.TC);
                        return tc.toWire();
                    }
                    return forward(queryBytes, true);
                case DELAY:
                    Thread.sleep(delay.toMillis());
                    return forward(queryBytes, overTcp);
                case SLOW:
                    Thread.sleep(delays.getOrDefault(qname, Duration.ZERO).toMillis());
                    return forward(queryBytes, overTcp);
                case NONE:
                    return forward(queryBytes, overTcp);
                default:
                    byte[] real = forward(queryBytes, overTcp);
                    return real == null ? null : rewrite(new Message(real), fault).toWire();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static byte[] error(Message query, int rcode) {
        return errorMessage(query, rcode).toWire();
    }

    private static Message errorMessage(Message query, int rcode) {
        Message m = new Message(query.getHeader().getID());
        m.getHeader().setFlag(Flags.QR);
        if (query.getHeader().getFlag(Flags.RD)) {
            m.getHeader().setFlag(Flags.RD);
        }
        m.getHeader().setRcode(rcode);
        m.addRecord(query.getQuestion(), Section.QUESTION);
        return m;
    }

    private static Message rewrite(Message m, Fault fault) {
        m.getHeader().unsetFlag(Flags.AD);
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            List<Record> records = m.getSection(section);
            m.removeAllRecords(section);
            for (Record r : records) {
                Record changed = rewrite(r, fault);
                if (changed != null) {
                    m.addRecord(changed, section);
                }
            }
        }
        return m;
    }

    /** The record as the fault changes it, or null when the fault removes it. */
    private static Record rewrite(Record r, Fault fault) {
        boolean dnssec = r.getType() == Type.RRSIG || r.getType() == Type.NSEC || r.getType() == Type.NSEC3;
        if (fault == Fault.UNSIGNED) {
            return dnssec ? null : r;
        }
        if (!(r instanceof RRSIGRecord sig)) {
            return r;
        }
        return switch (fault) {
            case STRIP_RRSIGS -> null;
            case CORRUPT_RRSIG -> {
                byte[] signature = sig.getSignature().clone();
                signature[signature.length / 2] ^= 0x01;
                yield resigned(sig, sig.getTimeSigned(), sig.getExpire(), signature);
            }
            case EXPIRED_RRSIG -> resigned(sig, Instant.now().minus(Duration.ofDays(30)),
                    Instant.now().minus(Duration.ofDays(1)), sig.getSignature());
            default -> r;
        };
    }

    private static RRSIGRecord resigned(RRSIGRecord sig, Instant inception, Instant expiration, byte[] signature) {
        return new RRSIGRecord(sig.getName(), sig.getDClass(), sig.getTTL(), sig.getTypeCovered(), sig.getAlgorithm(),
                sig.getOrigTTL(), expiration, inception, sig.getFootprint(), sig.getSigner(), signature);
    }

    /** Knot's answer to the query, over the client's transport; null when Knot does not answer in time. */
    private byte[] forward(byte[] query, boolean overTcp) {
        if (overTcp) {
            try (Socket s = new Socket()) {
                s.connect(upstream, 2000);
                s.setSoTimeout(5000);
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeShort(query.length);
                out.write(query);
                out.flush();
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] answer = new byte[in.readUnsignedShort()];
                in.readFully(answer);
                return answer;
            } catch (IOException e) {
                return null;
            }
        }
        try (DatagramSocket out = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            out.setSoTimeout(5000);
            out.send(new DatagramPacket(query, query.length, upstream));
            DatagramPacket answer = new DatagramPacket(new byte[65535], 65535);
            out.receive(answer);
            return Arrays.copyOf(answer.getData(), answer.getLength());
        } catch (IOException e) {
            return null;
        }
    }

    private static Name name(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (IOException e) {
            throw new IllegalArgumentException(name, e);
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        udp.close();
        tcp.close();
        workers.shutdownNow();
        workers.awaitTermination(2, TimeUnit.SECONDS);
    }
}
