package io.github.keycloakdane.it.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.keycloakdane.testing.TestPki.Issued;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * HTTP(S) client of the ITs (HTTP/1.1, redirects not followed): trusts exactly the given certificates, with hostname
 * verification (server certificates need the IP SAN 127.0.0.1), and presents a chosen client certificate chain as it
 * is, whatever CAs the server asks for and however expired or self-signed it is. Immutable. Also a form POST from a
 * chosen source address with forged headers ({@link #postFormFrom}).
 */
public final class TlsHttp {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORM = "application/x-www-form-urlencoded";

    public record Response(int status, String body) {

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON (status " + status + "): " + body, e);
            }
        }

        @Override
        public String toString() {
            return status + " " + (body.length() > 500 ? body.substring(0, 500) + "..." : body);
        }
    }

    private final List<X509Certificate> trusted;
    private final HttpClient client;

    private TlsHttp(List<X509Certificate> trusted, PrivateKey clientKey, List<X509Certificate> clientChain) {
        this.trusted = List.copyOf(trusted);
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10))
                .sslContext(sslContext(this.trusted, clientKey, clientChain)).build();
    }

    /** Trusts exactly these certificates (CA or server certificates) as anchors; none for plain http:// only. */
    public static TlsHttp trusting(Collection<X509Certificate> trustAnchors) {
        return new TlsHttp(List.copyOf(trustAnchors), null, List.of());
    }

    public static TlsHttp trusting(X509Certificate... trustAnchors) {
        return trusting(List.of(trustAnchors));
    }

    /** The same trust, presenting the leaf (and any issuers after it) with the leaf's private key. */
    public TlsHttp withClientCertificate(Issued leaf, X509Certificate... issuers) {
        return new TlsHttp(trusted, leaf.keyPair().getPrivate(),
                Stream.concat(Stream.of(leaf.cert()), Stream.of(issuers)).toList());
    }

    public Response get(URI uri) {
        return send(HttpRequest.newBuilder(uri).GET());
    }

    /** A form POST (fields in the map's order), with extra headers as name, value pairs. */
    public Response postForm(URI uri, Map<String, String> form, String... headerNameValues) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Content-Type", FORM)
                .POST(HttpRequest.BodyPublishers.ofString(formBody(form)));
        for (int i = 0; i < headerNameValues.length; i += 2) {
            b.header(headerNameValues[i], headerNameValues[i + 1]);
        }
        return send(b);
    }

    private Response send(HttpRequest.Builder request) {
        HttpRequest r = request.timeout(Duration.ofSeconds(30)).build();
        try {
            HttpResponse<String> response = client.send(r, HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(r.method() + " " + r.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * A form POST over a plain socket from {@code localAddress} (e.g. 127.0.0.2, which is not in
     * {@code proxy-trusted-addresses}; java.net.http cannot choose it on Java 17), with the headers sent exactly as
     * given. HTTP/1.0, so that the answer is neither chunked nor kept alive.
     */
    public static Response postFormFrom(InetAddress localAddress, URI uri, Map<String, String> form,
                                        Map<String, String> headers) {
        if (!"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("plain http only: " + uri);
        }
        String body = formBody(form); // URL-encoded: ASCII
        String request = "POST " + uri.getRawPath() + " HTTP/1.0\r\nHost: " + uri.getRawAuthority() + "\r\n"
                + "Content-Type: " + FORM + "\r\nContent-Length: " + body.length() + "\r\n"
                + headers.entrySet().stream().map(h -> h.getKey() + ": " + h.getValue() + "\r\n")
                .collect(Collectors.joining()) + "\r\n" + body;
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(localAddress, 0));
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headerEnd = response.indexOf("\r\n\r\n");
            if (headerEnd < 0) {
                throw new IOException("no HTTP response: " + response);
            }
            int status = Integer.parseInt(response.substring(0, headerEnd).split(" ")[1]);
            return new Response(status, response.substring(headerEnd + 4));
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + uri + " from " + localAddress + ": " + e, e);
        }
    }

    private static String formBody(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /** The TLS layer of this class, for HtmlUnit and the admin client: {@code clientKey} may be null. */
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

    /** Offers its one key and chain whenever the key type fits: the tests decide what is presented. */
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
