package io.github.keycloakdane.core;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.Provider;
import java.security.Security;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses X.509 certificates the way OpenSSL does for DANE: with BouncyCastle, which accepts certificates the JDK's
 * own parser refuses although nothing in DANE-EE looks at what it objects to (an empty subject and issuer DN, for
 * one). Inside Keycloak BouncyCastle is Keycloak's own; the CLI finds it beside the jar. Where it is absent, the
 * JDK's parser is the fallback, and {@link #parser()} says which one is in use.
 */
public final class CertificateParser {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END (?:X509 |TRUSTED )?CERTIFICATE-----");
    private static final Provider BOUNCY_CASTLE = bouncyCastle();

    private CertificateParser() {
    }

    private static Provider bouncyCastle() {
        Provider registered = Security.getProvider("BC");
        if (registered != null) {
            return registered;
        }
        try {
            return new org.bouncycastle.jce.provider.BouncyCastleProvider();
        } catch (LinkageError e) {
            return null; // not on the class path: the JDK's parser it is
        }
    }

    /** "BouncyCastle" or "JDK": which parser this process uses. */
    public static String parser() {
        return BOUNCY_CASTLE != null ? "BouncyCastle" : "JDK";
    }

    /** One DER-encoded certificate. */
    public static X509Certificate parseDer(byte[] der) throws CertificateException {
        if (der == null || der.length == 0) {
            throw new CertificateException("no certificate data");
        }
        try {
            CertificateFactory factory = BOUNCY_CASTLE != null
                    ? CertificateFactory.getInstance("X.509", BOUNCY_CASTLE) : CertificateFactory.getInstance("X.509");
            X509Certificate cert = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
            if (cert == null) {
                throw new CertificateException("no certificate data");
            }
            return cert;
        } catch (CertificateException e) {
            throw e;
        } catch (RuntimeException e) {
            // parsers signal some malformed input with unchecked exceptions: still just "not a certificate"
            throw new CertificateException("not a DER X.509 certificate: " + e, e);
        }
    }

    /** The certificates of a PEM text, in order; an empty list when it holds none. */
    public static List<X509Certificate> parsePem(String pem) throws CertificateException {
        List<X509Certificate> certificates = new ArrayList<>();
        Matcher m = PEM.matcher(pem);
        while (m.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(1).getBytes(StandardCharsets.US_ASCII));
            } catch (IllegalArgumentException e) {
                throw new CertificateException("PEM block " + (certificates.size() + 1) + " is not base64: "
                        + e.getMessage());
            }
            try {
                certificates.add(parseDer(der));
            } catch (CertificateException e) {
                throw new CertificateException("PEM block " + (certificates.size() + 1) + ": " + e.getMessage(), e);
            }
        }
        return certificates;
    }
}
