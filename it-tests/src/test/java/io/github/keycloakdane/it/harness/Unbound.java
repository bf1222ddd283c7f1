package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.testing.TestPki;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Debian's Unbound on 127.0.0.1 as a validating resolver in front of the harness's Knot: the given trust anchors,
 * stub zones to Knot, a plain DNS port (UDP and TCP) and a DNS-over-TLS port (RFC 7858) whose certificate, for the
 * names {@value #TLS_NAME} and 127.0.0.1, is issued at start by a CA made for this run. Configured from
 * {@code unbound/unbound.conf} on the test class path.
 */
public final class Unbound extends ManagedProcess {

    /** The dNSName of the DoT certificate (its iPAddress is 127.0.0.1). */
    public static final String TLS_NAME = "resolver.dane.test";
    /** One line of {@code unbound-control stats_noreset}, e.g. {@code num.query.tls=3}. */
    private static final Pattern COUNTER = Pattern.compile("([^=\\s]+)=([0-9]+)(\\.[0-9]+)?");

    public static final class Builder {
        private final Path workDir;
        private final Map<String, InetSocketAddress> stubs = new LinkedHashMap<>();
        private final StringBuilder anchors = new StringBuilder();
        private final Map<String, InetSocketAddress> anchorsFrom = new LinkedHashMap<>();
        private TestPki.Issued ca;

        private Builder(Path workDir) {
            this.workDir = workDir;
        }

        /** Queries for {@code zone} go to {@code server} (an authoritative server, e.g. Knot). */
        public Builder stub(String zone, InetSocketAddress server) {
            stubs.put(zone, server);
            return this;
        }

        /** DS or DNSKEY lines in zone-file syntax (e.g. {@link KnotDns#trustAnchor()}). */
        public Builder trustAnchors(String lines) {
            anchors.append(lines);
            return this;
        }

        /**
         * The KSKs that {@code server} serves for {@code zone}, read at start (for a stack whose Knot is known only by
         * its address; trust on first use, fine for a test).
         */
        public Builder trustAnchorsFrom(String zone, InetSocketAddress server) {
            anchorsFrom.put(zone, server);
            return this;
        }

        /** The CA that issues the DoT certificate; default: one made for this instance. */
        public Builder tlsCa(TestPki.Issued issuer) {
            this.ca = issuer;
            return this;
        }

        public Unbound start() throws IOException {
            if (stubs.isEmpty()) {
                throw new IllegalStateException("Unbound needs at least one stub zone");
            }
            StringBuilder all = new StringBuilder(anchors);
            for (Map.Entry<String, InetSocketAddress> e : anchorsFrom.entrySet()) {
                all.append(servedKsks(e.getKey(), e.getValue()));
            }
            Unbound unbound = new Unbound(workDir, Map.copyOf(stubs), all.toString(),
                    stubs.keySet().iterator().next(),
                    ca != null ? ca : TestPki.ca("keycloak-dane test resolver CA").build());
            unbound.start();
            return unbound;
        }
    }

    /** Unbound in {@code workDir} ({@code workDir.2}, ... while another run holds it). */
    public static Builder builder(Path workDir) {
        return new Builder(workDir);
    }

    private final Map<String, InetSocketAddress> stubs;
    private final String anchors;
    private final String probeZone;
    private final Path unbound = binary("unbound", "apt-get install unbound");
    private final Path control = binary("unbound-control", "apt-get install unbound");
    private final TestPki.Issued ca;
    private final TestPki.Issued server;
    private int port;
    private int tlsPort;

    private Unbound(Path workDir, Map<String, InetSocketAddress> stubs, String anchors, String probeZone,
                    TestPki.Issued ca) {
        super("unbound-" + workDir.getFileName(), workDir, "unbound.out", Duration.ofSeconds(30));
        this.stubs = stubs;
        this.anchors = anchors;
        this.probeZone = probeZone;
        this.ca = ca;
        this.server = TestPki.tlsServer(ca, TLS_NAME, "127.0.0.1");
    }

    private static String servedKsks(String zone, InetSocketAddress server) throws IOException {
        SimpleResolver r = new SimpleResolver(server);
        r.setTimeout(Duration.ofSeconds(2));
        Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(zone, Name.root), Type.DNSKEY,
                DClass.IN)));
        String lines = m.getSection(Section.ANSWER).stream().filter(rec -> rec instanceof DNSKEYRecord k
                        && (k.getFlags() & DNSKEYRecord.Flags.SEP_KEY) != 0)
                .map(k -> k.getName() + " IN DNSKEY " + k.rdataToString() + "\n").collect(Collectors.joining());
        if (lines.isEmpty()) {
            throw new IOException(server + " serves no KSK for " + zone);
        }
        return lines;
    }

    @Override
    protected void prepare() throws IOException {
        if (dir().resolve("run/control.sock").toString().length() > 100) {
            throw new IllegalArgumentException("directory path too long for a UNIX socket: " + dir());
        }
        for (String sub : List.of("run", "tls")) {
            deleteTree(dir().resolve(sub));
            Files.createDirectories(dir().resolve(sub));
        }
        TestPki.writePem(dir().resolve("tls/resolver.key"), server.keyPair().getPrivate());
        TestPki.writePem(dir().resolve("tls/resolver.pem"), List.of(server.cert()));
        TestPki.writePem(caFile(), List.of(ca.cert()));
        Files.writeString(dir().resolve("anchors.zone"), anchors, StandardCharsets.UTF_8);
    }

    @Override
    protected List<String> command() throws IOException {
        port = freePort();
        do {
            tlsPort = freePort();
        } while (tlsPort == port);
        Files.writeString(conf(), config(), StandardCharsets.UTF_8);
        Files.deleteIfExists(logFile());
        return List.of(unbound.toString(), "-d", "-c", conf().toString());
    }

    /** null once the plain port answers for the first stub zone and the TLS port accepts connections. */
    @Override
    protected String notReady() {
        try {
            SimpleResolver r = new SimpleResolver(address());
            r.setTimeout(Duration.ofMillis(500));
            Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(probeZone, Name.root), Type.SOA,
                    DClass.IN)));
            if (m.getRcode() != Rcode.NOERROR) {
                return "SOA of " + probeZone + ": " + Rcode.string(m.getRcode());
            }
        } catch (IOException e) {
            return "no answer on " + port + ": " + e.getMessage();
        }
        // last: every probe is a handshake Unbound logs as failed
        return accepts(tlsPort) ? null : "no DoT listener on " + tlsPort;
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of(logFile(), conf());
    }

    private Path conf() {
        return dir().resolve("unbound.conf");
    }

    private Path logFile() {
        return dir().resolve("unbound.log");
    }

    /** The plain DNS address (UDP, TCP). */
    public InetSocketAddress address() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    /** The DNS-over-TLS address. */
    public InetSocketAddress tlsAddress() {
        return new InetSocketAddress(LOOPBACK, tlsPort);
    }

    /** The CA that issued the DoT certificate, made for this run. */
    public X509Certificate caCertificate() {
        return ca.cert();
    }

    /** That CA as a PEM file, for {@code resolver-tls-ca}. */
    public Path caFile() {
        return dir().resolve("tls/ca.pem");
    }

    /** The DoT certificate's key pin (Base64 of the SHA-256 of its SubjectPublicKeyInfo), for resolver-tls-pin. */
    public String pin() {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(server.cert().getPublicKey().getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Keycloak's DANE options for "the resolver is this Unbound over DoT and its AD bit is believed": resolver,
     * transport, name, CA file and {@code trust-ad=true} (no trust anchors: Unbound validates).
     */
    public List<String> keycloakOptionsDotTrustAd() {
        List<String> options = new ArrayList<>(List.of(KeycloakOptions.dane(ServerOption.RESOLVER,
                "127.0.0.1:" + tlsPort)));
        options.addAll(dotTrustAdOptions(caFile()));
        return options;
    }

    /**
     * The same without the resolver (for a {@link Stack} whose resolver option names {@link #tlsAddress()} through
     * {@link Stack.Builder#dnsInFront}): DoT checked against the CA in {@code caFile} and {@value #TLS_NAME}, AD bit
     * believed.
     */
    public static List<String> dotTrustAdOptions(Path caFile) {
        return List.of(
                KeycloakOptions.dane(ServerOption.RESOLVER_TRANSPORT, "tls"),
                KeycloakOptions.dane(ServerOption.RESOLVER_TLS_NAME, TLS_NAME),
                KeycloakOptions.dane(ServerOption.RESOLVER_TLS_CA, caFile.toAbsolutePath()),
                KeycloakOptions.dane(ServerOption.TRUST_AD, true));
    }

    /**
     * Unbound's counters from {@code unbound-control stats_noreset}, e.g. {@code num.query.tls} (queries received
     * over TLS), {@code num.query.tcp} (over TCP, TLS included), {@code total.num.queries}; fractions are dropped.
     */
    public Map<String, Long> stats() throws IOException {
        String out = run(new ProcessBuilder(control.toString(), "-c", conf().toString(), "stats_noreset"),
                Duration.ofSeconds(15));
        return out.lines().map(COUNTER::matcher).filter(Matcher::matches)
                .collect(Collectors.toMap(m -> m.group(1), m -> Long.parseLong(m.group(2)), (a, b) -> b));
    }

    /** One counter of {@link #stats()}, 0 when absent. */
    public long stat(String counter) throws IOException {
        return stats().getOrDefault(counter, 0L);
    }

    private String config() throws IOException {
        List<String> stubLines = new ArrayList<>();
        stubs.forEach((zone, server) -> stubLines.add("stub-zone:\n    name: \"" + zone + "\"\n    stub-addr: "
                + server.getAddress().getHostAddress() + "@" + server.getPort() + "\n"));
        try (InputStream template = Objects.requireNonNull(Unbound.class.getResourceAsStream("/unbound/unbound.conf"),
                "unbound/unbound.conf is not on the class path")) {
            return new String(template.readAllBytes(), StandardCharsets.UTF_8).replace("@DIR@", dir().toString())
                    .replace("@TLS_PORT@", Integer.toString(tlsPort)).replace("@PORT@", Integer.toString(port))
                    .replace("@STUBS@", String.join("\n", stubLines));
        }
    }
}
