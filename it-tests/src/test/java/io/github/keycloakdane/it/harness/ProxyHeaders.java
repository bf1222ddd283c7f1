package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The certificate headers of the proxies that are not packaged for Debian, exactly as each sends them for a client
 * whose TLS handshake presented {@code chain} (leaf first, then the certificates the client sent after it):
 * <ul>
 * <li>Traefik v3, middleware {@code passTLSClientCert} with {@code pem: true}
 * ({@code pkg/middlewares/passtlsclientcert}): {@value KeycloakOptions#TRAEFIK_CERT_HEADER}, each peer certificate
 * as PEM with the BEGIN/END lines and line breaks removed (that is, base64 of DER), joined by {@code ,};</li>
 * <li>Envoy, {@code forward_client_cert_details: SANITIZE_SET} with {@code set_current_client_cert_details}
 * {@code cert}, {@code chain}, {@code subject}, {@code dns}: {@value KeycloakOptions#ENVOY_XFCC_HEADER}
 * {@code Hash=<SHA-256 of the leaf, hex>;Cert="<leaf PEM>";Chain="<PEM of every certificate, leaf included>";
 * Subject="<RFC 2253>";DNS=<name>...}, each PEM percent-encoded (every byte but {@code A-Z a-z 0-9 - . _ ~}, as
 * Envoy's {@code PercentEncoding::urlEncode});</li>
 * <li>RFC 9440 (e.g. Cloudflare's {@code cf.tls_client_auth.cert_rfc9440} / {@code cert_chain_rfc9440}):
 * {@value KeycloakOptions#RFC9440_CERT_HEADER} {@code :<base64 DER>:} and, when the client sent more than its leaf,
 * {@value KeycloakOptions#RFC9440_CHAIN_HEADER} {@code :<base64 DER>:, ...} without the leaf.</li>
 * </ul>
 */
public final class ProxyHeaders {

    private ProxyHeaders() {
    }

    public static Map<String, String> traefik(List<X509Certificate> chain) {
        return Map.of(KeycloakOptions.TRAEFIK_CERT_HEADER,
                chain.stream().map(ProxyHeaders::base64Der).collect(Collectors.joining(",")));
    }

    public static Map<String, String> envoy(List<X509Certificate> chain) {
        X509Certificate leaf = chain.get(0);
        List<String> fields = new ArrayList<>();
        fields.add("Hash=" + sha256Hex(leaf));
        fields.add("Cert=\"" + percentEncode(TestPki.pem(List.of(leaf))) + "\"");
        fields.add("Chain=\"" + chain.stream().map(c -> percentEncode(TestPki.pem(List.of(c))))
                .collect(Collectors.joining()) + "\"");
        fields.add("Subject=\"" + leaf.getSubjectX500Principal().getName() + "\"");
        dnsNames(leaf).forEach(n -> fields.add("DNS=" + n));
        return Map.of(KeycloakOptions.ENVOY_XFCC_HEADER, String.join(";", fields));
    }

    public static Map<String, String> rfc9440(List<X509Certificate> chain) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(KeycloakOptions.RFC9440_CERT_HEADER, ":" + base64Der(chain.get(0)) + ":");
        if (chain.size() > 1) {
            headers.put(KeycloakOptions.RFC9440_CHAIN_HEADER, chain.subList(1, chain.size()).stream()
                    .map(c -> ":" + base64Der(c) + ":").collect(Collectors.joining(", ")));
        }
        return headers;
    }

    private static String base64Der(X509Certificate cert) {
        try {
            return Base64.getEncoder().encodeToString(cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256Hex(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String percentEncode(String text) {
        StringBuilder s = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                s.append(c);
            } else {
                s.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return s.toString();
    }

    private static List<String> dnsNames(X509Certificate cert) {
        try {
            return cert.getSubjectAlternativeNames() == null ? List.of()
                    : cert.getSubjectAlternativeNames().stream().filter(n -> (Integer) n.get(0) == 2)
                            .map(n -> (String) n.get(1)).toList();
        } catch (CertificateParsingException e) {
            throw new IllegalStateException(e);
        }
    }
}
