package io.github.keycloakdane.cli;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.CertUsage;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.Certificates;
import io.github.keycloakdane.core.DaneMatcher;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.MatchResult;
import io.github.keycloakdane.core.MatchingType;
import io.github.keycloakdane.core.Selector;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.core.UnusableRecordException;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.settings.ServerSettings;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator CLI, the jar's Main-Class: make TLSA records for a certificate, test a match offline, look up and
 * verify a client against live DNS. Exit codes: 0 success, 1 a negative answer (no match, not secure), 2 bad usage
 * or unreadable input.
 */
public final class DaneCli {

    static final int OK = 0;
    static final int NEGATIVE = 1;
    static final int USAGE = 2;

    static final String HELP = """
            keycloak-dane: DANE client authentication (IETF DANCE) tools

            usage:
              java -jar keycloak-dane.jar tlsa   --cert FILE.pem [--usage U --selector S --matching-type M] [--name NAME]
              java -jar keycloak-dane.jar match  --name NAME --tlsa FILE --chain FILE.pem [--ee-name-check] [--pkix-trust FILE.pem]
              java -jar keycloak-dane.jar lookup NAME [--resolver HOST[:PORT]] [--trust-anchors FILE] [--trust-ad] [--timeout MS]
              java -jar keycloak-dane.jar verify NAME --chain FILE.pem [--resolver HOST[:PORT]] [--trust-anchors FILE] [--trust-ad]
                                                    [--timeout MS] [--ee-name-check] [--pkix-trust FILE.pem]
              java -jar keycloak-dane.jar assertion --key KEY.pem [--cert CERT.pem | --key-in-dns [--name NAME]] --client-id ID
                                                    --aud URL [--lifetime S]
              java -jar keycloak-dane.jar request --key KEY.pem --cert CERT.pem --name NAME URL [-d DATA] [--cacert FILE.pem]
                                                    [--dane-clientid-codepoint N]

            tlsa     print the TLSA record for the first certificate in FILE.pem (default 3 1 1: DANE-EE, SPKI, SHA-256),
                     as 'NAME. IN TLSA U S M HEX' when --name is given. For DANE-TA (usage 2) pass the CA certificate.
            match    offline: does the chain (PEM, leaf first) match one of the records in the TLSA file (one
                     'U S M HEX' record a line, '#' comments and blank lines ignored) for NAME?
                     prints 'MATCH usage=U selector=S matching-type=M depth=D' (exit 0) or 'NO-MATCH REASON: why' (exit 1).
            lookup   fetch NAME's TLSA RRset and print its DNSSEC status and records; exit 0 only when SECURE with at
                     least one usable record.
            verify   lookup + match: exit 0 only when the chain authenticates as NAME.
            assertion  print a signed client assertion (RFC 7523) for client-dane-jwt: iss = sub = ID, aud = URL (the
                     realm's issuer or token endpoint), a fresh jti, valid for S seconds (default %s). The key goes
                     into the header as jwk (match it with a 3 1 x record), or as x5c with --cert (the chain, leaf
                     first). With --key-in-dns the header carries no key, only x5u = dns://NAME?type=TLSA (NAME: --name,
                     else ID when it is a DNS name): publish the key as a 3 1 0 record (or the certificate as 3 0 0).
                     KEY.pem: an unencrypted EC (P-256/384/521), Ed25519 or RSA (2048-4096 bits) private key.
            request  an HTTPS request over TLS 1.3 (TLS-native mode, draft-ietf-dance-client-auth): the certificate
                     CERT.pem (leaf first) with NAME in its dane_clientid extension (codepoint N, default 65280, the
                     gateway's default). POST with -d DATA (application/x-www-form-urlencoded), GET without. Prints
                     the response body; exit 0 on a 2xx status, 1 otherwise or when the server refuses the handshake.
                     The server's certificate is checked against FILE.pem (default: the JDK's trust store).

            options:
            %s
            exit codes: 0 success, 1 negative answer (no match / not secure / not authenticated), 2 usage or unreadable input
            """.formatted(ServerOption.ASSERTION_MAX_LIFETIME.defaultValue, optionHelp());

    /** The server options the DNS commands take, and those the matching commands take: from {@link ServerOption}. */
    private static final List<ServerOption> DNS_OPTIONS = List.of(ServerOption.RESOLVER,
            ServerOption.RESOLVER_TRANSPORT, ServerOption.RESOLVER_TLS_NAME, ServerOption.RESOLVER_TLS_CA,
            ServerOption.RESOLVER_TLS_PIN, ServerOption.TRUST_ANCHORS,
            ServerOption.TRUST_AD, ServerOption.TIMEOUT);
    private static final List<ServerOption> MATCH_OPTIONS = List.of(ServerOption.EE_NAME_CHECK,
            ServerOption.PKIX_TRUST);

    /** One line an option: its flag, its help and its default, as the server option table has them. */
    private static String optionHelp() {
        StringBuilder help = new StringBuilder();
        for (ServerOption o : ServerOption.forCli()) {
            String flag = o.cliFlag() + (o.type == ServerOption.Type.BOOLEAN ? "" : " " + o.syntax());
            String fallback = o.type == ServerOption.Type.BOOLEAN ? "" : " (default: " + o.defaultText().replace("`", "") + ")";
            help.append(String.format(java.util.Locale.ROOT, "  %-24s %s%s%n", flag, o.plainHelp(), fallback));
        }
        return help.toString().stripTrailing();
    }

    private final PrintStream out;
    private final PrintStream err;

    DaneCli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(new DaneCli(System.out, System.err).run(args));
    }

    /** Thrown for bad usage or unreadable input: exit 2 with the message on stderr. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    int run(String[] args) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).print(HELP);
            return args.length == 0 ? USAGE : OK;
        }
        try {
            Arguments a = Arguments.parse(args);
            if (a.flags.contains("--help")) {
                out.print(HELP);
                return OK;
            }
            return switch (args[0]) {
                case "tlsa" -> tlsa(a);
                case "match" -> match(a);
                case "lookup" -> lookup(a);
                case "verify" -> verify(a);
                case "assertion" -> assertion(a);
                case "request" -> request(a);
                default -> throw new UsageException("unknown command '" + args[0] + "' (try --help)");
            };
        } catch (UsageException e) {
            err.println("keycloak-dane: " + e.getMessage());
            return USAGE;
        }
    }

    private int tlsa(Arguments a) throws UsageException {
        a.allow(Set.of("--cert", "--usage", "--selector", "--matching-type", "--name"), List.of(), 0);
        X509Certificate cert = readChain(a.required("--cert")).get(0);
        int usage = a.intOption("--usage", 3);
        int selectorCode = a.intOption("--selector", 1);
        int matchingCode = a.intOption("--matching-type", 1);
        Selector selector = Selector.of(selectorCode);
        MatchingType matchingType = MatchingType.of(matchingCode);
        if (CertUsage.of(usage) == null || selector == null || matchingType == null) {
            throw new UsageException("usage must be 0-3, selector 0-1, matching type 0-2");
        }
        byte[] selected = selector == Selector.CERT ? Certificates.der(cert) : Certificates.subjectPublicKeyInfo(cert);
        if (selected == null) {
            throw new UsageException("cannot read the certificate's " + selector);
        }
        String record = usage + " " + selectorCode + " " + matchingCode + " "
                + HexFormat.of().formatHex(matchingType.apply(selected));
        String name = a.option("--name");
        if (name != null) {
            out.println(parseName(name).fqdn() + " IN TLSA " + record);
        } else {
            out.println(record);
        }
        return OK;
    }

    /** The flag of {@code assertion} that leaves the key out of the header (the key is in DNS). */
    static final String KEY_IN_DNS = "--key-in-dns";

    private int assertion(Arguments a) throws UsageException {
        boolean keyInDns = a.flags.remove(KEY_IN_DNS);
        a.allow(keyInDns ? Set.of("--key", "--name", "--client-id", "--aud", "--lifetime")
                : Set.of("--key", "--cert", "--client-id", "--aud", "--lifetime"), List.of(), 0);
        String dnsName = null;
        if (keyInDns) {
            String raw = a.option("--name") != null ? a.option("--name") : a.required("--client-id");
            if (a.option("--name") == null && !raw.contains(".")) {
                throw new UsageException(KEY_IN_DNS + " needs --name NAME (the client's dane.clientid) when the client"
                        + " id is not a DNS name");
            }
            dnsName = parseName(raw).value();
        }
        String keyFile = a.required("--key");
        java.security.KeyPair key;
        try {
            key = PrivateKeys.read(readText(keyFile));
        } catch (java.security.GeneralSecurityException e) {
            throw new UsageException(keyFile + ": " + e.getMessage());
        }
        List<X509Certificate> chain = a.option("--cert") == null ? List.of() : readChain(a.option("--cert"));
        if (!chain.isEmpty() && !java.util.Arrays.equals(chain.get(0).getPublicKey().getEncoded(),
                key.getPublic().getEncoded())) {
            throw new UsageException(a.option("--cert") + ": its first certificate is not for the key in " + keyFile);
        }
        int lifetime = a.intOption("--lifetime", Integer.parseInt(ServerOption.ASSERTION_MAX_LIFETIME.defaultValue));
        if (lifetime < 1) {
            throw new UsageException("--lifetime must be at least 1 second");
        }
        try {
            out.println(dnsName != null
                    ? AssertionSigner.signKeyInDns(key.getPrivate(), key.getPublic(), dnsName,
                            a.required("--client-id"), a.required("--aud"), java.time.Duration.ofSeconds(lifetime),
                            java.time.Instant.now())
                    : AssertionSigner.sign(key.getPrivate(), key.getPublic(), chain, a.required("--client-id"),
                            a.required("--aud"), java.time.Duration.ofSeconds(lifetime), java.time.Instant.now()));
        } catch (java.security.GeneralSecurityException e) {
            throw new UsageException(keyFile + ": " + e.getMessage());
        }
        return OK;
    }

    private int match(Arguments a) throws UsageException {
        a.allow(Set.of("--name", "--tlsa", "--chain"), MATCH_OPTIONS, 0);
        DaneName name = parseName(a.required("--name"));
        List<TlsaRecord> records = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        readRecords(a.required("--tlsa"), records, unusable);
        for (String u : unusable) {
            err.println("unusable record ignored: " + u);
        }
        List<X509Certificate> chain = readChain(a.required("--chain"));
        MatchResult result = DaneMatcher.match(name, chain, records, settings(a).matchPolicy());
        if (result.matched()) {
            TlsaRecord r = result.record();
            out.println("MATCH usage=" + r.usage().code + " selector=" + r.selector().code + " matching-type="
                    + r.matchingType().code + " depth=" + result.depth() + " (" + r.usage() + ")");
            return OK;
        }
        out.println("NO-MATCH " + result.reason() + ": " + result.detail());
        return NEGATIVE;
    }

    private int lookup(Arguments a) throws UsageException {
        a.allow(Set.of(), DNS_OPTIONS, 1);
        DaneName name = parseName(a.positional(0));
        DnsTlsaSource source = dnsSource(settings(a));
        TlsaLookup lookup = source.lookup(name);
        out.println(name + " " + lookup.status() + " (" + lookup.detail() + ") via " + source.resolverAddress());
        for (TlsaRecord r : lookup.records()) {
            out.println(name.fqdn() + " " + lookup.ttlSeconds() + " IN TLSA " + r.toPresentation());
        }
        for (String u : lookup.unusable()) {
            out.println("; unusable: " + u);
        }
        return lookup.isSecure() && !lookup.records().isEmpty() ? OK : NEGATIVE;
    }

    private int verify(Arguments a) throws UsageException {
        List<ServerOption> options = new ArrayList<>(DNS_OPTIONS);
        options.addAll(MATCH_OPTIONS);
        a.allow(Set.of("--chain"), options, 1);
        String name = a.positional(0);
        parseName(name);
        List<X509Certificate> chain = readChain(a.required("--chain"));
        ServerSettings settings = settings(a);
        DaneVerifier verifier = new DaneVerifier(dnsSource(settings), AllowList.any(), settings.matchPolicy());
        DaneOutcome outcome = verifier.verify(name, chain);
        out.println(outcome);
        return outcome.authenticated() ? OK : NEGATIVE;
    }

    private int request(Arguments a) throws UsageException {
        a.allow(Set.of("--key", "--cert", "--name", "-d", "--cacert", "--dane-clientid-codepoint"), List.of(), 1);
        java.net.URI url;
        try {
            url = java.net.URI.create(a.positional(0));
        } catch (IllegalArgumentException e) {
            throw new UsageException("not a URL: " + a.positional(0));
        }
        if (!"https".equals(url.getScheme()) || url.getHost() == null) {
            throw new UsageException("the URL must be https://HOST[:PORT]/PATH");
        }
        DaneName name = parseName(a.required("--name"));
        List<X509Certificate> chain = readChain(a.required("--cert"));
        java.security.KeyPair keys;
        try {
            keys = PrivateKeys.read(readText(a.required("--key")));
        } catch (java.security.GeneralSecurityException e) {
            throw new UsageException(a.required("--key") + ": " + e.getMessage());
        }
        int codepoint = a.intOption("--dane-clientid-codepoint", DaneTlsClient.DEFAULT_CODEPOINT);
        if (codepoint < 0 || codepoint > 65535) {
            throw new UsageException("--dane-clientid-codepoint must be 0-65535");
        }
        java.util.Set<java.security.cert.TrustAnchor> trust = null;
        if (a.option("--cacert") != null) {
            trust = new java.util.HashSet<>();
            for (X509Certificate c : readChain(a.option("--cacert"))) {
                trust.add(new java.security.cert.TrustAnchor(c, null));
            }
        }
        // BouncyCastle's client keeps only the standard extensions of the server's CertificateRequest: whether the
        // server offered dane_clientid is not visible here, so the name is sent because it was asked for
        err.println("keycloak-dane: sending dane_clientid " + name + " (extension " + codepoint
                + ") in the TLS 1.3 Certificate message; this client cannot see whether the server offered it");
        String data = a.option("-d");
        DaneTlsClient client = new DaneTlsClient(chain, keys.getPrivate(), name.value(), codepoint, trust);
        try {
            DaneTlsClient.Response response = data == null ? client.send("GET", url, null, null)
                    : client.send("POST", url, "application/x-www-form-urlencoded",
                    data.getBytes(StandardCharsets.UTF_8));
            err.println("keycloak-dane: HTTP " + response.status());
            out.println(response.body());
            return response.status() / 100 == 2 ? OK : NEGATIVE;
        } catch (DaneTlsClient.Refused e) {
            err.println("keycloak-dane: " + e.getMessage());
            return NEGATIVE;
        } catch (IOException e) {
            err.println("keycloak-dane: " + url + ": " + e.getMessage());
            return NEGATIVE;
        }
    }

    /** The server options given on the command line, parsed as the server parses them, named as the CLI names them. */
    private static ServerSettings settings(Arguments a) throws UsageException {
        try {
            return ServerSettings.parse(o -> o.type == ServerOption.Type.BOOLEAN
                    ? (a.flags.contains(o.cliFlag()) ? "true" : null) : a.option(o.cliFlag()), ServerOption::cliFlag);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static DnsTlsaSource dnsSource(ServerSettings settings) throws UsageException {
        try {
            return settings.dnsSource(ServerOption::cliFlag);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static DaneName parseName(String name) throws UsageException {
        try {
            return DaneName.parse(name);
        } catch (InvalidNameException e) {
            throw new UsageException("invalid name '" + name + "': " + e.getMessage());
        }
    }

    static void readRecords(String file, List<TlsaRecord> records, List<String> unusable) throws UsageException {
        String[] lines = readText(file).split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            if (line.isBlank()) {
                continue;
            }
            try {
                records.add(TlsaRecord.parse(line));
            } catch (UnusableRecordException e) {
                unusable.add(e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new UsageException(file + " line " + (i + 1) + ": " + e.getMessage());
            }
        }
    }

    static List<X509Certificate> readChain(String file) throws UsageException {
        try {
            List<X509Certificate> chain = CertificateParser.parsePem(readText(file));
            if (chain.isEmpty()) {
                throw new UsageException(file + ": no certificate found");
            }
            return chain;
        } catch (CertificateException e) {
            throw new UsageException(file + ": not PEM certificates (" + CertificateParser.parser() + " parser): "
                    + e.getMessage());
        }
    }

    private static String readText(String file) throws UsageException {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UsageException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** {@code --option value} pairs, boolean {@code --flags} and positional arguments after the command. */
    static final class Arguments {
        final Map<String, String> options = new HashMap<>();
        final Set<String> flags = new LinkedHashSet<>();
        final List<String> positionals = new ArrayList<>();

        static Arguments parse(String[] args) throws UsageException {
            Arguments a = new Arguments();
            for (int i = 1; i < args.length; i++) {
                String arg = args[i];
                if (arg.equals("-d")) {
                    if (i + 1 >= args.length) {
                        throw new UsageException("-d needs a value");
                    }
                    a.options.put(arg, args[++i]);
                } else if (arg.startsWith("--")) {
                    boolean isFlag = arg.equals("--help") || arg.equals(KEY_IN_DNS) || ServerOption.forCli().stream()
                            .anyMatch(o -> o.type == ServerOption.Type.BOOLEAN && o.cliFlag().equals(arg));
                    if (isFlag) {
                        a.flags.add(arg);
                    } else if (i + 1 < args.length) {
                        a.options.put(arg, args[++i]);
                    } else {
                        throw new UsageException(arg + " needs a value");
                    }
                } else {
                    a.positionals.add(arg);
                }
            }
            return a;
        }

        /** Refuses what the command does not take: its own options, and the server options it shares. */
        void allow(Set<String> commandOptions, List<ServerOption> serverOptions, int positionalCount)
                throws UsageException {
            Set<String> allowedOptions = new HashSet<>(commandOptions);
            Set<String> allowedFlags = new HashSet<>();
            for (ServerOption o : serverOptions) {
                (o.type == ServerOption.Type.BOOLEAN ? allowedFlags : allowedOptions).add(o.cliFlag());
            }
            for (String o : options.keySet()) {
                if (!allowedOptions.contains(o)) {
                    throw new UsageException("unknown option " + o + " (try --help)");
                }
            }
            for (String f : flags) {
                if (!allowedFlags.contains(f)) {
                    throw new UsageException("unknown option " + f + " (try --help)");
                }
            }
            if (positionals.size() != positionalCount) {
                throw new UsageException(positionalCount == 0 ? "unexpected argument " + positionals.get(0)
                        : "expected a NAME argument (try --help)");
            }
        }

        String option(String name) {
            return options.get(name);
        }

        String required(String name) throws UsageException {
            String value = options.get(name);
            if (value == null) {
                throw new UsageException("missing " + name + " (try --help)");
            }
            return value;
        }

        int intOption(String name, int fallback) throws UsageException {
            String value = options.get(name);
            if (value == null) {
                return fallback;
            }
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new UsageException(name + " must be a number, not '" + value + "'");
            }
        }

        String positional(int index) {
            return positionals.get(index);
        }
    }
}
