package io.github.keycloakdane.gateway;

import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.Reason;
import io.github.keycloakdane.core.SafeText;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.AlertLevel;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.CertificateRequest;
import org.bouncycastle.tls.DefaultTlsServer;
import org.bouncycastle.tls.HashAlgorithm;
import org.bouncycastle.tls.ProtocolVersion;
import org.bouncycastle.tls.SignatureAlgorithm;
import org.bouncycastle.tls.SignatureAndHashAlgorithm;
import org.bouncycastle.tls.TlsCredentials;
import org.bouncycastle.tls.TlsFatalAlert;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.TlsCryptoParameters;
import org.bouncycastle.tls.crypto.impl.bc.BcDefaultTlsCredentialedSigner;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection's TLS 1.3 server: asks for a certificate with {@code dane_clientid} offered, reads the client's name
 * from its Certificate message, and checks it in the order that keeps untrusted input cheap: the name's syntax and the
 * allow list when the Certificate arrives (no DNS query for a refused name), the TLSA lookup and match only after the
 * client has proven its key (CertificateVerify) and finished the handshake. Any failure ends the handshake with
 * {@code handshake_failure}; the name is known to the HTTP side only after success.
 */
final class DaneTlsServer extends DefaultTlsServer {

    private static final Logger LOG = Logger.getLogger(DaneTlsServer.class.getName());

    private final GatewayConfig config;
    private final DaneVerifier verifier;
    private final Certificate serverChain;
    private final String peer;

    private DaneName claimed;
    private List<X509Certificate> clientChain = List.of();
    private volatile DaneOutcome outcome;
    private volatile boolean complete;

    DaneTlsServer(BcTlsCrypto crypto, GatewayConfig config, Certificate serverChain, DaneVerifier verifier,
                  String peer) {
        super(crypto);
        this.config = config;
        this.verifier = verifier;
        this.serverChain = serverChain;
        this.peer = peer;
    }

    @Override
    protected ProtocolVersion[] getSupportedVersions() {
        return ProtocolVersion.TLSv13.only();
    }

    @Override
    public TlsCredentials getCredentials() throws IOException {
        AsymmetricKeyParameter key = config.key();
        SignatureAndHashAlgorithm algorithm;
        if (key instanceof ECPrivateKeyParameters ec) {
            int bits = ec.getParameters().getCurve().getFieldSize();
            short hash = bits > 384 ? HashAlgorithm.sha512 : bits > 256 ? HashAlgorithm.sha384 : HashAlgorithm.sha256;
            algorithm = SignatureAndHashAlgorithm.getInstance(hash, SignatureAlgorithm.ecdsa);
        } else if (key instanceof RSAKeyParameters) {
            algorithm = SignatureAndHashAlgorithm.rsa_pss_rsae_sha256;
        } else if (key instanceof Ed25519PrivateKeyParameters) {
            algorithm = SignatureAndHashAlgorithm.ed25519;
        } else {
            throw new TlsFatalAlert(AlertDescription.internal_error, "unsupported gateway key type");
        }
        return new BcDefaultTlsCredentialedSigner(new TlsCryptoParameters(context), (BcTlsCrypto) getCrypto(), key,
                serverChain, algorithm);
    }

    @Override
    public CertificateRequest getCertificateRequest() throws IOException {
        return new DaneCertificateRequest(TlsUtils.getDefaultSupportedSignatureAlgorithms(context),
                config.codepoint());
    }

    @Override
    public void notifyClientCertificate(Certificate certificate) throws IOException {
        CertificateEntry[] entries = certificate == null ? new CertificateEntry[0] : certificate.getCertificateEntryList();
        Hashtable<?, ?> extensions = entries.length == 0 ? null : entries[0].getExtensions();
        byte[] data = extensions == null ? null : (byte[]) extensions.get(config.codepoint());
        if (data == null) {
            if (config.unauthenticatedPaths().isEmpty()) {
                throw entries.length == 0
                        ? refuse(AlertDescription.handshake_failure, Reason.NO_CERTIFICATE, "no client certificate")
                        : refuse(AlertDescription.handshake_failure, Reason.INVALID_NAME,
                        "no dane_clientid in the client's Certificate");
            }
            LOG.fine(() -> peer + ": no dane_clientid; unauthenticated paths only");
            return;
        }
        String name;
        try {
            name = DaneClientId.decode(data);
        } catch (TlsFatalAlert e) {
            throw refuse(e.getAlertDescription(), Reason.INVALID_NAME, e.getMessage());
        }
        try {
            claimed = DaneName.parse(name);
        } catch (InvalidNameException e) {
            throw refuse(AlertDescription.handshake_failure, Reason.INVALID_NAME, e.getMessage());
        }
        if (!verifier.allowList().admits(claimed)) {
            throw refuse(AlertDescription.handshake_failure, Reason.NOT_ALLOWED, claimed + " is not on the allow list");
        }
        List<X509Certificate> chain = new ArrayList<>();
        for (CertificateEntry entry : entries) {
            try {
                chain.add(CertificateParser.parseDer(entry.getCertificate().getEncoded()));
            } catch (Exception e) {
                throw refuse(AlertDescription.bad_certificate, Reason.NO_CERTIFICATE, "unparsable certificate: " + e);
            }
        }
        clientChain = List.copyOf(chain);
    }

    /** After CertificateVerify and Finished: the client holds the key; now, and only now, DNS is asked. */
    @Override
    public void notifyHandshakeComplete() throws IOException {
        super.notifyHandshakeComplete();
        if (claimed != null) {
            DaneOutcome result = verifier.verify(claimed, clientChain, null);
            if (!result.authenticated()) {
                throw refuse(AlertDescription.handshake_failure, result.reason(), result.detail());
            }
            outcome = result;
            LOG.info(() -> peer + ": authenticated " + claimed + " (" + result.recordAtDepth() + ")");
        }
        complete = true;
    }

    @Override
    public void notifyAlertRaised(short level, short description, String message, Throwable cause) {
        if (level == AlertLevel.fatal && LOG.isLoggable(Level.FINE)) {
            LOG.fine(peer + ": sent alert " + AlertDescription.getText(description) + " " + message);
        }
    }

    private TlsFatalAlert refuse(short alert, Reason reason, String detail) {
        String name = claimed == null ? "-" : claimed.value();
        LOG.info(() -> peer + ": refused " + name + " " + reason + ": " + SafeText.detail(String.valueOf(detail))
                + " (" + AlertDescription.getText(alert) + ")");
        return new TlsFatalAlert(alert, reason.name());
    }

    /** The authenticated outcome, or null for a client without {@code dane_clientid} (where the policy lets it in). */
    DaneOutcome outcome() {
        return outcome;
    }

    List<X509Certificate> clientChain() {
        return clientChain;
    }

    boolean handshakeComplete() {
        return complete;
    }
}
