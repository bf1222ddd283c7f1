package io.github.keycloakdane.dns;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Decides whether a resolver's TLS certificate chain is the configured resolver's: the chain is PKIX-validated to
 * the configured CA certificates (or the JVM's trust store) and its leaf must carry the configured name (subjectAltName
 * only, no common-name fallback); and/or the leaf's SubjectPublicKeyInfo must match a pin (SHA-256). With pins alone
 * the chain is not validated: the pinned key is the resolver's identity (RFC 7858 §4.2).
 */
final class ResolverTrust extends X509ExtendedTrustManager {

    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private final String name;
    /** null: pins only, no chain validation and no name check. */
    private final X509TrustManager pkix;
    private final List<byte[]> pins;

    private ResolverTrust(String name, X509TrustManager pkix, List<byte[]> pins) {
        this.name = name;
        this.pkix = pkix;
        this.pins = pins;
    }

    static ResolverTrust of(String name, List<X509Certificate> ca, List<byte[]> pins) {
        X509TrustManager pkix = null;
        if (!ca.isEmpty() || pins.isEmpty()) {
            try {
                TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
                if (ca.isEmpty()) {
                    tmf.init((KeyStore) null); // the JVM's trust store
                } else {
                    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                    store.load(null, null);
                    for (int i = 0; i < ca.size(); i++) {
                        store.setCertificateEntry("resolver-ca-" + i, ca.get(i));
                    }
                    tmf.init(store);
                }
                for (TrustManager tm : tmf.getTrustManagers()) {
                    if (tm instanceof X509TrustManager x509) {
                        pkix = x509;
                    }
                }
            } catch (GeneralSecurityException | java.io.IOException e) {
                throw new IllegalArgumentException("cannot set up the resolver's certificate check: " + e, e);
            }
            if (pkix == null) {
                throw new IllegalArgumentException("no X.509 trust manager for the resolver's certificate check");
            }
        }
        return new ResolverTrust(name, pkix, List.copyOf(pins));
    }

    /** A TLS client context that trusts exactly what this decides. */
    SSLContext context() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {this}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS client context", e);
        }
    }

    /** Whether the name is an address literal (then it is matched against iPAddress entries and not sent as SNI). */
    static boolean isAddress(String name) {
        return IPV4.matcher(name).matches() || name.indexOf(':') >= 0;
    }

    private void check(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the resolver sent no certificate");
        }
        X509Certificate leaf = chain[0];
        if (pkix != null) {
            try {
                pkix.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                // no cause: this message is the one the lookup's detail shows
                throw new CertificateException("the resolver's certificate (" + leaf.getSubjectX500Principal()
                        + ") is not trusted: " + e.getMessage());
            }
            if (!carriesName(leaf)) {
                throw new CertificateException("the resolver's certificate (" + leaf.getSubjectX500Principal()
                        + ") does not name " + name);
            }
        }
        if (!pins.isEmpty()) {
            byte[] digest = sha256(leaf.getPublicKey().getEncoded());
            if (pins.stream().noneMatch(pin -> MessageDigest.isEqual(pin, digest))) {
                throw new CertificateException("the resolver's key (sha256/"
                        + java.util.Base64.getEncoder().encodeToString(digest) + ") matches no pin");
            }
        }
    }

    private boolean carriesName(X509Certificate leaf) throws CertificateParsingException {
        Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
        if (sans == null) {
            return false;
        }
        boolean address = isAddress(name);
        for (List<?> san : sans) {
            int type = (Integer) san.get(0);
            String value = String.valueOf(san.get(1));
            if (address && type == SAN_IP && sameAddress(value, name)) {
                return true;
            }
            if (!address && type == SAN_DNS && dnsNameMatches(value, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameAddress(String a, String b) {
        try {
            // literals only: both are address texts, so no lookup happens
            return InetAddress.getByName(a).equals(InetAddress.getByName(b));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** Exact (case-insensitive, trailing dots ignored) or a wildcard {@code *.rest} for exactly one leftmost label. */
    static boolean dnsNameMatches(String pattern, String host) {
        String p = strip(pattern);
        String h = strip(host);
        if (p.equals(h)) {
            return true;
        }
        if (p.startsWith("*.") && p.indexOf('*', 1) < 0) {
            int dot = h.indexOf('.');
            return dot > 0 && h.substring(dot + 1).equals(p.substring(2)) && p.substring(2).indexOf('.') > 0;
        }
        return false;
    }

    private static String strip(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        check(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a resolver channel authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("a resolver channel authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("a resolver channel authenticates servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
