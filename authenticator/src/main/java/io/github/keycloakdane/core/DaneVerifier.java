package io.github.keycloakdane.core;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Ties the DANE steps together in the order that keeps untrusted input cheap: name syntax, allow list and certificate
 * presence before any DNS query; then the DNSSEC-validated TLSA lookup; then the match. Thread-safe: one instance
 * serves a whole server.
 */
public final class DaneVerifier {

    private final TlsaSource source;
    private final AllowList allowList;
    private final MatchPolicy policy;

    public DaneVerifier(TlsaSource source, AllowList allowList, MatchPolicy policy) {
        this.source = source;
        this.allowList = allowList;
        this.policy = policy;
    }

    /** Verifies against this verifier's allow list. */
    public DaneOutcome verify(String claimedIdentity, List<X509Certificate> chain) {
        return verify(claimedIdentity, chain, null);
    }

    /**
     * Verifies with an additional allow list (a flow's or a client's) that must admit the name as well; null adds none.
     */
    public DaneOutcome verify(String claimedIdentity, List<X509Certificate> chain, AllowList additional) {
        try {
            return verify(DaneName.parse(claimedIdentity), chain, additional);
        } catch (InvalidNameException e) {
            return DaneOutcome.rejected(claimedIdentity, null, Reason.INVALID_NAME, e.getMessage());
        }
    }

    /** The same checks for a name the caller has parsed already (e.g. a client's stored name). */
    public DaneOutcome verify(DaneName name, List<X509Certificate> chain, AllowList additional) {
        boolean presented = chain != null && !chain.isEmpty() && chain.stream().noneMatch(Objects::isNull);
        return verify(name, additional, presented, "no client certificate was presented",
                records -> DaneMatcher.match(name, chain, records, policy));
    }

    /**
     * Verifies a bare public key, given as its DER SubjectPublicKeyInfo (e.g. a signed JWT's {@code jwk} header),
     * against this verifier's allow list: the same steps, matched by {@link DaneMatcher#matchKey}.
     */
    public DaneOutcome verifyKey(String claimedIdentity, byte[] subjectPublicKeyInfo) {
        try {
            return verifyKey(DaneName.parse(claimedIdentity), subjectPublicKeyInfo);
        } catch (InvalidNameException e) {
            return DaneOutcome.rejected(claimedIdentity, null, Reason.INVALID_NAME, e.getMessage());
        }
    }

    /** {@link #verifyKey(String, byte[])} for a name the caller has parsed already. */
    public DaneOutcome verifyKey(DaneName name, byte[] subjectPublicKeyInfo) {
        boolean presented = subjectPublicKeyInfo != null && subjectPublicKeyInfo.length > 0;
        return verify(name, null, presented, "no public key was presented",
                records -> DaneMatcher.matchKey(name, subjectPublicKeyInfo, records, policy));
    }

    /** How many keys found in DNS one key-in-DNS assertion may have tried against its signature. */
    public static final int MAX_DNS_KEYS = 4;

    /**
     * Key in DNS (a signed JWT whose header names the name as {@code x5u} instead of carrying a key): the same steps
     * up to the secure TLSA RRset, whose whole keys are then the candidates: {@code 3 1 0} (a SubjectPublicKeyInfo)
     * and {@code 3 0 0} (a certificate; its SubjectPublicKeyInfo), in RRset order, at most {@value #MAX_DNS_KEYS}
     * tried with {@code signedBy} (which gets DER SubjectPublicKeyInfo bytes and must apply its own bounds before
     * building a key). Digest records carry no key ({@link Reason#NO_KEY_IN_DNS} when there is nothing else). With
     * the EE name check on, a {@code 3 1 0} key carries no name and a {@code 3 0 0} certificate must carry the name
     * among its SAN dNSNames.
     */
    public DaneOutcome verifyKeyInDns(DaneName name, Predicate<byte[]> signedBy) {
        return verify(name, null, signedBy != null, "no signature to check", records -> {
            List<TlsaRecord> candidates = new ArrayList<>();
            boolean nameless = false;
            for (TlsaRecord r : records) {
                if (r.usage() != CertUsage.DANE_EE || r.matchingType() != MatchingType.FULL) {
                    continue;
                }
                boolean named = r.selector() == Selector.CERT && Certificates.hasDnsName(r.dnsCertificate(), name);
                if (policy.eeNameCheck() && !named) {
                    nameless = true;
                    continue;
                }
                candidates.add(r);
            }
            if (candidates.isEmpty()) {
                return nameless
                        ? MatchResult.fail(Reason.NAME_MISMATCH, "the EE name check is on and no 3 0 0 certificate"
                                + " in the TLSA RRset carries " + name + " among its SAN dNSNames")
                        : MatchResult.fail(Reason.NO_KEY_IN_DNS, "the TLSA RRset has no 3 1 0 or 3 0 0 record: "
                                + "digests carry no key to check the signature with");
            }
            List<TlsaRecord> tried = candidates.subList(0, Math.min(MAX_DNS_KEYS, candidates.size()));
            for (TlsaRecord r : tried) {
                byte[] spki = r.selector() == Selector.SPKI ? r.data()
                        : Certificates.subjectPublicKeyInfo(r.dnsCertificate());
                if (spki != null && signedBy.test(spki)) {
                    return MatchResult.ok(r, 0);
                }
            }
            return MatchResult.fail(Reason.NO_MATCH, "none of the " + tried.size() + " keys in the TLSA RRset"
                    + (candidates.size() > tried.size() ? " (the first " + MAX_DNS_KEYS + " of " + candidates.size()
                    + ")" : "") + " verifies the signature");
        });
    }

    /**
     * What {@link #verifyDomainUser} decided.
     *
     * @param user the domain user the leaf certifies: set whenever the leaf was read (also when DNS or the match
     *             refused it), null when a check before it failed
     */
    public record DomainUserOutcome(DaneOutcome outcome, DomainUser user) {
        public boolean authenticated() {
            return outcome.authenticated() && user != null;
        }
    }

    /**
     * A person certified by their domain ({@link DomainUser}): {@code userName} is {@code _user.DOMAIN}. Allow lists
     * (this verifier's and {@code additional}) → certificate present → the leaf names one user of DOMAIN (no I/O) →
     * DNS → a DANE-TA record at {@code _user.DOMAIN} matches a CA that issued the leaf ({@link MatchPolicy#forDomainUsers}).
     */
    public DomainUserOutcome verifyDomainUser(DaneName userName, List<X509Certificate> chain, AllowList additional) {
        boolean presented = chain != null && !chain.isEmpty() && chain.stream().noneMatch(Objects::isNull);
        DomainUser[] user = new DomainUser[1];
        MatchPolicy domainPolicy = policy.forDomainUsers();
        DaneOutcome outcome = verify(userName, additional, presented, "no client certificate was presented", () -> {
            try {
                user[0] = DomainUser.of(userName, chain.get(0));
                return null;
            } catch (DomainUser.DomainUserException e) {
                return DaneOutcome.rejected(userName.value(), null, e.reason(), e.getMessage());
            }
        }, records -> DaneMatcher.match(userName, chain, records, domainPolicy));
        return new DomainUserOutcome(outcome, user[0]);
    }

    /** The steps shared by chains and bare keys; {@code matcher} is the last, pure one. */
    private DaneOutcome verify(DaneName name, AllowList additional, boolean presented, String notPresented,
                               Function<List<TlsaRecord>, MatchResult> matcher) {
        return verify(name, additional, presented, notPresented, () -> null, matcher);
    }

    /** {@code beforeDns}: a last check without I/O, returning a refusal or null. */
    private DaneOutcome verify(DaneName name, AllowList additional, boolean presented, String notPresented,
                               Supplier<DaneOutcome> beforeDns, Function<List<TlsaRecord>, MatchResult> matcher) {
        if (!allowList.admits(name) || (additional != null && !additional.admits(name))) {
            return DaneOutcome.rejected(name.value(), null, Reason.NOT_ALLOWED, name + " is not on the allow list");
        }
        if (!presented) {
            return DaneOutcome.rejected(name.value(), null, Reason.NO_CERTIFICATE, notPresented);
        }
        DaneOutcome refused = beforeDns.get();
        if (refused != null) {
            return refused;
        }
        TlsaLookup lookup;
        try {
            lookup = source.lookup(name);
        } catch (RuntimeException e) {
            // fail closed on any resolver bug rather than let it surface as a server error
            return DaneOutcome.rejected(name.value(), DnssecStatus.NETWORK_ERROR, Reason.DNS_ERROR,
                    "TLSA lookup failed: " + e);
        }
        Reason dnsFailure = switch (lookup.status()) {
            case SECURE -> null;
            case INSECURE -> Reason.DNS_INSECURE;
            case BOGUS -> Reason.DNS_BOGUS;
            case NXDOMAIN, NODATA -> Reason.DNS_NO_RECORDS;
            case TIMEOUT -> Reason.DNS_TIMEOUT;
            case SERVFAIL, NETWORK_ERROR -> Reason.DNS_ERROR;
            case BUSY -> Reason.DNS_BUSY;
        };
        if (dnsFailure != null) {
            return DaneOutcome.rejected(name.value(), lookup.status(), dnsFailure, lookup.detail());
        }
        if (lookup.records().isEmpty()) {
            return DaneOutcome.rejected(name.value(), lookup.status(), Reason.NO_USABLE_RECORDS,
                    "no usable TLSA record: " + lookup.unusable());
        }
        MatchResult match;
        try {
            match = matcher.apply(lookup.records());
        } catch (RuntimeException e) {
            return DaneOutcome.rejected(name.value(), lookup.status(), Reason.NO_MATCH, "matching failed: " + e);
        }
        if (!match.matched()) {
            return DaneOutcome.rejected(name.value(), lookup.status(), match.reason(), match.detail());
        }
        return new DaneOutcome(true, name.value(), lookup.status(), match.record(), match.depth(), Reason.OK,
                match.detail());
    }

    public AllowList allowList() {
        return allowList;
    }

    public MatchPolicy policy() {
        return policy;
    }

    /** The same checks against another source of TLSA answers (a diagnosis replays one lookup it made itself). */
    public DaneVerifier withSource(TlsaSource other) {
        return new DaneVerifier(other, allowList, policy);
    }
}
