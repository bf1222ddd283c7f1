package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.testing.DocTables;
import org.junit.jupiter.api.Test;
import org.keycloak.provider.ProviderConfigProperty;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DaneUserAuthenticatorFactoryTest {

    /** docs/CONFIGURATION.md's auth-dane settings table, made from the settings the admin console shows. */
    static String markdownTable() {
        StringBuilder table = new StringBuilder("| setting (config key) | default | meaning |\n|---|---|---|\n");
        for (ProviderConfigProperty p : new DaneUserAuthenticatorFactory().getConfigProperties()) {
            Object fallback = p.getDefaultValue();
            table.append("| ").append(p.getLabel()).append(" (`").append(p.getName()).append("`) | ")
                    .append(fallback == null ? "none" : "`" + fallback + "`").append(" | ")
                    .append(p.getHelpText()).append(" |\n");
        }
        return table.toString();
    }

    @Test
    void theConfigurationSettingsTableIsTheOneTheFactoryMakes() throws Exception {
        DocTables.assertTable(DocTables.configurationDoc(), markdownTable());
    }

    @Test
    void everySettingIsOneTheConfigurationReadsAndItsDefaultIsValid() {
        Map<String, String> defaults = new HashMap<>();
        for (ProviderConfigProperty p : new DaneUserAuthenticatorFactory().getConfigProperties()) {
            assertThat(p.getName()).startsWith("dane.");
            if (p.getDefaultValue() != null) {
                defaults.put(p.getName(), String.valueOf(p.getDefaultValue()));
            }
        }
        assertThat(DaneUserAuthenticatorConfig.problems(defaults)).isEmpty();
    }
}
