package io.github.keycloakdane.gateway;

import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.TlsContext;
import org.bouncycastle.tls.TlsUtils;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Vector;

/**
 * A TLS 1.3 CertificateRequest that also offers {@code dane_clientid} (zero-length ClientName). BouncyCastle's
 * {@link CertificateRequest#encode} writes only its standard extensions, so this writes them through it and appends
 * the offer to the extensions block.
 */
final class DaneCertificateRequest extends CertificateRequest {

    private final int codepoint;

    DaneCertificateRequest(Vector<?> signatureAlgorithms, int codepoint) throws IOException {
        super(TlsUtils.EMPTY_BYTES, signatureAlgorithms, null, null);
        this.codepoint = codepoint;
    }

    @Override
    public void encode(TlsContext context, OutputStream output) throws IOException {
        ByteArrayOutputStream standard = new ByteArrayOutputStream();
        super.encode(context, standard);
        ByteArrayInputStream in = new ByteArrayInputStream(standard.toByteArray());
        byte[] requestContext = TlsUtils.readOpaque8(in);
        byte[] extensions = TlsUtils.readOpaque16(in);

        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.write(extensions);
        TlsUtils.writeUint16(codepoint, all);
        TlsUtils.writeOpaque16(DaneClientId.OFFER, all);

        TlsUtils.writeOpaque8(requestContext, output);
        TlsUtils.writeOpaque16(all.toByteArray(), output);
    }
}
