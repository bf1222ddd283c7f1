package io.github.keycloakdane.settings;

/**
 * What the admin diagnostics may cost a node: their own lookup slots ({@code diagnostics-max-concurrent-lookups},
 * never the logins' {@code max-concurrent-lookups}) and a rate per admin and realm ({@code diagnostics-per-minute},
 * with a bucket of {@code diagnostics-burst}).
 */
public record DiagnosticsSettings(int maxConcurrentLookups, int perMinute, int burst) {

    public static final DiagnosticsSettings DEFAULTS = new DiagnosticsSettings(2, 60, 30);

    public DiagnosticsSettings {
        if (maxConcurrentLookups < 1 || perMinute < 1 || burst < 1) {
            throw new IllegalArgumentException("diagnostics limits must be at least 1");
        }
    }
}
