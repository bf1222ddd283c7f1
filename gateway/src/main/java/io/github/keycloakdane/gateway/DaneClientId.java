package io.github.keycloakdane.gateway;

import io.github.keycloakdane.cli.DaneTlsClient;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.TlsFatalAlert;

import java.nio.charset.StandardCharsets;

/**
 * The {@code dane_clientid} TLS 1.3 extension of draft-ietf-dance-client-auth: {@code opaque ClientName<0..2^8-1>},
 * the client's DNS name (A-labels, no trailing dot). The server offers it with a zero-length name (the single octet
 * 0x00) in its CertificateRequest; the client answers with its name in the extension of its Certificate message's
 * first CertificateEntry. IANA has not assigned the codepoint yet: {@link #DEFAULT_CODEPOINT} is from the private-use
 * range (65280-65535, RFC 8446 section 11) and configurable.
 */
public final class DaneClientId {

    /** The first private-use extension type; both ends must agree on it until IANA assigns one. */
    public static final int DEFAULT_CODEPOINT = DaneTlsClient.DEFAULT_CODEPOINT;

    /** The server's offer: a zero-length ClientName. */
    public static final byte[] OFFER = {0};

    private DaneClientId() {
    }

    /** The extension's data for {@code name} (the CLI's encoding: the one both ends share). */
    public static byte[] encode(String name) {
        return DaneTlsClient.encodeName(name);
    }

    /**
     * The name in a client's extension data. A zero-length name is a refusal ({@code handshake_failure}); data that
     * is not one length-prefixed name is {@code decode_error}.
     */
    public static String decode(byte[] data) throws TlsFatalAlert {
        if (data == null || data.length == 0 || (data[0] & 0xff) != data.length - 1) {
            throw new TlsFatalAlert(AlertDescription.decode_error, "dane_clientid is not one ClientName");
        }
        if (data.length == 1) {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "dane_clientid carries a zero-length name");
        }
        for (int i = 1; i < data.length; i++) {
            if (data[i] <= 0x20 || data[i] >= 0x7f) {
                throw new TlsFatalAlert(AlertDescription.handshake_failure, "dane_clientid is not an A-label name");
            }
        }
        return new String(data, 1, data.length - 1, StandardCharsets.US_ASCII);
    }
}
