package io.github.keycloakdane.settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a Keycloak line spells an SPI provider's option. Keycloak 26.3 introduced the double-dash form
 * {@code --spi-dane--default--resolver} ({@code KC_SPI_DANE__DEFAULT__RESOLVER}, {@code spi-dane--default--resolver}
 * in {@code conf/keycloak.conf}) and still reads the single-dash form; Keycloak before 26.3 reads only the single-dash
 * form {@code --spi-dane-default-resolver} ({@code KC_SPI_DANE_DEFAULT_RESOLVER}) and silently ignores the other.
 *
 * <p>{@link #misspelled} finds the options a Keycloak did not hand to the provider because they are written in a
 * spelling that line does not read, so that the provider can name the spelling to use instead of running on its
 * defaults without a word.
 */
public enum SpiSpelling {

    /** Keycloak 26.3 and later: {@code --spi-SPI--PROVIDER--KEY}. */
    DOUBLE_DASH("--", "__"),
    /** Keycloak before 26.3 (read by later lines too, deprecated there): {@code --spi-SPI-PROVIDER-KEY}. */
    SINGLE_DASH("-", "_");

    /** The SPI and provider ids of this project's server options. */
    public static final String SPI = "dane";
    public static final String PROVIDER = "default";

    /** The first Keycloak line that reads {@link #DOUBLE_DASH}. */
    public static final int[] DOUBLE_DASH_SINCE = {26, 3};

    private final String separator;
    private final String envSeparator;

    SpiSpelling(String separator, String envSeparator) {
        this.separator = separator;
        this.envSeparator = envSeparator;
    }

    /**
     * The spelling a Keycloak version reads for sure: {@link #DOUBLE_DASH} from 26.3 on (and for a version that cannot
     * be parsed, i.e. a newer or a development build), {@link #SINGLE_DASH} before.
     */
    public static SpiSpelling forKeycloak(String version) {
        Matcher m = version == null ? null : Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version.strip());
        if (m == null || !m.find()) {
            return DOUBLE_DASH;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        boolean before = major < DOUBLE_DASH_SINCE[0] || (major == DOUBLE_DASH_SINCE[0] && minor < DOUBLE_DASH_SINCE[1]);
        return before ? SINGLE_DASH : DOUBLE_DASH;
    }

    /** The command-line option, e.g. {@code --spi-dane--default--resolver}. */
    public String option(ServerOption option) {
        return option(SPI, PROVIDER, option.key);
    }

    /** Any SPI provider's command-line option, e.g. {@code option("x509cert-lookup", "nginx", "ssl-client-cert")}. */
    public String option(String spi, String provider, String key) {
        return "--spi-" + spi + separator + provider + separator + key;
    }

    /** The environment variable, e.g. {@code KC_SPI_DANE__DEFAULT__RESOLVER}. */
    public String env(ServerOption option) {
        return "KC_SPI_" + envName(SPI) + envSeparator + envName(PROVIDER) + envSeparator + envName(option.key);
    }

    /** The key in {@code conf/keycloak.conf}, e.g. {@code spi-dane--default--resolver}. */
    public String confKey(ServerOption option) {
        return option(option).substring(2);
    }

    /**
     * A command-line option written in {@link #DOUBLE_DASH} (e.g. {@code --spi-x509cert-lookup--nginx--ssl-client-cert=h}
     * or {@code --spi-x509cert-lookup--provider=nginx}) in this spelling; anything but an SPI option is returned as it
     * is.
     */
    public String respell(String doubleDashOption) {
        if (this == DOUBLE_DASH || !doubleDashOption.startsWith("--spi-")) {
            return doubleDashOption;
        }
        int eq = doubleDashOption.indexOf('=');
        String name = eq < 0 ? doubleDashOption : doubleDashOption.substring(0, eq);
        String rest = eq < 0 ? "" : doubleDashOption.substring(eq);
        return "--" + name.substring(2).replace("--", separator) + rest;
    }

    private static String envName(String id) {
        return id.replace('-', '_').toUpperCase(Locale.ROOT);
    }

    /** A {@code dane} option found in a configuration source, as it was written there. */
    public record Found(ServerOption option, SpiSpelling spelling, String source, String writtenAs) {
    }

    /**
     * Every {@code dane} option the raw configuration carries, in either spelling.
     *
     * @param cliArgs          the command line's arguments ({@code --name=value} or {@code --name})
     * @param env              the environment ({@code KC_*})
     * @param systemProperties the JVM's system properties ({@code kc.*})
     * @param confLines        the lines of {@code conf/keycloak.conf} (empty when there is none)
     */
    public static List<Found> scan(Collection<String> cliArgs, Map<String, String> env,
                                   Map<String, String> systemProperties, Collection<String> confLines) {
        List<Found> found = new ArrayList<>();
        for (String arg : cliArgs) {
            int eq = arg.indexOf('=');
            String name = (eq < 0 ? arg : arg.substring(0, eq)).strip();
            if (name.startsWith("--")) {
                match(name.substring(2), "the command line", name).ifPresent(found::add);
            }
        }
        for (String name : env.keySet()) {
            if (name.startsWith("KC_")) {
                matchEnv(name).ifPresent(found::add);
            }
        }
        for (String name : systemProperties.keySet()) {
            if (name.startsWith("kc.")) {
                match(name.substring(3), "the system property", name).ifPresent(found::add);
            }
        }
        for (String line : confLines) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (!l.startsWith("#") && eq > 0) {
                String name = l.substring(0, eq).strip();
                match(name, "conf/keycloak.conf", name).ifPresent(found::add);
            }
        }
        return found;
    }

    /**
     * The options this Keycloak did not hand to the provider although the configuration carries them, in a spelling
     * other than the one it reads; each with the spelling to use. Empty when every option is read (the usual case).
     *
     * @param keycloakVersion the running Keycloak's version
     * @param found           what {@link #scan} found
     * @param read            whether the provider received a value for the option
     */
    public static Map<Found, String> misspelled(String keycloakVersion, List<Found> found, Predicate<ServerOption> read) {
        SpiSpelling wanted = forKeycloak(keycloakVersion);
        Map<Found, String> result = new LinkedHashMap<>();
        for (Found f : found) {
            if (f.spelling() != wanted && !read.test(f.option())) {
                result.put(f, wanted.sameSourceAs(f));
            }
        }
        return result;
    }

    /** The log line for {@link #misspelled} options, or null when there are none. */
    public static String misspellingMessage(String keycloakVersion, Map<Found, String> misspelled) {
        if (misspelled.isEmpty()) {
            return null;
        }
        SpiSpelling wanted = forKeycloak(keycloakVersion);
        StringBuilder m = new StringBuilder("DANE: Keycloak ").append(keycloakVersion)
                .append(" reads SPI options spelt with ").append(wanted == SINGLE_DASH ? "single" : "double")
                .append(" dashes only, so it did not pass these to the provider, which runs on its defaults for them:");
        String sep = " ";
        for (Map.Entry<Found, String> e : misspelled.entrySet()) {
            m.append(sep).append(e.getKey().writtenAs()).append(" (").append(e.getKey().source())
                    .append("): write ").append(e.getValue());
            sep = "; ";
        }
        return m.toString();
    }

    /** How {@code f}'s option is written in this spelling, in the same kind of source. */
    private String sameSourceAs(Found f) {
        return switch (f.source()) {
            case "the environment" -> env(f.option());
            case "the system property" -> "kc." + confKey(f.option());
            case "conf/keycloak.conf" -> confKey(f.option());
            default -> option(f.option());
        };
    }

    private static Optional<Found> match(String name, String source, String writtenAs) {
        for (SpiSpelling s : values()) {
            String prefix = "spi-" + SPI + s.separator + PROVIDER + s.separator;
            if (name.startsWith(prefix)) {
                Optional<ServerOption> o = byKey(name.substring(prefix.length()));
                if (o.isPresent()) {
                    return Optional.of(new Found(o.get(), s, source, writtenAs));
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Found> matchEnv(String name) {
        for (SpiSpelling s : values()) {
            String prefix = "KC_SPI_" + envName(SPI) + s.envSeparator + envName(PROVIDER) + s.envSeparator;
            if (name.startsWith(prefix)) {
                String key = name.substring(prefix.length());
                for (ServerOption o : ServerOption.values()) {
                    if (envName(o.key).equals(key)) {
                        return Optional.of(new Found(o, s, "the environment", name));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<ServerOption> byKey(String key) {
        for (ServerOption o : ServerOption.values()) {
            if (o.key.equals(key)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }
}
