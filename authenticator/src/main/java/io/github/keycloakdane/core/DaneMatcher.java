package io.github.keycloakdane.core;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * RFC 6698 / RFC 7671 matching of a presented certificate chain (leaf first) against a TLSA RRset, with the name rules
 * of draft-ietf-dance-client-auth §5 and §8.2. A pure function: no I/O, no state; "now" comes from the policy.
 *
 * <p>Preference, as OpenSSL's danetest expects: end-entity records first (depth 0), then trust anchors from the
 * lowest depth up, then trust anchors supplied by DNS itself. Any one usable record that matches authenticates.
 */
public final class DaneMatcher {

    private DaneMatcher() {
    }

    public static MatchResult match(DaneName identity, List<X509Certificate> chain, Collection<TlsaRecord> records,
                                    MatchPolicy policy) {
        if (chain == null || chain.isEmpty() || chain.stream().anyMatch(java.util.Objects::isNull)) {
            return MatchResult.fail(Reason.NO_CERTIFICATE, "no client certificate was presented");
        }
        List<TlsaRecord> usable = usableRecords(records, policy);
        if (usable.isEmpty()) {
            return noUsableRecords(records, policy);
        }
        // a domain's user CA certifies DOMAIN, the parent of _user.DOMAIN; anything else is never in a user's leaf
        DaneName leafName = policy.domainUsers() ? DomainUser.domainOf(identity) : identity;
        if (leafName == null) {
            return MatchResult.fail(Reason.INVALID_NAME, identity + " is not a domain's user name (_user.DOMAIN)");
        }
        Input in = new Input(identity, leafName, chain, usable, policy, Date.from(policy.clock().instant()),
                new Failures());
        MatchResult result = endEntity(in);
        if (result == null) {
            result = trustAnchorInChain(in);
        }
        if (result == null) {
            result = trustAnchorFromDns(in);
        }
        if (result == null) {
            result = pkixTrustAnchor(in);
        }
        return result != null ? result : in.failures.result();
    }

    /**
     * Matching of a bare public key (a signed JWT's {@code jwk} header): there is no certificate, so only DANE-EE
     * records with selector 1 can match (RFC 7671 §5.1; RFC 7250 raw public keys), with the same digest agility as for
     * chains. With the EE name check on, a bare key carries no name and cannot pass: refused, not waived.
     */
    public static MatchResult matchKey(DaneName identity, byte[] subjectPublicKeyInfo, Collection<TlsaRecord> records,
                                       MatchPolicy policy) {
        if (subjectPublicKeyInfo == null || subjectPublicKeyInfo.length == 0) {
            return MatchResult.fail(Reason.NO_CERTIFICATE, "no public key was presented");
        }
        List<TlsaRecord> usable = usableRecords(records, policy);
        if (usable.isEmpty()) {
            return noUsableRecords(records, policy);
        }
        for (TlsaRecord r : usable) {
            if (r.usage() != CertUsage.DANE_EE || !r.matchesKey(subjectPublicKeyInfo)) {
                continue;
            }
            if (policy.eeNameCheck()) {
                return MatchResult.fail(Reason.NAME_MISMATCH, r + " matched the key, but the EE name check is on and"
                        + " a bare key carries no name for " + identity);
            }
            return MatchResult.ok(r, 0);
        }
        return MatchResult.fail(Reason.NO_MATCH, "no usable DANE-EE SPKI record (3 1 x) matches the presented key;"
                + " a bare key cannot match certificate (selector 0) or trust-anchor records");
    }

    /** One match attempt's inputs, and the failures seen so far. */
    private record Input(DaneName identity, DaneName leafName, List<X509Certificate> chain, List<TlsaRecord> usable,
                         MatchPolicy policy, Date now, Failures failures) {
        X509Certificate leaf() {
            return chain.get(0);
        }

        X509Certificate top() {
            return chain.get(chain.size() - 1);
        }
    }

    /** DANE-EE(3) and PKIX-EE(1): the leaf itself, depth 0. */
    private static MatchResult endEntity(Input in) {
        for (TlsaRecord r : in.usable) {
            if (!r.usage().isEndEntity() || !r.matches(in.leaf())) {
                continue;
            }
            if (r.usage() == CertUsage.PKIX_EE) {
                PkixPath pkix = pkixPath(in.chain, in.policy.pkixTrust(), in.now);
                if (pkix.error != null) {
                    in.failures.add(Reason.CHAIN_INVALID, r + " matched the leaf, but PKIX validation failed: " + pkix.error);
                    continue;
                }
            }
            boolean nameRequired = r.usage() == CertUsage.PKIX_EE || in.policy.eeNameCheck();
            if (nameRequired && !Certificates.hasDnsName(in.leaf(), in.identity)) {
                in.failures.add(Reason.NAME_MISMATCH, r + " matched the leaf, but " + in.identity
                        + " is not among its SAN dNSNames " + Certificates.dnsNames(in.leaf()));
                continue;
            }
            return MatchResult.ok(r, 0);
        }
        return null;
    }

    /** DANE-TA(2) on a certificate the client presented above the leaf, lowest depth first. */
    private static MatchResult trustAnchorInChain(Input in) {
        for (int depth = 1; depth < in.chain.size(); depth++) {
            X509Certificate anchor = in.chain.get(depth);
            for (TlsaRecord r : in.usable) {
                if (r.usage() != CertUsage.DANE_TA || !r.matches(anchor)) {
                    continue;
                }
                String error = validateFromAnchor(in.chain.subList(0, depth), new TrustAnchor(anchor, null), anchor, in.now);
                MatchResult result = nameChecked(r, depth, error, in);
                if (result != null) {
                    return result;
                }
            }
        }
        return null;
    }

    /** RFC 7671 §5.2: a Full(0) DANE-TA record may carry the trust anchor the client did not send. */
    private static MatchResult trustAnchorFromDns(Input in) {
        for (TlsaRecord r : in.usable) {
            if (r.usage() != CertUsage.DANE_TA || r.matchingType() != MatchingType.FULL) {
                continue;
            }
            PublicKey key = r.dnsCertificate() != null ? r.dnsCertificate().getPublicKey() : r.dnsPublicKey();
            if (!signedBy(in.top(), key)) {
                continue; // this record is not the issuer of the presented chain: no match
            }
            TrustAnchor anchor = r.dnsCertificate() != null
                    ? new TrustAnchor(r.dnsCertificate(), null)
                    : new TrustAnchor(in.top().getIssuerX500Principal(), key, null);
            String error = validateFromAnchor(in.chain, anchor, r.dnsCertificate(), in.now);
            MatchResult result = nameChecked(r, in.chain.size(), error, in);
            if (result != null) {
                return result;
            }
        }
        return null;
    }

    /** PKIX-TA(0): a CA on the PKIX-validated path, or its trust anchor. */
    private static MatchResult pkixTrustAnchor(Input in) {
        if (in.usable.stream().noneMatch(r -> r.usage() == CertUsage.PKIX_TA)) {
            return null;
        }
        PkixPath pkix = pkixPath(in.chain, in.policy.pkixTrust(), in.now);
        List<X509Certificate> above = new ArrayList<>(pkix.path.subList(1, pkix.path.size()));
        // When the path does not validate, the validator names no anchor: still offer the trusted issuer of the
        // top of the path, so that a record for it is reported as CHAIN_INVALID rather than NO_MATCH.
        X509Certificate anchor = pkix.anchor != null ? pkix.anchor
                : trustedIssuer(pkix.path.get(pkix.path.size() - 1), in.policy.pkixTrust());
        if (anchor != null) {
            above.add(anchor);
        }
        for (int i = 0; i < above.size(); i++) {
            for (TlsaRecord r : in.usable) {
                if (r.usage() == CertUsage.PKIX_TA && r.matches(above.get(i))) {
                    MatchResult result = nameChecked(r, i + 1, pkix.error, in);
                    if (result != null) {
                        return result;
                    }
                }
            }
        }
        return null;
    }

    /** Drops what this policy cannot use, then applies RFC 7671 §9 digest agility per usage and selector. */
    static List<TlsaRecord> usableRecords(Collection<TlsaRecord> records, MatchPolicy policy) {
        Map<Integer, Integer> strongest = new HashMap<>();
        for (TlsaRecord r : records) {
            if (r.matchingType() != MatchingType.FULL) {
                strongest.merge(usageAndSelector(r), r.matchingType().strength, Math::max);
            }
        }
        List<TlsaRecord> usable = new ArrayList<>();
        for (TlsaRecord r : records) {
            if (r.usage().isPkix() && !policy.pkixEnabled()) {
                continue;
            }
            if (policy.domainUsers() && r.usage() != CertUsage.DANE_TA) {
                continue; // a domain publishes its users' CA at _user.DOMAIN, never a person's own key
            }
            if (r.matchingType() != MatchingType.FULL
                    && r.matchingType().strength < strongest.get(usageAndSelector(r))) {
                continue;
            }
            usable.add(r);
        }
        return usable;
    }

    private static MatchResult noUsableRecords(Collection<TlsaRecord> records, MatchPolicy policy) {
        return MatchResult.fail(Reason.NO_USABLE_RECORDS, records.isEmpty() ? "the TLSA RRset is empty"
                : "none of the " + records.size() + " records is usable"
                + (policy.domainUsers() ? " (a domain's user CA is published as DANE-TA, 2 x x; other usages do not"
                        + " apply at a _user name)"
                        : policy.pkixEnabled() ? "" : " (PKIX-TA/PKIX-EE need a PKIX trust store)"));
    }

    /** The digest-agility group of a record: its usage and selector (each an octet on the wire). */
    private static int usageAndSelector(TlsaRecord r) {
        return r.usage().code << 8 | r.selector().code;
    }

    private static MatchResult nameChecked(TlsaRecord r, int depth, String pathError, Input in) {
        DaneName identity = in.leafName;
        X509Certificate leaf = in.leaf();
        Failures failures = in.failures;
        if (pathError != null) {
            failures.add(Reason.CHAIN_INVALID, r + " matched the trust anchor at depth " + depth
                    + ", but the path to the leaf does not validate: " + pathError);
            return null;
        }
        // draft-ietf-dance-client-auth §5: with a trust-anchor usage the name MUST be a SAN dNSName of the leaf.
        if (!Certificates.hasDnsName(leaf, identity)) {
            failures.add(Reason.NAME_MISMATCH, r + " matched at depth " + depth + ", but " + identity
                    + " is not among the leaf's SAN dNSNames " + Certificates.dnsNames(leaf));
            return null;
        }
        return MatchResult.ok(r, depth);
    }

    /**
     * Validates {@code path} (leaf first) up to {@code anchor}: signatures, validity, basicConstraints and key usage,
     * by the JDK's PKIX validator. The JDK does not check a trust anchor certificate itself, so its dates and CA
     * flags are checked here: an expired CA must not vouch for a client. Returns null when valid, else why not.
     */
    static String validateFromAnchor(List<X509Certificate> path, TrustAnchor anchor, X509Certificate anchorCert, Date at) {
        try {
            if (anchorCert != null) {
                anchorCert.checkValidity(at);
                boolean[] keyUsage = anchorCert.getKeyUsage();
                if (anchorCert.getBasicConstraints() < 0 || (keyUsage != null && !keyUsage[5])) {
                    return "the trust anchor " + anchorCert.getSubjectX500Principal() + " is not a CA certificate";
                }
            }
            PKIXParameters params = new PKIXParameters(Set.of(anchor));
            params.setRevocationEnabled(false);
            params.setDate(at);
            CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return null;
        } catch (GeneralSecurityException | RuntimeException e) {
            return e.getMessage();
        }
    }

    private record PkixPath(List<X509Certificate> path, X509Certificate anchor, String error) {
    }

    /** PKIX validation of the presented chain to the configured trust store (for usages 0 and 1). */
    private static PkixPath pkixPath(List<X509Certificate> chain, Set<TrustAnchor> trust, Date at) {
        List<X509Certificate> path = new ArrayList<>(chain);
        // A client may send its root too; the validator wants the path without the anchor.
        while (path.size() > 1 && trust.stream().anyMatch(t -> path.get(path.size() - 1).equals(t.getTrustedCert()))) {
            path.remove(path.size() - 1);
        }
        try {
            PKIXParameters params = new PKIXParameters(trust);
            params.setRevocationEnabled(false);
            params.setDate(at);
            PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX")
                    .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
            return new PkixPath(path, result.getTrustAnchor().getTrustedCert(), null);
        } catch (GeneralSecurityException | RuntimeException e) {
            return new PkixPath(path, null, e.getMessage());
        }
    }

    /** The trust store's certificate that issued {@code certificate}, or null. */
    private static X509Certificate trustedIssuer(X509Certificate certificate, Set<TrustAnchor> trust) {
        for (TrustAnchor t : trust) {
            X509Certificate c = t.getTrustedCert();
            if (c != null && c.getSubjectX500Principal().equals(certificate.getIssuerX500Principal())
                    && signedBy(certificate, c.getPublicKey())) {
                return c;
            }
        }
        return null;
    }

    private static boolean signedBy(X509Certificate certificate, PublicKey key) {
        try {
            certificate.verify(key);
            return true;
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /** Keeps the most telling failure: a record that matched but failed a later check beats "no match". */
    private static final class Failures {
        private Reason reason = Reason.NO_MATCH;
        private String detail = "no usable TLSA record matches the presented certificate chain";

        void add(Reason newReason, String newDetail) {
            if (reason == Reason.NO_MATCH) {
                reason = newReason;
                detail = newDetail;
            }
        }

        MatchResult result() {
            return MatchResult.fail(reason, detail);
        }
    }
}
