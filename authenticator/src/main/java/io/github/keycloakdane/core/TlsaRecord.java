package io.github.keycloakdane.core;

import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * One usable TLSA record: typed parameters and association data, checked once when it is built.
 * A record that cannot be built is <em>unusable</em> (RFC 6698 §4.1) and is reported with
 * {@link UnusableRecordException}, never used for matching.
 *
 * <p>Full(0) records are parsed here too, so that a DANE-TA record can serve as a trust anchor supplied by DNS:
 * {@code 2 0 0} carries a certificate ({@link #dnsCertificate()}), {@code 2 1 0} a public key ({@link #dnsPublicKey()}).
 */
public final class TlsaRecord {

    private static final HexFormat HEX = HexFormat.of();
    // Key algorithms an SPKI in a "x 1 0" record may carry; the JDK parses each without BouncyCastle.
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "DSA", "RSASSA-PSS");

    private final CertUsage usage;
    private final Selector selector;
    private final MatchingType matchingType;
    private final byte[] data;
    private final X509Certificate dnsCertificate;
    private final PublicKey dnsPublicKey;

    private TlsaRecord(CertUsage usage, Selector selector, MatchingType matchingType, byte[] data,
                       X509Certificate dnsCertificate, PublicKey dnsPublicKey) {
        this.usage = usage;
        this.selector = selector;
        this.matchingType = matchingType;
        this.data = data;
        this.dnsCertificate = dnsCertificate;
        this.dnsPublicKey = dnsPublicKey;
    }

    /** Builds a record from wire values, or says why it is unusable. */
    public static TlsaRecord of(int usageCode, int selectorCode, int matchingTypeCode, byte[] data)
            throws UnusableRecordException {
        CertUsage usage = CertUsage.of(usageCode);
        Selector selector = Selector.of(selectorCode);
        MatchingType matchingType = MatchingType.of(matchingTypeCode);
        String params = usageCode + " " + selectorCode + " " + matchingTypeCode;
        if (usage == null) {
            throw new UnusableRecordException(params, "unknown certificate usage " + usageCode);
        }
        if (selector == null) {
            throw new UnusableRecordException(params, "unknown selector " + selectorCode);
        }
        if (matchingType == null) {
            throw new UnusableRecordException(params, "unknown matching type " + matchingTypeCode);
        }
        if (data == null || data.length == 0) {
            throw new UnusableRecordException(params, "empty certificate association data");
        }
        if (matchingType.digestLength >= 0 && data.length != matchingType.digestLength) {
            throw new UnusableRecordException(params, matchingType + " data must be " + matchingType.digestLength
                    + " octets, not " + data.length);
        }
        X509Certificate cert = null;
        PublicKey key = null;
        if (matchingType == MatchingType.FULL) {
            if (selector == Selector.CERT) {
                cert = parseCertificate(data);
                if (cert == null) {
                    throw new UnusableRecordException(params, "Full(0) data is not a DER X.509 certificate");
                }
            } else {
                key = parsePublicKey(data);
                if (key == null) {
                    throw new UnusableRecordException(params, "Full(0) data is not a DER SubjectPublicKeyInfo");
                }
            }
        }
        return new TlsaRecord(usage, selector, matchingType, data.clone(), cert, key);
    }

    /**
     * Parses presentation format: {@code U S M HEX} (hex case-insensitive, white space inside allowed),
     * optionally preceded by {@code OWNER [TTL] [IN] TLSA}.
     *
     * @throws IllegalArgumentException when the text is not TLSA presentation format at all
     * @throws UnusableRecordException  when it is, but the record cannot be used
     */
    public static TlsaRecord parse(String text) throws UnusableRecordException {
        String[] tokens = text.strip().split("\\s+");
        int start = 0;
        for (int i = 0; i < tokens.length; i++) {
            // the last "TLSA" token is the type: an owner may be named "tlsa", hex data never contains it
            if (tokens[i].equalsIgnoreCase("TLSA")) {
                start = i + 1;
            }
        }
        if (tokens.length - start < 4) {
            throw new IllegalArgumentException("expected 'usage selector matching-type hex', got '" + text.strip() + "'");
        }
        int usage = parseOctet(tokens[start], "usage");
        int selector = parseOctet(tokens[start + 1], "selector");
        int matchingType = parseOctet(tokens[start + 2], "matching type");
        String hex = String.join("", Arrays.asList(tokens).subList(start + 3, tokens.length));
        byte[] data;
        try {
            data = HEX.parseHex(hex.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("certificate association data is not hex: '" + hex + "'");
        }
        return of(usage, selector, matchingType, data);
    }

    private static int parseOctet(String token, String what) {
        try {
            int value = Integer.parseInt(token);
            if (value >= 0 && value <= 255) {
                return value;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(what + " must be a number from 0 to 255, not '" + token + "'");
    }

    private static X509Certificate parseCertificate(byte[] der) {
        try {
            return CertificateParser.parseDer(der);
        } catch (CertificateException e) {
            return null;
        }
    }

    private static PublicKey parsePublicKey(byte[] der) {
        for (String algorithm : KEY_ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (Exception e) {
                // not this algorithm: try the next
            }
        }
        return null;
    }

    /** Whether this record's association data matches the given certificate. */
    public boolean matches(X509Certificate certificate) {
        byte[] selected = switch (selector) {
            case CERT -> Certificates.der(certificate);
            case SPKI -> Certificates.subjectPublicKeyInfo(certificate);
        };
        return matchesSelected(selected);
    }

    /**
     * Whether this record's association data matches a bare public key, given as its DER SubjectPublicKeyInfo: only a
     * selector 1 (SPKI) record can; a selector 0 record names a whole certificate, which a bare key is not.
     */
    public boolean matchesKey(byte[] subjectPublicKeyInfo) {
        return selector == Selector.SPKI && matchesSelected(subjectPublicKeyInfo);
    }

    /** The matching type applied to the selected bytes equals the association data (in constant time). */
    private boolean matchesSelected(byte[] selected) {
        return selected != null && java.security.MessageDigest.isEqual(matchingType.apply(selected), data);
    }

    public CertUsage usage() {
        return usage;
    }

    public Selector selector() {
        return selector;
    }

    public MatchingType matchingType() {
        return matchingType;
    }

    public byte[] data() {
        return data.clone();
    }

    /** For {@code x 0 0}: the certificate carried in DNS. */
    public X509Certificate dnsCertificate() {
        return dnsCertificate;
    }

    /** For {@code x 1 0}: the public key carried in DNS. */
    public PublicKey dnsPublicKey() {
        return dnsPublicKey;
    }

    /** {@code "3 1 1"}: the parameters, as events and logs show a record. */
    public String parameters() {
        return usage.code + " " + selector.code + " " + matchingType.code;
    }

    /** Presentation format, lower-case hex. */
    public String toPresentation() {
        return parameters() + " " + HEX.formatHex(data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsaRecord r && usage == r.usage && selector == r.selector
                && matchingType == r.matchingType && Arrays.equals(data, r.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * usage.hashCode() + selector.hashCode()) + matchingType.hashCode()) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        String hex = HEX.formatHex(data);
        return parameters() + " " + (hex.length() > 24 ? hex.substring(0, 24) + "..." : hex);
    }
}
