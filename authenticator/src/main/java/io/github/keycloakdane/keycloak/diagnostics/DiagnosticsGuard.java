package io.github.keycloakdane.keycloak.diagnostics;

import io.github.keycloakdane.dns.LookupBudget;
import io.github.keycloakdane.settings.DiagnosticsSettings;
import io.github.keycloakdane.settings.ServerOption;

/**
 * What bounds the admin diagnostics on one node, apart from everything logins use: their own lookup slots and a
 * rate per admin and realm. One per node, made once from the server settings.
 */
public final class DiagnosticsGuard {

    private final LookupBudget lookups;
    private final DiagnosticsRateLimit rate;

    public DiagnosticsGuard(DiagnosticsSettings settings) {
        this.lookups = new LookupBudget(settings.maxConcurrentLookups(),
                ServerOption.DIAGNOSTICS_MAX_CONCURRENT_LOOKUPS.key);
        this.rate = new DiagnosticsRateLimit(settings.perMinute(), settings.burst(), System::nanoTime);
    }

    /** The slots a diagnosis' lookup takes. */
    public LookupBudget lookups() {
        return lookups;
    }

    /**
     * Takes one diagnosis from the bucket of this admin (the realm it signed in to and its id) in this realm.
     *
     * @return 0 when admitted, otherwise the seconds until the next one would be (for {@code Retry-After})
     */
    public long acquire(String adminRealmId, String adminId, String realmId) {
        return rate.acquire(adminRealmId + '/' + adminId + '>' + realmId);
    }
}
