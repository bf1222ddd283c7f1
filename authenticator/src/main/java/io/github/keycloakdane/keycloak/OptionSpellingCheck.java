package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.settings.SpiSpelling;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.keycloak.common.Version;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * At start-up: {@code dane} options that the configuration carries in a spelling this Keycloak does not read (e.g.
 * {@code --spi-dane--default--resolver} on 26.2) are logged as an ERROR that names the spelling to use; without it the
 * provider would run on {@code /etc/resolv.conf} and the IANA anchors with nothing in the log naming the cause.
 *
 * <p>What it reads, on every line from 26.2 on: the raw command line (Keycloak keeps it in the system property
 * {@value #CLI_ARGS_PROPERTY}, comma-separated with commas inside arguments doubled), the {@code KC_*} environment, the
 * {@code kc.*} system properties and {@code conf/keycloak.conf} (or the file {@code --config-file} names).
 */
final class OptionSpellingCheck {

    static final String CLI_ARGS_PROPERTY = "kc.config.args";
    private static final Logger LOG = Logger.getLogger(OptionSpellingCheck.class);

    private OptionSpellingCheck() {
    }

    /** Logs the ERROR when some option went unread; {@code read} tells whether the provider received one. */
    static void run(Predicate<ServerOption> read) {
        try {
            String message = message(Version.VERSION, read);
            if (message != null) {
                LOG.error(message);
            }
        } catch (RuntimeException e) {
            // a check of the configuration's spelling must never stop the server
            LOG.debugf(e, "DANE: the option spelling check did not run");
        }
    }

    static String message(String keycloakVersion, Predicate<ServerOption> read) {
        Map<String, String> properties = new HashMap<>();
        System.getProperties().forEach((k, v) -> properties.put(String.valueOf(k), String.valueOf(v)));
        List<SpiSpelling.Found> found = SpiSpelling.scan(cliArgs(System.getProperty(CLI_ARGS_PROPERTY)),
                System.getenv(), properties, confLines());
        return SpiSpelling.misspellingMessage(keycloakVersion, SpiSpelling.misspelled(keycloakVersion, found, read));
    }

    /** Keycloak's {@value #CLI_ARGS_PROPERTY}: arguments joined with {@code ,}, a comma inside one written {@code ,,}. */
    static List<String> cliArgs(String joined) {
        List<String> args = new ArrayList<>();
        if (joined == null || joined.isEmpty()) {
            return args;
        }
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < joined.length(); i++) {
            char c = joined.charAt(i);
            if (c == ',' && i + 1 < joined.length() && joined.charAt(i + 1) == ',') {
                current.append(',');
                i++;
            } else if (c == ',') {
                args.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        args.add(current.toString());
        return args;
    }

    private static List<String> confLines() {
        String file = ConfigProvider.getConfig().getOptionalValue("kc.config-file", String.class).orElse(null);
        Path conf = file != null ? Path.of(file)
                : System.getProperty("kc.home.dir") == null ? null
                : Path.of(System.getProperty("kc.home.dir"), "conf", "keycloak.conf");
        if (conf == null || !Files.isReadable(conf)) {
            return List.of();
        }
        try {
            return Files.readAllLines(conf, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
    }
}
