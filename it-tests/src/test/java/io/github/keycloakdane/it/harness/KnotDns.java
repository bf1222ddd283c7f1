package io.github.keycloakdane.it.harness;

import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.Update;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Knot DNS authoritative server on 127.0.0.1, configured from {@code knot/knot.conf} on the test class path.
 * Zones are zone-file text (owners relative to the zone or absolute, TTLs up to {@value #MAX_TTL} s); signed ones
 * are signed by Knot itself. docs/TESTING.md describes its files and defaults.
 */
public final class KnotDns extends ManagedProcess {

    /** The largest TTL a zone may use, so that tests never wait long for anything to expire. */
    public static final long MAX_TTL = 60;

    /** What every zone gets besides its own records (negative answers cached for 30 s). */
    private static final String ZONE_DEFAULTS = "@ SOA ns1 hostmaster 1 60 60 600 30\n@ NS ns1\nns1 A 127.0.0.1\n";
    /** One counter line of {@code knotc stats}, e.g. {@code mod-stats.request-protocol[udp4] = 12}. */
    private static final Pattern COUNTER = Pattern.compile("(\\S+) = ([0-9]+)");

    private record Zone(Name origin, String text, boolean signed) {
    }

    public static final class Builder {
        private final Path workDir;
        private final List<Zone> zones = new ArrayList<>();

        private Builder(Path workDir) {
            this.workDir = workDir;
        }

        public Builder signedZone(String origin, String zoneText) {
            zones.add(new Zone(name(origin, Name.root), zoneText, true));
            return this;
        }

        public Builder unsignedZone(String origin, String zoneText) {
            zones.add(new Zone(name(origin, Name.root), zoneText, false));
            return this;
        }

        public KnotDns start() throws IOException {
            KnotDns knot = new KnotDns(workDir, List.copyOf(zones));
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
            String file = zone.origin().toString().toLowerCase(Locale.ROOT) + "zone"; // as the template's "%s.zone"
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

    /** null when every zone is served, and every signed one signed (its DNSKEY RRset too). */
    @Override
    protected String notReady() {
        for (Zone zone : zones) {
            try {
                Message soa = query(zone.origin(), Type.SOA, r -> r.setTimeout(Duration.ofMillis(300)));
                if (answers(soa, Type.SOA).isEmpty()) {
                    return zone.origin() + " not served yet";
                }
                if (zone.signed() && ksks(zone.origin().toString()).isEmpty()) {
                    return zone.origin() + " not signed yet";
                }
            } catch (IOException | UncheckedIOException e) {
                return "no answer for " + zone.origin() + ": " + e.getMessage();
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

    /** What to give {@code DnsSettings.withResolver}. */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** The KSKs of every signed zone, one a line: {@code example.test. IN DNSKEY 257 3 13 base64...}. */
    public String trustAnchor() {
        return zones.stream().filter(Zone::signed).map(z -> trustAnchor(z.origin().toString()))
                .collect(Collectors.joining());
    }

    /** The KSKs of one signed zone. */
    public String trustAnchor(String zone) {
        return anchorLines(ksks(zone).stream());
    }

    /** The same anchor as DS records (SHA-256): {@code example.test. IN DS 12345 13 2 HEX}. */
    public String dsTrustAnchor(String zone) {
        return anchorLines(ksks(zone).stream()
                .map(k -> new DSRecord(k.getName(), DClass.IN, MAX_TTL, DNSSEC.Digest.SHA256, k)));
    }

    /** A fresh ECDSA P-256 KSK that Knot does not use: an anchor under which {@code zone} is bogus. */
    public static String unrelatedTrustAnchor(String zone) {
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            return anchorLines(Stream.of(new DNSKEYRecord(name(zone, Name.root), DClass.IN, MAX_TTL,
                    DNSKEYRecord.Flags.ZONE_KEY | DNSKEYRecord.Flags.SEP_KEY, DNSKEYRecord.Protocol.DNSSEC,
                    DNSSEC.Algorithm.ECDSAP256SHA256, gen.generateKeyPair().getPublic())));
        } catch (GeneralSecurityException | DNSSEC.DNSSECException e) {
            throw new IllegalStateException("cannot generate an ECDSA P-256 key", e);
        }
    }

    private static String anchorLines(Stream<? extends Record> records) {
        return records.map(r -> r.getName() + " IN " + Type.string(r.getType()) + " " + r.rdataToString() + "\n")
                .collect(Collectors.joining());
    }

    /** A signed zone's KSKs as Knot serves them: none before Knot has signed the zone (and added its DNSKEYs). */
    private List<DNSKEYRecord> ksks(String zone) {
        Zone z = zone(zone);
        if (!z.signed()) {
            throw new IllegalArgumentException(z.origin() + " is not signed");
        }
        Message m;
        try {
            m = query(z.origin(), Type.DNSKEY, r -> { });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot query " + z.origin() + " DNSKEY", e);
        }
        return answers(m, Type.DNSKEY).stream().map(r -> (DNSKEYRecord) r)
                .filter(k -> (k.getFlags() & DNSKEYRecord.Flags.SEP_KEY) != 0).toList();
    }

    // Updates: RFC 2136 over TCP (zone-file lines, owners relative to the zone or absolute); Knot re-signs signed
    // zones before it answers, and a refused update throws.

    public void add(String zone, String... records) {
        List<Record> parsed = records(zone, records);
        update(zone, u -> parsed.forEach(u::add));
    }

    /** Replaces the RRsets of the given records' owners and types by exactly these records, in one update. */
    public void replace(String zone, String... records) {
        List<Record> parsed = records(zone, records);
        update(zone, u -> {
            parsed.stream().map(r -> Map.entry(r.getName(), r.getType())).distinct()
                    .forEach(rrset -> u.delete(rrset.getKey(), rrset.getValue()));
            parsed.forEach(u::add);
        });
    }

    /** Removes the RRset of {@code type} at {@code owner}; {@code Type.ANY} removes every RRset there. */
    public void delete(String zone, String owner, int type) {
        Name name = name(owner, zone(zone).origin());
        update(zone, u -> u.delete(name, type));
    }

    private void update(String zone, Consumer<Update> edits) {
        Update update = new Update(zone(zone).origin());
        edits.accept(update);
        Message response;
        try {
            response = send(update, r -> r.setTCP(true));
        } catch (IOException e) {
            throw new UncheckedIOException("update of " + zone + " failed", e);
        }
        if (response.getRcode() != Rcode.NOERROR) {
            throw new IllegalStateException("Knot refused the update of " + zone + ": "
                    + Rcode.string(response.getRcode()) + "\n" + update);
        }
    }

    private List<Record> records(String zone, String... lines) {
        return parseRecords(zone(zone).origin(), String.join("\n", lines));
    }

    private Zone zone(String zone) {
        Name name = name(zone, Name.root);
        return zones.stream().filter(z -> z.origin().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(name + " is not served"));
    }

    // Queries: with DO set (the answer carries RRSIGs) and without validation.

    /** Over UDP, then TCP when the answer is truncated. */
    public Message query(String name, int type) throws IOException {
        return query(name(name, Name.root), type, r -> { });
    }

    public Message queryTcp(String name, int type) throws IOException {
        return query(name(name, Name.root), type, r -> r.setTCP(true));
    }

    /** Over UDP only: a truncated answer is returned as it is (TC=1). */
    public Message queryUdpOnly(String name, int type) throws IOException {
        return query(name(name, Name.root), type, r -> r.setIgnoreTruncation(true));
    }

    private Message query(Name name, int type, Consumer<SimpleResolver> transport) throws IOException {
        return send(Message.newQuery(Record.newRecord(name, type, DClass.IN)), transport);
    }

    private Message send(Message request, Consumer<SimpleResolver> transport) throws IOException {
        SimpleResolver r = new SimpleResolver(address());
        r.setTimeout(Duration.ofSeconds(2));
        r.setEDNS(0, 1232, Flags.DO, List.of());
        transport.accept(r);
        return r.send(request);
    }

    private static List<Record> answers(Message m, int type) {
        return m.getSection(Section.ANSWER).stream().filter(r -> r.getType() == type).toList();
    }

    /**
     * Knot's counters from {@code knotc stats}, e.g. {@code mod-stats.request-protocol[udp4]} or
     * {@code mod-stats.response-code[NXDOMAIN]}; a counter never incremented is absent.
     */
    public Map<String, Long> stats() throws IOException {
        // -t 5 bounds knotc's wait for knotd
        String out = run(new ProcessBuilder(knotc.toString(), "-c", conf().toString(), "-t", "5", "stats"),
                Duration.ofSeconds(15));
        return out.lines().map(COUNTER::matcher).filter(Matcher::matches)
                .collect(Collectors.toMap(m -> m.group(1), m -> Long.parseLong(m.group(2))));
    }

    /** One counter of {@link #stats()}, 0 when absent. */
    public long stat(String counter) throws IOException {
        return stats().getOrDefault(counter, 0L);
    }

    private String config() throws IOException {
        String zoneList = zones.stream().map(z -> "  - domain: " + z.origin()
                + (z.signed() ? "\n    dnssec-signing: on\n    dnssec-policy: p256" : ""))
                .collect(Collectors.joining("\n"));
        try (InputStream template = Objects.requireNonNull(KnotDns.class.getResourceAsStream("/knot/knot.conf"),
                "knot/knot.conf is not on the class path")) {
            return new String(template.readAllBytes(), StandardCharsets.UTF_8).replace("@DIR@", dir().toString())
                    .replace("@PORT@", Integer.toString(port)).replace("@MAX_TTL@", Long.toString(MAX_TTL))
                    .replace("@ZONES@", zoneList);
        }
    }

    /** The zone's records with the defaults, as dnsjava parsed them (absolute names, explicit TTLs). */
    private static String zoneFile(Zone zone) {
        StringBuilder file = new StringBuilder();
        for (Record r : parseRecords(zone.origin(), ZONE_DEFAULTS + zone.text())) {
            if (r.getTTL() > MAX_TTL || !r.getName().subdomain(zone.origin())) {
                throw new IllegalArgumentException("TTL over " + MAX_TTL + " or owner outside " + zone.origin()
                        + ": " + r);
            }
            file.append(r).append('\n');
        }
        return file.toString();
    }

    private static List<Record> parseRecords(Name origin, String text) {
        List<Record> records = new ArrayList<>();
        try (Master master = new Master(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), origin,
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

    /** {@code name} relative to {@code origin} unless it ends with a dot ({@link Name#root} for absolute names). */
    private static Name name(String name, Name origin) {
        try {
            return Name.fromString(name, origin);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("bad name '" + name + "'", e);
        }
    }
}
