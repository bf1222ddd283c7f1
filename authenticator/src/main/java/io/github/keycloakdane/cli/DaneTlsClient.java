package io.github.keycloakdane.cli;

import io.github.keycloakdane.core.Certificates;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsClient;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.ServerName;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsAuthentication;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsFatalAlertReceived;
import org.bouncycastle.tls.TlsNoCloseNotifyException;
import org.bouncycastle.tls.TlsServerCertificate;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.Vector;

/**
 * An HTTPS client for TLS-native DANE (draft-ietf-dance-client-auth): TLS 1.3 on BouncyCastle's TLS API, with the
 * device's DNS name in the {@code dane_clientid} extension of its Certificate message. BouncyCastle's client parses
 * only the standard extensions of the server's CertificateRequest, so it cannot see whether the server offered
 * {@code dane_clientid}: it sends the name whenever it is given one. HTTP/1.1 with {@code Connection: close}, one
 * request a connection.
 */
public final class DaneTlsClient {

    /**
     * The {@code dane_clientid} extension type until IANA assigns one: the first private-use value (RFC 8446 section
     * 11). The one definition: the gateway's default is this.
     */
    public static final int DEFAULT_CODEPOINT = 65280;

    private final List<X509Certificate> chain;
    private final PrivateKey key;
    private final String name;
    private final int codepoint;
    private final Set<TrustAnchor> trust;
    private ProtocolVersion[] versions = ProtocolVersion.TLSv13.only();

    /**
     * @param name  the name to send, or null for none ({@code ""} sends a zero-length name, for tests of refusals)
     * @param trust the anchors the server's certificate must chain to; null: the JDK's default trust store
     */
    public DaneTlsClient(List<X509Certificate> chain, PrivateKey key, String name, int codepoint,
                         Set<TrustAnchor> trust) {
        this.chain = chain;
        this.key = key;
        this.name = name;
        this.codepoint = codepoint;
        this.trust = trust;
    }

    /** Offers these TLS versions instead of TLS 1.3 only (a test's TLS 1.2 client). */
    public DaneTlsClient versions(ProtocolVersion... offered) {
        this.versions = offered;
        return this;
    }

    /** An HTTP response. */
    public record Response(int status, Map<String, String> headers, String body) {
    }

    /** The server ended the handshake or connection with a fatal alert. */
    public static final class Refused extends IOException {
        public final short alert;

        Refused(short alert, Throwable cause) {
            super("the server refused the connection: " + AlertDescription.getText(alert), cause);
            this.alert = alert;
        }
    }

    /** One request; {@code body} null sends none. */
    public Response send(String method, URI url, String contentType, byte[] body) throws IOException {
        return send(method, url, contentType, body, Map.of());
    }

    /** One request with extra header lines. */
    public Response send(String method, URI url, String contentType, byte[] body, Map<String, String> extra)
            throws IOException {
        String host = url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : 443;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), 10_000);
            socket.setSoTimeout(60_000);
            TlsClientProtocol protocol = new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream());
            try {
                protocol.connect(new Client(new BcTlsCrypto(new SecureRandom()), host));
                OutputStream out = protocol.getOutputStream();
                StringBuilder head = new StringBuilder();
                String target = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                        + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
                head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                        .append("Host: ").append(url.getRawAuthority()).append("\r\n")
                        .append("Connection: close\r\n")
                        .append("User-Agent: keycloak-dane-cli\r\n");
                extra.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
                if (body != null) {
                    head.append("Content-Type: ").append(contentType).append("\r\n")
                            .append("Content-Length: ").append(body.length).append("\r\n");
                }
                head.append("\r\n");
                try {
                    out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
                    if (body != null) {
                        out.write(body);
                    }
                    out.flush();
                } catch (TlsFatalAlertReceived | TlsFatalAlert e) {
                    throw e;
                } catch (IOException e) {
                    // TLS 1.3: the client's handshake ends with its Finished, so a server that refuses it says so with
                    // an alert that may be waiting unread while the request could no longer be written
                    protocol.getInputStream().read();
                    throw e;
                }
                return parse(readAll(protocol.getInputStream()));
            } catch (TlsFatalAlertReceived e) {
                throw new Refused(e.getAlertDescription(), e);
            } catch (TlsFatalAlert e) {
                throw new Refused(e.getAlertDescription(), e);
            } finally {
                try {
                    protocol.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
        } catch (TlsNoCloseNotifyException e) {
            // the server closed without close_notify: what was read is complete (Content-Length is checked below)
        }
        return all.toByteArray();
    }

    /** Status line, headers, and a Content-Length or chunked body. */
    static Response parse(byte[] raw) throws IOException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || end < 0) {
            throw new IOException("not an HTTP/1.1 response (" + raw.length + " bytes)");
        }
        String[] lines = text.substring(0, end).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).strip());
            }
        }
        String rest = text.substring(end + 4);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            StringBuilder body = new StringBuilder();
            int at = 0;
            while (true) {
                int lineEnd = rest.indexOf("\r\n", at);
                int size = Integer.parseInt(rest.substring(at, lineEnd).split(";")[0].strip(), 16);
                if (size == 0) {
                    break;
                }
                body.append(rest, lineEnd + 2, lineEnd + 2 + size);
                at = lineEnd + 2 + size + 2;
            }
            rest = body.toString();
        } else if (headers.containsKey("content-length")) {
            int length = Integer.parseInt(headers.get("content-length"));
            if (rest.length() < length) {
                throw new IOException("response truncated: " + rest.length() + " of " + length + " bytes");
            }
            rest = rest.substring(0, length);
        }
        byte[] bytes = rest.getBytes(StandardCharsets.ISO_8859_1);
        return new Response(status, headers, new String(bytes, StandardCharsets.UTF_8));
    }

    private final class Client extends DefaultTlsClient {
        private final String host;

        Client(BcTlsCrypto crypto, String host) {
            super(crypto);
            this.host = host;
        }

        @Override
        protected ProtocolVersion[] getSupportedVersions() {
            return versions;
        }

        @Override
        protected Vector getSNIServerNames() {
            if (host.matches("[0-9.]+") || host.contains(":")) {
                return null;
            }
            Vector<ServerName> names = new Vector<>();
            names.add(new ServerName((short) 0, host.getBytes(StandardCharsets.US_ASCII)));
            return names;
        }

        @Override
        public TlsAuthentication getAuthentication() {
            return new TlsAuthentication() {
                @Override
                public void notifyServerCertificate(TlsServerCertificate serverCertificate) throws IOException {
                    checkServer(serverCertificate.getCertificate(), host);
                }

                @Override
                public TlsCredentials getClientCredentials(CertificateRequest request) throws IOException {
                    return credentials(context, (BcTlsCrypto) getCrypto(), request);
                }
            };
        }
    }

    private TlsCredentials credentials(org.bouncycastle.tls.TlsContext context, BcTlsCrypto crypto,
                                       CertificateRequest request) throws IOException {
        CertificateEntry[] entries = new CertificateEntry[chain.size()];
        for (int i = 0; i < entries.length; i++) {
            Hashtable<Integer, byte[]> extensions = null;
            if (i == 0 && name != null) {
                extensions = new Hashtable<>();
                extensions.put(codepoint, encodeName(name));
            }
            try {
                entries[i] = new CertificateEntry(crypto.createCertificate(chain.get(i).getEncoded()), extensions);
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IOException(e);
            }
        }
        byte[] requestContext = request.getCertificateRequestContext();
        Certificate certificate = new Certificate(requestContext == null ? new byte[0] : requestContext, entries);
        AsymmetricKeyParameter privateKey = PrivateKeyFactory.createKey(key.getEncoded());
        SignatureAndHashAlgorithm algorithm;
        if (privateKey instanceof ECPrivateKeyParameters ec) {
            int bits = ec.getParameters().getCurve().getFieldSize();
            short hash = bits > 384 ? HashAlgorithm.sha512 : bits > 256 ? HashAlgorithm.sha384 : HashAlgorithm.sha256;
            algorithm = SignatureAndHashAlgorithm.getInstance(hash, SignatureAlgorithm.ecdsa);
        } else if (privateKey instanceof RSAKeyParameters) {
            algorithm = SignatureAndHashAlgorithm.rsa_pss_rsae_sha256;
        } else if (privateKey instanceof Ed25519PrivateKeyParameters) {
            algorithm = SignatureAndHashAlgorithm.ed25519;
        } else {
            throw new IOException("unsupported key type " + key.getAlgorithm());
        }
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), crypto, privateKey, certificate,
                algorithm);
    }

    /** {@code opaque ClientName<0..2^8-1>}: one length octet, then the name's ASCII octets. */
    public static byte[] encodeName(String name) {
        byte[] ascii = name.getBytes(StandardCharsets.US_ASCII);
        if (ascii.length > 255) {
            throw new IllegalArgumentException("a ClientName has at most 255 octets");
        }
        byte[] data = new byte[ascii.length + 1];
        data[0] = (byte) ascii.length;
        System.arraycopy(ascii, 0, data, 1, ascii.length);
        return data;
    }

    /** PKIX to the anchors (or the JDK's), and the host among the leaf's dNSName/IP SANs. */
    private void checkServer(Certificate certificate, String host) throws IOException {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> path = new ArrayList<>();
            for (int i = 0; i < certificate.getLength(); i++) {
                path.add((X509Certificate) factory.generateCertificate(
                        new java.io.ByteArrayInputStream(certificate.getCertificateAt(i).getEncoded())));
            }
            if (path.isEmpty()) {
                throw new TlsFatalAlert(AlertDescription.bad_certificate, "no server certificate");
            }
            Set<TrustAnchor> anchors = trust != null ? trust : jdkAnchors();
            List<X509Certificate> toValidate = new ArrayList<>(path);
            toValidate.removeIf(c -> anchors.stream().anyMatch(a -> c.equals(a.getTrustedCert())) && c != path.get(0));
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(factory.generateCertPath(toValidate), params);
            X509Certificate leaf = path.get(0);
            boolean named = Certificates.dnsNames(leaf).stream().anyMatch(n -> n.equalsIgnoreCase(host));
            Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
            if (!named && sans != null) {
                named = sans.stream().anyMatch(san -> Integer.valueOf(7).equals(san.get(0))
                        && host.equals(String.valueOf(san.get(1))));
            }
            if (!named) {
                throw new TlsFatalAlert(AlertDescription.bad_certificate, "the server's certificate is not for " + host);
            }
        } catch (TlsFatalAlert e) {
            throw e;
        } catch (Exception e) {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "the server's certificate: " + e.getMessage(), e);
        }
    }

    private static Set<TrustAnchor> jdkAnchors() throws Exception {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((java.security.KeyStore) null);
        Set<TrustAnchor> anchors = new java.util.HashSet<>();
        for (var tm : tmf.getTrustManagers()) {
            if (tm instanceof javax.net.ssl.X509TrustManager x) {
                for (X509Certificate c : x.getAcceptedIssuers()) {
                    anchors.add(new TrustAnchor(c, null));
                }
            }
        }
        return anchors;
    }
}
