package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.Reason;

import java.time.Duration;
import java.util.Collection;

/**
 * Every check of a client assertion that needs neither Keycloak's session nor DNS, in the authenticator's order, for
 * tests outside this package (the assertion fuzz target): {@link Reason#OK} when all pass, else the refusal's reason.
 */
public final class AssertionChecks {

    private AssertionChecks() {
    }

    public static Reason check(String raw, String clientId, DaneName name, Collection<String> audiences, long now,
                               Duration maxLifetime, byte[] dnsKey) {
        try {
            ClientAssertion assertion = ClientAssertion.parse(raw);
            assertion.subject();
            ClientAssertion.KeyForm form = assertion.requireWellFormed();
            assertion.requireIssuer(clientId);
            assertion.requireAudience(audiences);
            assertion.requireCurrent(now, maxLifetime);
            long window = assertion.replayWindowSeconds(now, maxLifetime);
            if (window < 1 || window > maxLifetime.toSeconds() + ClientAssertion.CLOCK_SKEW_SECONDS) {
                throw new AssertionError("replay window " + window + " out of bounds");
            }
            assertion.replayKey(clientId);
            ClientAssertion.Algorithm alg = assertion.requireAlgorithm();
            if (form == ClientAssertion.KeyForm.X5U) {
                assertion.requireKeyName(name);
                return assertion.signedBy(dnsKey, alg) ? Reason.OK : Reason.NO_MATCH;
            }
            ClientAssertion.PresentedKey key = assertion.requireKey(alg);
            assertion.requireSignature(key, alg);
            return Reason.OK;
        } catch (ClientAssertion.Refused r) {
            if (r.reason == null || r.getMessage() == null) {
                throw new AssertionError("a refusal without reason or detail");
            }
            return r.reason;
        }
    }
}
