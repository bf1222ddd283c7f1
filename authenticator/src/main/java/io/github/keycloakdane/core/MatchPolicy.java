package io.github.keycloakdane.core;

import java.security.cert.TrustAnchor;
import java.time.Clock;
import java.util.Set;

/**
 * What the matcher accepts beyond RFC 7671's defaults.
 *
 * @param eeNameCheck require the identity among the leaf's SAN dNSNames for DANE-EE too (RFC 7671 §5.1 says not
 *                    to; OpenSSL does by default to resist unknown-key-share attacks)
 * @param pkixTrust   the trust store PKIX-TA(0)/PKIX-EE(1) records are checked against; empty: those usages are unusable
 * @param clock       "now", for certificate validity in DANE-TA and PKIX paths
 * @param domainUsers the name is a domain's user name {@code _user.DOMAIN} ({@link DomainUser}): only DANE-TA
 *                    records are usable (a domain publishes the CA of its users, never a person's key) and the
 *                    leaf must carry DOMAIN, not the {@code _user} name, as its dNSName
 */
public record MatchPolicy(boolean eeNameCheck, Set<TrustAnchor> pkixTrust, Clock clock, boolean domainUsers) {

    public MatchPolicy {
        pkixTrust = pkixTrust == null ? Set.of() : Set.copyOf(pkixTrust);
        clock = clock == null ? Clock.systemUTC() : clock;
        if (domainUsers && (eeNameCheck || !pkixTrust.isEmpty())) {
            throw new IllegalArgumentException("domain users are matched by DANE-TA only");
        }
    }

    public MatchPolicy(boolean eeNameCheck, Set<TrustAnchor> pkixTrust, Clock clock) {
        this(eeNameCheck, pkixTrust, clock, false);
    }

    /** RFC 7671 defaults: DANE-EE and DANE-TA, no EE name check, no PKIX usages. */
    public static MatchPolicy defaults() {
        return new MatchPolicy(false, Set.of(), Clock.systemUTC());
    }

    public boolean pkixEnabled() {
        return !pkixTrust.isEmpty();
    }

    /**
     * The policy for a domain's users ({@code _user.DOMAIN}): DANE-TA (2 x x) only, with this policy's clock; the
     * EE name check and PKIX usages do not apply.
     */
    public MatchPolicy forDomainUsers() {
        return new MatchPolicy(false, Set.of(), clock, true);
    }

    public MatchPolicy withEeNameCheck(boolean check) {
        return new MatchPolicy(check, pkixTrust, clock);
    }

    public MatchPolicy withPkixTrust(Set<TrustAnchor> anchors) {
        return new MatchPolicy(eeNameCheck, anchors, clock);
    }

    public MatchPolicy withClock(Clock newClock) {
        return new MatchPolicy(eeNameCheck, pkixTrust, newClock);
    }
}
