package io.github.keycloakdane.keycloak;

import org.junit.jupiter.api.Test;
import org.keycloak.provider.ProviderConfigProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DaneUserAuthenticatorFactoryTest {

    /** The README's auth-dane settings table, made from the settings the admin console shows. */
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
    void theReadmeSettingsTableIsTheOneTheFactoryMakes() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));

        assertThat(readme).as("README.md's auth-dane settings table; regenerate it:%n%s", markdownTable())
                .contains(markdownTable());
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
