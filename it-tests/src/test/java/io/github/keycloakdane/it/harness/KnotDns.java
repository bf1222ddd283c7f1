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
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

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
 * <p>Its directory holds {@code knot.conf}, {@code zones/}, {@code db/} (keys, journal, timers; wiped at every
 * start), {@code run/} (control socket), {@code knot.log} and {@code knotd.out}. Knot 3.2 has no text query log
 * without the dnstap module, so every query is instead counted by {@code mod-stats}; see {@link #stats()}.
 */
public final class KnotDns extends ManagedProcess {

    /** The largest TTL a zone may use, so that tests never wait long for anything to expire. */
    public static final long MAX_TTL = 60;

    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);

    /** One zone to serve. */
    private record Zone(Name origin, String text, boolean signed) {
    }

    /** Collects the zones, then {@link #start()}s Knot. */
    public static final class Builder {
        private final Path workDir;
        private final Map<Name, Zone> zones = new LinkedHashMap<>();

        private Builder(Path workDir) {
            this.workDir = workDir;
        }

        /** A zone that Knot signs (automatic DNSSEC: ECDSA P-256, KSK + ZSK, NSEC). */
        public Builder signedZone(String origin, String zoneText) {
            return zone(origin, zoneText, true);
        }

        /** A zone served without DNSSEC. */
        public Builder unsignedZone(String origin, String zoneText) {
            return zone(origin, zoneText, false);
        }

        private Builder zone(String origin, String zoneText, boolean signed) {
            Name name = absolute(origin);
            if (zones.putIfAbsent(name, new Zone(name, zoneText, signed)) != null) {
                throw new IllegalArgumentException("zone " + name + " given twice");
            }
            return this;
        }

        public KnotDns start() throws IOException {
            KnotDns knot = new KnotDns(workDir, List.copyOf(zones.values()));
            knot.start();
            return knot;
        }
    }

    /** Knot in {@code workDir} ({@code workDir.2}, ... while another run holds it). */
    public static Builder builder(Path workDir) {
        return new Builder(workDir);
    }

    private final List<Zone> zones;
    private final Path knotd = binary("knotd", "install Knot DNS 3.x");
    private final Path knotc = binary("knotc", "install Knot DNS 3.x");
    private int port;

    private KnotDns(Path workDir, List<Zone> zones) {
        super("knot-" + workDir.getFileName(), workDir, "knotd.out", Duration.ofSeconds(20));
        if (zones.isEmpty()) {
            throw new IllegalStateException("no zones to serve");
        }
        this.zones = zones;
    }

    @Override
    protected void prepare() throws IOException {
        if (dir().resolve("run/knot.sock").toString().length() > 100) {
            throw new IllegalArgumentException("directory path too long for a UNIX socket: " + dir());
        }
        for (String sub : List.of("run", "db", "zones")) {
            deleteTree(dir().resolve(sub));
            Files.createDirectories(dir().resolve(sub));
        }
        for (Zone zone : zones) {
            String file = zone.origin().toString().toLowerCase(Locale.ROOT) + "zone"; // as Knot's "%s.zone"
            Files.writeString(dir().resolve("zones").resolve(file), zoneFile(zone), StandardCharsets.UTF_8);
        }
    }

    @Override
    protected List<String> command() throws IOException {
        port = freePort();
        Files.writeString(conf(), config(), StandardCharsets.UTF_8);
        Files.deleteIfExists(logFile());
        return List.of(knotd.toString(), "-c", conf().toString());
    }

    /** null when every zone is served (and signed ones signed), else what is missing. */
    @Override
    protected String notReady() {
        for (Zone zone : zones) {
            Message soa;
            try {
                soa = query(zone.origin(), Type.SOA, false, Duration.ofMillis(300));
            } catch (IOException e) {
                return "no answer for " + zone.origin() + " SOA: " + e.getMessage();
            }
            if (soa.getRcode() != Rcode.NOERROR || !soa.getHeader().getFlag(Flags.AA)
                    || rrs(soa, Type.SOA).isEmpty()) {
                return zone.origin() + " SOA not served yet (" + Rcode.string(soa.getRcode()) + ")";
            }
            if (zone.signed() && rrs(soa, Type.RRSIG).isEmpty()) {
                return zone.origin() + " not signed yet";
            }
            try {
                if (zone.signed() && ksks(zone.origin()).isEmpty()) {
                    return zone.origin() + " has no signed KSK yet";
                }
            } catch (UncheckedIOException e) {
                return "no answer for " + zone.origin() + " DNSKEY: " + e.getCause().getMessage();
            }
        }
        return null;
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of(logFile());
    }

    private Path conf() {
        return dir().resolve("knot.conf");
    }

    private Path logFile() {
        return dir().resolve("knot.log");
    }

    public int port() {
        return port;
    }

    /** 127.0.0.1 and {@link #port()}: what to give {@code DnsSettings.withResolver}. */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    // ------------------------------------------------------------------------------------------------ trust anchors

    /**
     * The KSK DNSKEY(s) of every signed zone as trust anchors in zone-file syntax, one a line, e.g.
     * {@code example.test. IN DNSKEY 257 3 13 base64...}.
     */
    public String trustAnchor() {
        if (zones.stream().noneMatch(Zone::signed)) {
            throw new IllegalStateException("no signed zone");
        }
        return zones.stream().filter(Zone::signed).map(z -> trustAnchor(z.origin().toString()))
                .collect(Collectors.joining());
    }

    /** The KSK DNSKEY(s) of one signed zone as trust anchor lines. */
    public String trustAnchor(String zone) {
        return ksks(signedZone(zone)).stream().map(k -> k.getName() + " IN DNSKEY " + k.rdataToString() + "\n")
                .collect(Collectors.joining());
    }

    /** The same anchor as a DS record (SHA-256), e.g. {@code example.test. IN DS 12345 13 2 HEX}. */
    public String dsTrustAnchor(String zone) {
        return ksks(signedZone(zone)).stream()
                .map(k -> new DSRecord(k.getName(), DClass.IN, MAX_TTL, DNSSEC.Digest.SHA256, k))
                .map(ds -> ds.getName() + " IN DS " + ds.rdataToString() + "\n").collect(Collectors.joining());
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

    /** The zone's signed KSKs as Knot serves them (none while it has not signed the zone yet). */
    private List<DNSKEYRecord> ksks(Name zone) {
        Message m;
        try {
            m = query(zone, Type.DNSKEY, false, QUERY_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot query " + zone + " DNSKEY", e);
        }
        if (rrs(m, Type.RRSIG).stream().noneMatch(r -> ((RRSIGRecord) r).getTypeCovered() == Type.DNSKEY)) {
            return List.of();
        }
        return rrs(m, Type.DNSKEY).stream().map(r -> (DNSKEYRecord) r)
                .filter(k -> (k.getFlags() & DNSKEYRecord.Flags.SEP_KEY) != 0).toList();
    }

    private Name signedZone(String zone) {
        Name name = servedZone(zone);
        if (zones.stream().noneMatch(z -> z.origin().equals(name) && z.signed())) {
            throw new IllegalArgumentException(name + " is not signed");
        }
        return name;
    }

    // ------------------------------------------------------------------------------------------------ updates

    /** Adds records (zone-file lines, owners relative to {@code zone} or absolute, TTL default 60). */
    public void add(String zone, String... records) {
        List<Record> parsed = parseRecords(servedZone(zone), String.join("\n", records));
        update(zone, u -> parsed.forEach(u::add));
    }

    /** Replaces the RRset(s) of the given records' owners and types by exactly these records, in one update. */
    public void replace(String zone, String... records) {
        List<Record> parsed = parseRecords(servedZone(zone), String.join("\n", records));
        update(zone, u -> {
            parsed.stream().map(r -> Map.entry(r.getName(), r.getType())).distinct()
                    .forEach(rrset -> u.delete(rrset.getKey(), rrset.getValue()));
            parsed.forEach(u::add);
        });
    }

    /** Removes the RRset of {@code type} at {@code owner} (relative to {@code zone} or absolute). */
    public void delete(String zone, String owner, int type) {
        Name name = owner(servedZone(zone), owner);
        update(zone, u -> u.delete(name, type));
    }

    /** Removes every RRset at {@code owner}. */
    public void deleteName(String zone, String owner) {
        Name name = owner(servedZone(zone), owner);
        update(zone, u -> u.delete(name));
    }

    /** One RFC 2136 update over TCP; Knot re-signs signed zones before it answers. Throws when Knot refuses it. */
    private void update(String zone, Consumer<Update> edits) {
        Update update = new Update(servedZone(zone));
        edits.accept(update);
        SimpleResolver r = resolver(QUERY_TIMEOUT);
        r.setTCP(true);
        Message response;
        try {
            response = r.send(update);
        } catch (IOException e) {
            throw new UncheckedIOException("update of " + zone + " failed", e);
        }
        if (response.getRcode() != Rcode.NOERROR) {
            throw new IllegalStateException("Knot refused the update of " + zone + ": "
                    + Rcode.string(response.getRcode()) + "\n" + update);
        }
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
        return r.send(Message.newQuery(Record.newRecord(absolute(name), type, DClass.IN)));
    }

    private Message query(Name name, int type, boolean tcp, Duration timeout) throws IOException {
        SimpleResolver r = resolver(timeout);
        r.setTCP(tcp);
        return r.send(Message.newQuery(Record.newRecord(name, type, DClass.IN)));
    }

    private SimpleResolver resolver(Duration timeout) {
        SimpleResolver r = new SimpleResolver(address());
        r.setTimeout(timeout);
        r.setEDNS(0, 1232, Flags.DO, List.of());
        return r;
    }

    private static List<Record> rrs(Message m, int type) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r.getType() == type).toList();
    }

    /**
     * Knot's server and mod-stats counters from {@code knotc stats}, e.g. {@code mod-stats.request-protocol[udp4]},
     * {@code mod-stats.request-protocol[tcp4]}, {@code mod-stats.response-code[NXDOMAIN]}. A counter that has not
     * been incremented yet is absent.
     */
    public Map<String, Long> stats() throws IOException {
        Process p = new ProcessBuilder(knotc.toString(), "-c", conf().toString(), "-t", "5", "stats")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("knotc stats failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        }
        Map<String, Long> stats = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] kv = line.split(" = ", 2);
            if (kv.length == 2 && kv[1].strip().matches("[0-9]+")) {
                stats.put(kv[0].strip(), Long.parseLong(kv[1].strip()));
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
        StringBuilder c = new StringBuilder("# written by " + KnotDns.class.getName() + "\n");
        c.append("server:\n    rundir: ").append(quote(dir().resolve("run"))).append('\n');
        c.append("    listen: 127.0.0.1@").append(port).append('\n');
        c.append("    udp-workers: 1\n    tcp-workers: 1\n    background-workers: 1\n");
        c.append("log:\n  - target: ").append(quote(logFile())).append("\n    any: info\n");
        c.append("database:\n    storage: ").append(quote(dir().resolve("db"))).append('\n');
        c.append("    journal-db-max-size: 64M\n    kasp-db-max-size: 16M\n    timer-db-max-size: 16M\n");
        c.append("    catalog-db-max-size: 16M\n");
        c.append("mod-stats:\n  - id: stats\n    request-protocol: on\n    server-operation: on\n"
                + "    response-code: on\n");
        c.append("acl:\n  - id: local_update\n    address: 127.0.0.1\n    action: update\n");
        c.append("policy:\n  - id: p256\n    algorithm: ecdsap256sha256\n    single-type-signing: off\n");
        c.append("    nsec3: off\n    dnskey-ttl: ").append(MAX_TTL).append("\n    zone-max-ttl: ").append(MAX_TTL);
        c.append("\n    propagation-delay: 0\n    rrsig-lifetime: 14d\n    rrsig-refresh: 7d\n");
        c.append("template:\n  - id: default\n    storage: ").append(quote(dir().resolve("zones"))).append('\n');
        c.append("    file: \"%s.zone\"\n");
        c.append("    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: changes\n");
        c.append("    acl: local_update\n    global-module: mod-stats/stats\nzone:\n");
        for (Zone z : zones) {
            c.append("  - domain: ").append(quote(z.origin())).append('\n');
            if (z.signed()) {
                c.append("    dnssec-signing: on\n    dnssec-policy: p256\n");
            }
        }
        return c.toString();
    }

    private static String zoneFile(Zone zone) {
        List<Record> records = parseRecords(zone.origin(), zone.text());
        for (Record r : records) {
            if (r.getTTL() > MAX_TTL || r instanceof SOARecord soa && soa.getMinimum() > MAX_TTL) {
                throw new IllegalArgumentException("TTL over " + MAX_TTL + " in zone " + zone.origin() + ": " + r);
            }
            if (!r.getName().subdomain(zone.origin())) {
                throw new IllegalArgumentException(r.getName() + " is outside zone " + zone.origin());
            }
        }
        String defaults = records.stream().anyMatch(r -> r.getType() == Type.SOA) ? ""
                : "@ SOA ns1 hostmaster 1 60 60 600 30\n@ NS ns1\nns1 A 127.0.0.1\n";
        return "$ORIGIN " + zone.origin() + "\n$TTL " + MAX_TTL + "\n" + defaults + zone.text() + "\n";
    }

    private static List<Record> parseRecords(Name origin, String text) {
        String full = "$ORIGIN " + origin + "\n$TTL " + MAX_TTL + "\n" + text + "\n";
        List<Record> records = new ArrayList<>();
        try (Master master = new Master(new ByteArrayInputStream(full.getBytes(StandardCharsets.UTF_8)), origin,
                MAX_TTL)) {
            master.disableIncludes();
            for (Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
                records.add(r);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("bad zone text for " + origin + ": " + e.getMessage(), e);
        }
        return records;
    }

    private static Name absolute(String name) {
        try {
            return Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad name '" + name + "'", e);
        }
    }

    private static String quote(Object o) {
        return "\"" + o.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
