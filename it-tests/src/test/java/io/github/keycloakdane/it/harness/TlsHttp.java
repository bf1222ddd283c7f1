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
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * HTTP(S) client for the ITs: a {@link HttpClient} (HTTP/1.1, no redirects followed) whose TLS layer trusts exactly
 * the given certificates (hostname verification on, so server certificates need an IP SAN 127.0.0.1; see
 * {@code TestPki.tlsServer}) and, optionally, presents a client certificate chain with its private key, whatever the
 * server's CertificateRequest lists as acceptable CAs (an expired or self-signed DANE certificate is presented as it
 * is). Instances are immutable; {@link #withClientCertificate} returns a new one.
 *
 * <pre>{@code
 * TlsHttp http = TlsHttp.trusting(stack.serverTrust()).withClientCertificate(device, ca.cert());
 * TlsHttp.Response r = http.postForm(tokenUri, Map.of("grant_type", "client_credentials", "client_id", "dev"));
 * }</pre>
 */
public final class TlsHttp {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Status and body of a response. */
    public record Response(int status, String body) {

        /** The body parsed as JSON. */
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

    /** For plain http:// only (its TLS context trusts nothing). */
    public static TlsHttp plain() {
        return trusting(List.of());
    }

    /** Trusts exactly these certificates (CA or server certificates) as anchors; presents no client certificate. */
    public static TlsHttp trusting(Collection<X509Certificate> trustAnchors) {
        return new TlsHttp(List.copyOf(trustAnchors), null, List.of());
    }

    public static TlsHttp trusting(X509Certificate... trustAnchors) {
        return trusting(List.of(trustAnchors));
    }

    /** The same trust, presenting the leaf (and any issuers after it) with the leaf's private key. */
    public TlsHttp withClientCertificate(Issued leaf, X509Certificate... issuers) {
        List<X509Certificate> chain = new ArrayList<>(List.of(leaf.cert()));
        chain.addAll(List.of(issuers));
        return new TlsHttp(trusted, leaf.keyPair().getPrivate(), chain);
    }

    public Response get(URI uri) {
        return send(HttpRequest.newBuilder(uri).GET());
    }

    /** POST application/x-www-form-urlencoded (fields in the map's order), with extra headers as name, value pairs. */
    public Response postForm(URI uri, Map<String, String> form, String... headerNameValues) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Content-Type", "application/x-www-form-urlencoded")
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

    static String formBody(Map<String, String> form) {
        return form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    /**
     * An SSLContext trusting exactly {@code trustAnchors} (JDK PKIX validation, so hostname verification by the
     * HttpClient still applies) and, when {@code clientKey} is given, presenting {@code clientChain}; e.g. for HtmlUnit
     * or the admin client.
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
