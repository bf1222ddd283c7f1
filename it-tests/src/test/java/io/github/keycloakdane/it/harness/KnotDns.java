package io.github.keycloakdane.it.harness;

import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Knot DNS authoritative server on 127.0.0.1 for integration tests.
 *
 * <p>Each zone is given as zone-file text at construction: owner names relative to the zone or absolute, TTLs of
 * {@value #MAX_TTL} s or less ({@code $TTL 60} is the default). When the text has no SOA the harness adds
 * {@code @ SOA ns1 hostmaster 1 60 60 600 30}, {@code @ NS ns1} and {@code ns1 A 127.0.0.1} (negative answers are
 * cached for 30 s). Signed zones are signed by Knot itself (automatic DNSSEC, ECDSA P-256 KSK + ZSK, NSEC), unsigned
 * zones are served as they are.
 *
 * <pre>{@code
 * try (KnotDns knot = KnotDns.builder(workDir)
 *         .signedZone("example.test", "device1._device TLSA 3 1 1 ...")
 *         .unsignedZone("unsigned.test", "")
 *         .start()) {
 *     DnsSettings s = DnsSettings.defaults().withResolver(knot.address()).withTrustAnchors(knot.trustAnchor());
 *     knot.replace("example.test", "device1._device 30 TLSA 3 1 1 ...");   // RFC 2136 dynamic update
 * }
 * }</pre>
 *
 * <p>Files, all under the working directory: {@code knot.conf}, {@code zones/}, {@code db/} (keys, journal, timers;
 * wiped at every start), {@code run/} (pid file, control socket), {@code knot.log} (Knot's log) and
 * {@code knotd.out} (its stdout/stderr). Knot 3.2 has no text query log without the dnstap module, so every query is
 * instead counted by {@code mod-stats}; see {@link #stats()} ({@code mod-stats.request-protocol[tcp4]} etc.).
 *
 * <p>{@link #close()} stops knotd; a JVM shutdown hook does so too if a test never gets to close it.
 */
public final class KnotDns implements AutoCloseable {

    /** The largest TTL a zone may use, so that tests never wait long for anything to expire. */
    public static final long MAX_TTL = 60;

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);
    private static final int START_ATTEMPTS = 3;
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** One zone to serve. */
    public record Zone(Name origin, String text, boolean signed) {
    }

    /** Collects the zones, then {@link #start()}s Knot. */
    public static final class Builder {
        private final Path workDir;
        private final Map<Name, Zone> zones = new LinkedHashMap<>();
        private Path binDir;

        private Builder(Path workDir) {
            this.workDir = workDir.toAbsolutePath().normalize();
        }

        /** A zone that Knot signs (automatic DNSSEC: ECDSA P-256, KSK + ZSK, NSEC). */
        public Builder signedZone(String origin, String zoneText) {
            return zone(origin, zoneText, true);
        }

        /** A zone served without DNSSEC. */
        public Builder unsignedZone(String origin, String zoneText) {
            return zone(origin, zoneText, false);
        }

        /** Where knotd, knotc live when not on the PATH (default: PATH, then /usr/sbin, /usr/local/sbin). */
        public Builder binDir(Path dir) {
            this.binDir = dir;
            return this;
        }

        private Builder zone(String origin, String zoneText, boolean signed) {
            Name name = absolute(origin);
            if (zones.containsKey(name)) {
                throw new IllegalArgumentException("zone " + name + " given twice");
            }
            zones.put(name, new Zone(name, zoneText == null ? "" : zoneText, signed));
            return this;
        }

        public KnotDns start() throws IOException {
            if (zones.isEmpty()) {
                throw new IllegalStateException("no zones to serve");
            }
            KnotDns knot = new KnotDns(workDir, List.copyOf(zones.values()), binDir);
            knot.start();
            return knot;
        }
    }

    public static Builder builder(Path workDir) {
        return new Builder(workDir);
    }

    private final Path workDir;
    private final List<Zone> zones;
    private final Path knotd;
    private final Path knotc;
    private final Path conf;
    private final Path runDir;
    private final Path dbDir;
    private final Path zoneDir;
    private final Path logFile;
    private final Path outFile;
    private final Thread shutdownHook = new Thread(this::stopProcess, "knotd-shutdown");
    private volatile Process process;
    private int port;

    private KnotDns(Path workDir, List<Zone> zones, Path binDir) {
        this.workDir = workDir;
        this.zones = zones;
        this.knotd = findBinary("knotd", binDir);
        this.knotc = findBinary("knotc", binDir);
        this.conf = workDir.resolve("knot.conf");
        this.runDir = workDir.resolve("run");
        this.dbDir = workDir.resolve("db");
        this.zoneDir = workDir.resolve("zones");
        this.logFile = workDir.resolve("knot.log");
        this.outFile = workDir.resolve("knotd.out");
        if (runDir.resolve("knot.sock").toString().length() > 100) {
            throw new IllegalArgumentException("working directory path too long for a UNIX socket: " + workDir);
        }
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    private void start() throws IOException {
        Files.createDirectories(workDir);
        killStale();
        ProcessTree.deleteTree(runDir);
        ProcessTree.deleteTree(dbDir);
        Files.createDirectories(runDir);
        Files.createDirectories(dbDir);
        Files.createDirectories(zoneDir);
        for (Zone zone : zones) {
            Files.writeString(zoneDir.resolve(fileName(zone.origin())), zoneFile(zone), StandardCharsets.UTF_8);
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            for (int attempt = 1; ; attempt++) {
                port = freePort();
                Files.writeString(conf, config(), StandardCharsets.UTF_8);
                Files.deleteIfExists(logFile);
                ProcessBuilder pb = new ProcessBuilder(knotd.toString(), "-c", conf.toString())
                        .directory(workDir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(outFile.toFile()));
                process = pb.start();
                try {
                    awaitReady();
                    return;
                } catch (IOException e) {
                    stopProcess();
                    boolean portRace = log().contains("cannot bind") || log().contains("failed to bind");
                    if (!portRace || attempt == START_ATTEMPTS) {
                        throw e;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void awaitReady() throws IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String waitingFor = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("knotd exited with status " + process.exitValue() + "\n" + diagnostics());
            }
            waitingFor = notReady();
            if (waitingFor == null) {
                return;
            }
            ProcessTree.sleep(50);
        }
        throw new IOException("knotd did not serve the zones within " + START_TIMEOUT.toSeconds() + " s (still "
                + waitingFor + ")\n" + diagnostics());
    }

    /** null when every zone is served (and signed ones signed), else what is missing. */
    private String notReady() {
        for (Zone zone : zones) {
            Message soa;
            try {
                soa = query(zone.origin(), Type.SOA, false, Duration.ofMillis(300));
            } catch (IOException e) {
                return "no answer for " + zone.origin() + " SOA: " + e.getMessage();
            }
            if (soa.getRcode() != Rcode.NOERROR || !soa.getHeader().getFlag(Flags.AA)
                    || rrs(soa, Section.ANSWER, Type.SOA).isEmpty()) {
                return zone.origin() + " SOA not served yet (" + Rcode.string(soa.getRcode()) + ")";
            }
            if (!zone.signed()) {
                continue;
            }
            if (rrs(soa, Section.ANSWER, Type.RRSIG).isEmpty()) {
                return zone.origin() + " not signed yet";
            }
            try {
                if (ksks(zone.origin()).isEmpty()) {
                    return zone.origin() + " has no signed KSK yet";
                }
            } catch (UncheckedIOException e) {
                return "no answer for " + zone.origin() + " DNSKEY: " + e.getCause().getMessage();
            }
        }
        return null;
    }

    /** Stops knotd (SIGTERM, then SIGKILL after 5 s). Idempotent. */
    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // the JVM is already shutting down, or the hook was never added
        }
    }

    private synchronized void stopProcess() {
        Process p = process;
        if (p == null) {
            return;
        }
        try {
            p.destroy(); // SIGTERM: knotd shuts down cleanly
            if (!p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Whether knotd is running. */
    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** knotd's process id (for diagnostics). */
    public long pid() {
        Process p = process;
        if (p == null) {
            throw new IllegalStateException("knotd is not running");
        }
        return p.pid();
    }

    /**
     * A knotd left over from an earlier run of this harness in the same directory (the JVM was killed before its
     * shutdown hook ran): stop it, but only if it is a knotd started with this very configuration file.
     */
    private void killStale() {
        Path pidFile = runDir.resolve("knot.pid");
        try {
            if (!Files.isRegularFile(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).ifPresent(h -> {
                String cmd = h.info().commandLine().orElse("");
                if (cmd.contains("knotd") && cmd.contains(conf.toString())) {
                    h.destroy();
                    h.onExit().orTimeout(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).exceptionally(t -> {
                        h.destroyForcibly();
                        return h;
                    }).join();
                }
            });
        } catch (IOException | NumberFormatException e) {
            // nothing usable there
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    public int port() {
        return port;
    }

    /** 127.0.0.1 and {@link #port()}: what to give {@code DnsSettings.withResolver}. */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    public Path workDir() {
        return workDir;
    }

    public Path logFile() {
        return logFile;
    }

    public List<Name> zones() {
        return zones.stream().map(Zone::origin).toList();
    }

    /** Knot's log so far (empty when there is none). */
    public String log() {
        try {
            return Files.isRegularFile(logFile) ? Files.readString(logFile) : "";
        } catch (IOException e) {
            return "";
        }
    }

    // ------------------------------------------------------------------------------------------------ trust anchors

    /**
     * The KSK DNSKEY(s) of every signed zone as trust anchors in zone-file syntax, one a line, e.g.
     * {@code example.test. IN DNSKEY 257 3 13 base64...}.
     */
    public String trustAnchor() {
        List<Zone> signed = zones.stream().filter(Zone::signed).toList();
        if (signed.isEmpty()) {
            throw new IllegalStateException("no signed zone");
        }
        return signed.stream().map(z -> trustAnchor(z.origin().toString())).collect(Collectors.joining());
    }

    /** The KSK DNSKEY(s) of one signed zone as trust anchor lines. */
    public String trustAnchor(String zone) {
        StringBuilder sb = new StringBuilder();
        for (DNSKEYRecord k : ksks(signedZone(zone))) {
            sb.append(k.getName()).append(" IN DNSKEY ").append(k.rdataToString()).append('\n');
        }
        return sb.toString();
    }

    /** The same anchor as a DS record (SHA-256), e.g. {@code example.test. IN DS 12345 13 2 HEX}. */
    public String dsTrustAnchor(String zone) {
        StringBuilder sb = new StringBuilder();
        for (DNSKEYRecord k : ksks(signedZone(zone))) {
            DSRecord ds = new DSRecord(k.getName(), DClass.IN, MAX_TTL, DNSSEC.Digest.SHA256, k);
            sb.append(ds.getName()).append(" IN DS ").append(ds.rdataToString()).append('\n');
        }
        return sb.toString();
    }

    /**
     * A freshly generated ECDSA P-256 KSK for {@code zone} that Knot does not use: a trust anchor under which the
     * zone cannot validate (bogus).
     */
    public static String unrelatedTrustAnchor(String zone) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            DNSKEYRecord key = new DNSKEYRecord(absolute(zone), DClass.IN, MAX_TTL,
                    DNSKEYRecord.Flags.ZONE_KEY | DNSKEYRecord.Flags.SEP_KEY, DNSKEYRecord.Protocol.DNSSEC,
                    DNSSEC.Algorithm.ECDSAP256SHA256, gen.generateKeyPair().getPublic());
            return key.getName() + " IN DNSKEY " + key.rdataToString() + "\n";
        } catch (GeneralSecurityException | DNSSEC.DNSSECException e) {
            throw new IllegalStateException("cannot generate an ECDSA P-256 key", e);
        }
    }

    private List<DNSKEYRecord> ksks(Name zone) {
        Message m;
        try {
            m = query(zone, Type.DNSKEY, false, QUERY_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot query " + zone + " DNSKEY", e);
        }
        boolean signedKeys = rrs(m, Section.ANSWER, Type.RRSIG).stream()
                .anyMatch(r -> ((RRSIGRecord) r).getTypeCovered() == Type.DNSKEY);
        if (!signedKeys) {
            return List.of();
        }
        return rrs(m, Section.ANSWER, Type.DNSKEY).stream()
                .map(r -> (DNSKEYRecord) r)
                .filter(k -> (k.getFlags() & DNSKEYRecord.Flags.SEP_KEY) != 0)
                .toList();
    }

    private Name signedZone(String zone) {
        Name name = absolute(zone);
        for (Zone z : zones) {
            if (z.origin().equals(name)) {
                if (!z.signed()) {
                    throw new IllegalArgumentException(name + " is not signed");
                }
                return name;
            }
        }
        throw new IllegalArgumentException(name + " is not served");
    }

    // ------------------------------------------------------------------------------------------------ updates

    /**
     * Sends one RFC 2136 update for {@code zone} over TCP; {@code edits} fills it (dnsjava {@link Update}: add,
     * delete, replace; prerequisites). Knot re-signs signed zones before it answers.
     *
     * @throws IllegalStateException when Knot refuses the update
     */
    public void update(String zone, Consumer<Update> edits) {
        Name origin = servedZone(zone);
        Update update = new Update(origin);
        edits.accept(update);
        SimpleResolver r = resolver(QUERY_TIMEOUT);
        r.setTCP(true);
        Message response;
        try {
            response = r.send(update);
        } catch (IOException e) {
            throw new UncheckedIOException("update of " + origin + " failed", e);
        }
        if (response.getRcode() != Rcode.NOERROR) {
            throw new IllegalStateException("Knot refused the update of " + origin + ": "
                    + Rcode.string(response.getRcode()) + "\n" + update);
        }
    }

    /** Adds records (zone-file lines, owners relative to {@code zone} or absolute, TTL default 60). */
    public void add(String zone, String... records) {
        List<org.xbill.DNS.Record> parsed = parseRecords(servedZone(zone), String.join("\n", records));
        update(zone, u -> parsed.forEach(u::add));
    }

    /** Replaces the RRset(s) of the given records' owners and types by exactly these records, in one update. */
    public void replace(String zone, String... records) {
        List<org.xbill.DNS.Record> parsed = parseRecords(servedZone(zone), String.join("\n", records));
        Set<Map.Entry<Name, Integer>> rrsets = new LinkedHashSet<>();
        parsed.forEach(r -> rrsets.add(Map.entry(r.getName(), r.getType())));
        update(zone, u -> {
            rrsets.forEach(e -> u.delete(e.getKey(), e.getValue()));
            parsed.forEach(u::add);
        });
    }

    /** Removes the RRset of {@code type} at {@code owner} (relative to {@code zone} or absolute). */
    public void delete(String zone, String owner, int type) {
        Name origin = servedZone(zone);
        Name name = owner(origin, owner);
        update(zone, u -> u.delete(name, type));
    }

    /** Removes every RRset at {@code owner}. */
    public void deleteName(String zone, String owner) {
        Name origin = servedZone(zone);
        Name name = owner(origin, owner);
        update(zone, u -> u.delete(name));
    }

    private Name servedZone(String zone) {
        Name name = absolute(zone);
        if (zones.stream().noneMatch(z -> z.origin().equals(name))) {
            throw new IllegalArgumentException(name + " is not served");
        }
        return name;
    }

    private static Name owner(Name origin, String owner) {
        try {
            return Name.fromString(owner, origin);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad owner name '" + owner + "'", e);
        }
    }

    // ------------------------------------------------------------------------------------------------ queries

    /** A plain query with DO set (no validation), over UDP (TCP on truncation). */
    public Message query(String name, int type) throws IOException {
        return query(absolute(name), type, false, QUERY_TIMEOUT);
    }

    /** A query with DO set over TCP. */
    public Message queryTcp(String name, int type) throws IOException {
        return query(absolute(name), type, true, QUERY_TIMEOUT);
    }

    /** A query with DO set, over UDP only: a truncated answer is returned as it is (TC=1). */
    public Message queryUdpOnly(String name, int type) throws IOException {
        SimpleResolver r = resolver(QUERY_TIMEOUT);
        r.setIgnoreTruncation(true);
        return r.send(Message.newQuery(org.xbill.DNS.Record.newRecord(absolute(name), type, DClass.IN)));
    }

    private Message query(Name name, int type, boolean tcp, Duration timeout) throws IOException {
        SimpleResolver r = resolver(timeout);
        r.setTCP(tcp);
        return r.send(Message.newQuery(org.xbill.DNS.Record.newRecord(name, type, DClass.IN)));
    }

    private SimpleResolver resolver(Duration timeout) {
        SimpleResolver r = new SimpleResolver(address());
        r.setTimeout(timeout);
        r.setEDNS(0, 1232, Flags.DO, List.of());
        return r;
    }

    // ------------------------------------------------------------------------------------------------ knotc

    /** Runs {@code knotc} against this server's control socket; returns its output, throws when it fails. */
    public String knotc(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(knotc.toString(), "-c", conf.toString(), "-t", "5"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("knotc " + String.join(" ", args) + " hangs");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("knotc " + String.join(" ", args) + " failed (" + p.exitValue() + "): " + out);
        }
        return out;
    }

    /**
     * Knot's server and mod-stats counters, e.g. {@code mod-stats.request-protocol[udp4]},
     * {@code mod-stats.request-protocol[tcp4]}, {@code mod-stats.response-code[NXDOMAIN]}. A counter that has not
     * been incremented yet is absent.
     */
    public Map<String, Long> stats() throws IOException {
        Map<String, Long> stats = new LinkedHashMap<>();
        for (String line : knotc("stats").split("\n")) {
            int eq = line.indexOf(" = ");
            if (eq > 0) {
                try {
                    stats.put(line.substring(0, eq).strip(), Long.parseLong(line.substring(eq + 3).strip()));
                } catch (NumberFormatException e) {
                    // not a counter
                }
            }
        }
        return stats;
    }

    /** One counter of {@link #stats()}, 0 when absent. */
    public long stat(String counter) throws IOException {
        return stats().getOrDefault(counter, 0L);
    }

    // ------------------------------------------------------------------------------------------------ files

    private String config() {
        StringBuilder c = new StringBuilder();
        c.append("# written by ").append(KnotDns.class.getName()).append('\n');
        c.append("server:\n");
        c.append("    rundir: ").append(quote(runDir)).append('\n');
        c.append("    listen: 127.0.0.1@").append(port).append('\n');
        c.append("    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n");
        c.append("log:\n");
        c.append("  - target: ").append(quote(logFile)).append("\n    any: info\n");
        c.append("database:\n");
        c.append("    storage: ").append(quote(dbDir)).append('\n');
        c.append("    journal-db-max-size: 64M\n    kasp-db-max-size: 16M\n    timer-db-max-size: 16M\n");
        c.append("    catalog-db-max-size: 16M\n");
        c.append("mod-stats:\n  - id: stats\n    request-protocol: on\n    server-operation: on\n"
                + "    response-code: on\n");
        c.append("acl:\n  - id: local_update\n    address: 127.0.0.1\n    action: update\n");
        c.append("policy:\n");
        c.append("  - id: p256\n    algorithm: ecdsap256sha256\n    single-type-signing: off\n    nsec3: off\n");
        c.append("    dnskey-ttl: ").append(MAX_TTL).append("\n    zone-max-ttl: ").append(MAX_TTL).append('\n');
        c.append("    propagation-delay: 0\n    rrsig-lifetime: 14d\n    rrsig-refresh: 7d\n");
        c.append("template:\n  - id: default\n");
        c.append("    storage: ").append(quote(zoneDir)).append('\n');
        c.append("    file: \"%s.zone\"\n");
        c.append("    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: changes\n");
        c.append("    acl: local_update\n    global-module: mod-stats/stats\n");
        c.append("zone:\n");
        for (Zone z : zones) {
            c.append("  - domain: ").append(quote(z.origin().toString())).append('\n');
            if (z.signed()) {
                c.append("    dnssec-signing: on\n    dnssec-policy: p256\n");
            }
        }
        return c.toString();
    }

    private static String zoneFile(Zone zone) {
        String header = "$ORIGIN " + zone.origin() + "\n$TTL " + MAX_TTL + "\n";
        List<org.xbill.DNS.Record> records = parseRecords(zone.origin(), zone.text());
        for (org.xbill.DNS.Record r : records) {
            if (r.getTTL() > MAX_TTL) {
                throw new IllegalArgumentException("TTL " + r.getTTL() + " > " + MAX_TTL + " in zone " + zone.origin()
                        + ": " + r);
            }
            if (!r.getName().subdomain(zone.origin())) {
                throw new IllegalArgumentException(r.getName() + " is outside zone " + zone.origin());
            }
            if (r instanceof SOARecord soa && soa.getMinimum() > MAX_TTL) {
                throw new IllegalArgumentException("SOA minimum " + soa.getMinimum() + " > " + MAX_TTL);
            }
        }
        String defaults = records.stream().anyMatch(r -> r.getType() == Type.SOA) ? ""
                : "@ SOA ns1 hostmaster 1 60 60 600 30\n@ NS ns1\nns1 A 127.0.0.1\n";
        return header + defaults + zone.text() + "\n";
    }

    private static List<org.xbill.DNS.Record> parseRecords(Name origin, String text) {
        String full = "$ORIGIN " + origin + "\n$TTL " + MAX_TTL + "\n" + text + "\n";
        List<org.xbill.DNS.Record> records = new ArrayList<>();
        try (Master master = new Master(new ByteArrayInputStream(full.getBytes(StandardCharsets.UTF_8)), origin,
                MAX_TTL)) {
            master.disableIncludes();
            for (org.xbill.DNS.Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
                records.add(r);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("bad zone text for " + origin + ": " + e.getMessage(), e);
        }
        return records;
    }

    private String diagnostics() {
        String out = "";
        try {
            out = Files.isRegularFile(outFile) ? Files.readString(outFile) : "";
        } catch (IOException e) {
            // none
        }
        return "--- " + logFile + " ---\n" + tail(log()) + "--- " + outFile + " ---\n" + tail(out);
    }

    private static String tail(String text) {
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())) + "\n";
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A port free on 127.0.0.1 for both UDP and TCP at the time of the call. */
    static int freePort() throws IOException {
        for (int i = 0; i < 50; i++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                int candidate = udp.getLocalPort();
                try (ServerSocket tcp = new ServerSocket()) {
                    tcp.setReuseAddress(false);
                    tcp.bind(new InetSocketAddress(LOOPBACK, candidate));
                    return candidate;
                } catch (BindException e) {
                    // TCP side taken: try another
                }
            }
        }
        throw new IOException("no port free for both UDP and TCP on " + LOOPBACK);
    }

    private static Path findBinary(String name, Path binDir) {
        List<Path> candidates = new ArrayList<>();
        if (binDir != null) {
            candidates.add(binDir.resolve(name));
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty()) {
                candidates.add(Path.of(dir, name));
            }
        }
        candidates.add(Path.of("/usr/sbin", name));
        candidates.add(Path.of("/usr/local/sbin", name));
        return candidates.stream().filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new IllegalStateException(name + " not found (install Knot DNS 3.x)"));
    }

    private static Name absolute(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad name '" + name + "'", e);
        }
    }

    private static String fileName(Name origin) {
        String s = origin.toString().toLowerCase(Locale.ROOT);
        return s.substring(0, s.length() - 1) + ".zone"; // as Knot's "%s.zone"
    }

    private static String quote(Object o) {
        return "\"" + o.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static List<org.xbill.DNS.Record> rrs(Message m, int section, int type) {
        return m.getSection(section).stream().filter(r -> r.getType() == type).toList();
    }

    @Override
    public String toString() {
        return "KnotDns[" + address() + ", zones " + Collections.unmodifiableList(zones()) + ", " + workDir + "]";
    }
}
