package io.github.keycloakdane.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.keycloakdane.testing.TestPki.Issued;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * HTTP(S) client for the ITs: a {@link HttpClient} (HTTP/1.1, no redirects followed) whose TLS layer trusts exactly
 * the given certificates (hostname verification on, so server certificates need an IP SAN 127.0.0.1; see
 * {@code TestPki.tlsServer}) and, optionally, presents a client certificate chain with its private key — whatever the
 * server's CertificateRequest lists as acceptable CAs (an expired or self-signed DANE certificate is presented as it
 * is). Instances are immutable; {@code with*} methods return new ones.
 *
 * <pre>{@code
 * TlsHttp http = TlsHttp.trusting(stack.serverTrust()).withClientCertificate(device, List.of(device.cert(), ca.cert()));
 * TlsHttp.Response r = http.postForm(tokenUri, Map.of("grant_type", "client_credentials", "client_id", "dev"));
 * assertThat(r.status()).isEqualTo(200);
 * String token = r.json().get("access_token").asText();
 * }</pre>
 */
public final class TlsHttp {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    /** Status, headers and body of a response. */
    public record Response(int status, HttpHeaders headers, String body) {

        /** The body parsed as JSON. */
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON (status " + status + "): " + body, e);
            }
        }

        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        /** The Location header, resolved against nothing (as sent). */
        public Optional<String> location() {
            return header("Location");
        }

        @Override
        public String toString() {
            return status + " " + (body.length() > 500 ? body.substring(0, 500) + "..." : body);
        }
    }

    private final List<X509Certificate> trusted;
    private final PrivateKey clientKey;
    private final List<X509Certificate> clientChain;
    private final boolean cookies;
    private final SSLContext sslContext;
    private final HttpClient client;

    private TlsHttp(List<X509Certificate> trusted, PrivateKey clientKey, List<X509Certificate> clientChain,
                    boolean cookies) {
        this.trusted = List.copyOf(trusted);
        this.clientKey = clientKey;
        this.clientChain = clientChain == null ? List.of() : List.copyOf(clientChain);
        this.cookies = cookies;
        this.sslContext = sslContext(this.trusted, clientKey, this.clientChain);
        HttpClient.Builder b = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(10))
                .sslContext(sslContext);
        if (cookies) {
            b.cookieHandler(new CookieManager(null, CookiePolicy.ACCEPT_ALL));
        }
        this.client = b.build();
    }

    /** For plain http:// only (its TLS context trusts nothing). */
    public static TlsHttp plain() {
        return new TlsHttp(List.of(), null, null, false);
    }

    /** Trusts exactly these certificates (CA or server certificates) as anchors; presents no client certificate. */
    public static TlsHttp trusting(Collection<X509Certificate> trustAnchors) {
        return new TlsHttp(List.copyOf(trustAnchors), null, null, false);
    }

    public static TlsHttp trusting(X509Certificate... trustAnchors) {
        return trusting(List.of(trustAnchors));
    }

    /** The same trust, presenting {@code chain} (leaf first) with {@code key}. */
    public TlsHttp withClientCertificate(PrivateKey key, List<X509Certificate> chain) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("empty client chain");
        }
        return new TlsHttp(trusted, key, chain, cookies);
    }

    /** The same trust, presenting the leaf (and any issuers after it) with the leaf's private key. */
    public TlsHttp withClientCertificate(Issued leaf, X509Certificate... issuers) {
        List<X509Certificate> chain = new ArrayList<>();
        chain.add(leaf.cert());
        chain.addAll(Arrays.asList(issuers));
        return withClientCertificate(leaf.keyPair().getPrivate(), chain);
    }

    /** The same trust, no client certificate. */
    public TlsHttp withoutClientCertificate() {
        return new TlsHttp(trusted, null, null, cookies);
    }

    /** The same configuration with a fresh cookie jar (for browser-like flows). */
    public TlsHttp withCookies() {
        return new TlsHttp(trusted, clientKey, clientChain, true);
    }

    /**
     * This configuration's SSLContext (trust + client certificate), e.g. for HtmlUnit:
     * {@code webClient.getOptions().setSSLContext(http.sslContext())}.
     */
    public SSLContext sslContext() {
        return sslContext;
    }

    /** The underlying client, for anything the helpers do not cover. */
    public HttpClient client() {
        return client;
    }

    public List<X509Certificate> clientChain() {
        return clientChain;
    }

    // ------------------------------------------------------------------------------------------------ requests

    public Response get(URI uri, String... headerNameValues) {
        return send(request(uri, headerNameValues).GET().build());
    }

    /** POST application/x-www-form-urlencoded (fields in the map's order). */
    public Response postForm(URI uri, Map<String, String> form, String... headerNameValues) {
        return send(request(uri, headerNameValues)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form)))
                .build());
    }

    /** POST a JSON body (a string as it is, anything else serialised with Jackson). */
    public Response postJson(URI uri, Object body, String... headerNameValues) {
        return send(request(uri, headerNameValues)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json(body)))
                .build());
    }

    public Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static HttpRequest.Builder request(URI uri, String... headerNameValues) {
        if (headerNameValues.length % 2 != 0) {
            throw new IllegalArgumentException("headers come as name, value pairs");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT);
        for (int i = 0; i < headerNameValues.length; i += 2) {
            b.header(headerNameValues[i], headerNameValues[i + 1]);
        }
        return b;
    }

    public static String formBody(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    static String json(Object body) {
        if (body instanceof String s) {
            return s;
        }
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise " + body, e);
        }
    }

    // ------------------------------------------------------------------------------------------------ raw http

    /**
     * One plain-HTTP/1.1 request over a socket bound to {@code localAddress} (e.g. 127.0.0.2, so that Keycloak sees a
     * sender that is not in {@code proxy-trusted-addresses}; java.net.http cannot choose the source address on Java
     * 17). Headers are sent exactly as given, which is the point: forged proxy headers.
     */
    public static Response plainFrom(InetAddress localAddress, String method, URI uri, Map<String, String> headers,
                                     String body) {
        if (!"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("plain http only: " + uri);
        }
        byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder req = new StringBuilder();
        String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        req.append(method).append(' ').append(path.isEmpty() ? "/" : path).append(" HTTP/1.1\r\n");
        req.append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        req.append("Connection: close\r\n");
        headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        if (body != null) {
            req.append("Content-Length: ").append(content.length).append("\r\n");
        }
        req.append("\r\n");
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(localAddress, 0));
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
            s.setSoTimeout((int) TIMEOUT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(content);
            out.flush();
            return parse(s.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + uri + " from " + localAddress + ": " + e, e);
        }
    }

    public static Response postFormFrom(InetAddress localAddress, URI uri, Map<String, String> form,
                                         Map<String, String> headers) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put("Content-Type", "application/x-www-form-urlencoded");
        return plainFrom(localAddress, "POST", uri, h, formBody(form));
    }

    private static Response parse(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        byte[] bytes = all.toByteArray();
        int headerEnd = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        if (headerEnd < 0) {
            throw new IOException("no HTTP response: " + new String(bytes, StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(bytes, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.computeIfAbsent(lines[i].substring(0, colon).strip(), k -> new ArrayList<>())
                        .add(lines[i].substring(colon + 1).strip());
            }
        }
        byte[] rest = Arrays.copyOfRange(bytes, headerEnd + 4, bytes.length);
        String te = headers.getOrDefault("Transfer-Encoding", List.of("")).get(0);
        String body = te.toLowerCase(Locale.ROOT).contains("chunked") ? dechunk(rest)
                : new String(rest, StandardCharsets.UTF_8);
        return new Response(status, HttpHeaders.of(headers, (a, b) -> true), body);
    }

    private static String dechunk(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (pos < data.length) {
            int lineEnd = indexOf(Arrays.copyOfRange(data, pos, data.length), "\r\n".getBytes(StandardCharsets.ISO_8859_1));
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(data, pos, lineEnd, StandardCharsets.ISO_8859_1).split(";")[0].strip();
            int size = Integer.parseInt(sizeText, 16);
            pos += lineEnd + 2;
            if (size == 0) {
                break;
            }
            out.write(data, pos, Math.min(size, data.length - pos));
            pos += size + 2;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static int indexOf(byte[] data, byte[] needle) {
        outer:
        for (int i = 0; i <= data.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ------------------------------------------------------------------------------------------------ TLS

    /**
     * An SSLContext trusting exactly {@code trustAnchors} (JDK PKIX validation, so hostname verification by the
     * HttpClient still applies) and, when {@code clientKey} is given, presenting {@code clientChain}.
     */
    public static SSLContext sslContext(List<X509Certificate> trustAnchors, PrivateKey clientKey,
                                        List<X509Certificate> clientChain) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trustAnchors.size(); i++) {
                trust.setCertificateEntry("anchor-" + i, trustAnchors.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManager[] kms = clientKey == null ? null
                    : new KeyManager[] {new FixedClientKeyManager(clientKey, clientChain)};
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kms, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build SSLContext", e);
        }
    }

    /**
     * Always offers its one key and chain when the key type fits, regardless of the CA names in the server's
     * CertificateRequest and of the certificate's validity: the tests decide what is presented, the server decides.
     */
    private static final class FixedClientKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        FixedClientKeyManager(PrivateKey key, List<X509Certificate> chain) {
            this.key = key;
            this.chain = chain.toArray(X509Certificate[]::new);
        }

        private String aliasFor(String[] keyTypes) {
            String alg = key.getAlgorithm(); // RSA, EC, EdDSA (Ed25519 keys)
            for (String t : keyTypes) {
                if (t.equals(alg) || t.startsWith(alg + "_") || (alg.equals("EdDSA") && t.equalsIgnoreCase("Ed25519"))
                        || (alg.equals("Ed25519") && t.equals("EdDSA"))) {
                    return ALIAS;
                }
            }
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return aliasFor(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return aliasFor(keyType);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return aliasFor(new String[] {keyType}) == null ? null : new String[] {ALIAS};
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }
    }
}
