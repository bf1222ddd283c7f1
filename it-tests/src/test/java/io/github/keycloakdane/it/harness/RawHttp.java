package io.github.keycloakdane.it.harness;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One form POST over a plain socket bound to a chosen source address (e.g. 127.0.0.2, so that Keycloak sees a sender
 * that is not in {@code proxy-trusted-addresses}; java.net.http cannot choose the source address on Java 17), with
 * headers sent exactly as given, which is the point: forged proxy headers. HTTP/1.0, so that the answer is neither
 * chunked nor kept alive.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** POST application/x-www-form-urlencoded to the plain-http {@code uri} from {@code localAddress}. */
    public static TlsHttp.Response postFormFrom(InetAddress localAddress, URI uri, Map<String, String> form,
                                                Map<String, String> headers) {
        if (!"http".equals(uri.getScheme())) {
            throw new IllegalArgumentException("plain http only: " + uri);
        }
        byte[] body = TlsHttp.formBody(form).getBytes(StandardCharsets.UTF_8);
        StringBuilder req = new StringBuilder("POST " + uri.getRawPath() + " HTTP/1.0\r\n");
        req.append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        req.append("Content-Type: application/x-www-form-urlencoded\r\n");
        headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
        req.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(localAddress, 0));
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            String response = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int headerEnd = response.indexOf("\r\n\r\n");
            if (headerEnd < 0) {
                throw new IOException("no HTTP response: " + response);
            }
            int status = Integer.parseInt(response.substring(0, headerEnd).split(" ")[1]);
            return new TlsHttp.Response(status, response.substring(headerEnd + 4));
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + uri + " from " + localAddress + ": " + e, e);
        }
    }
}
