package io.github.keycloakdane.core;

import java.util.List;
import java.util.Locale;

/**
 * A client's DANE identity: the complete owner name of its TLSA RRset (draft-ietf-dance-client-auth §2),
 * normalised once at the edge so that every later comparison is a plain string comparison.
 *
 * <p>Rules (draft §7 "ClientName"): A-labels only, letters, digits, hyphen and underscore, no trailing dot,
 * at most 63 octets a label and 253 a name. A client never claims a wildcard, so a leading {@code *} is refused.
 */
public record DaneName(String value) {

    public static final int MAX_NAME_LENGTH = 253;
    public static final int MAX_LABEL_LENGTH = 63;

    public DaneName {
        if (value == null || !value.equals(value.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("use DaneName.parse() to build a DaneName");
        }
    }

    /** Parses and normalises; every rejection says what is wrong with the name. */
    public static DaneName parse(String raw) throws InvalidNameException {
        if (raw == null || raw.isBlank()) {
            throw new InvalidNameException("the name is empty");
        }
        String name = raw.strip();
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty()) {
            throw new InvalidNameException("the name is the root, not a client name");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new InvalidNameException("the name is " + name.length() + " octets long, more than " + MAX_NAME_LENGTH);
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c > 0x7e || c < 0x21) {
                throw new InvalidNameException("the name contains a non-ASCII or control character at position " + i
                        + " (use A-labels, xn--..., not U-labels)");
            }
            if (c == '\\') {
                throw new InvalidNameException("the name contains an escape ('\\'); escapes are not allowed");
            }
            if (c == '/' || c == ':' || c == '@') {
                throw new InvalidNameException("the name contains '" + c + "', which no host name has");
            }
        }
        String[] labels = name.split("\\.", -1);
        for (int i = 0; i < labels.length; i++) {
            String label = labels[i];
            if (label.isEmpty()) {
                throw new InvalidNameException("the name has an empty label");
            }
            if (label.length() > MAX_LABEL_LENGTH) {
                throw new InvalidNameException("label '" + label.substring(0, 16) + "...' is " + label.length()
                        + " octets long, more than " + MAX_LABEL_LENGTH);
            }
            if (label.equals("*")) {
                throw new InvalidNameException(i == 0
                        ? "a client name cannot be a wildcard ('*')"
                        : "'*' is only meaningful as the first label");
            }
            for (int j = 0; j < label.length(); j++) {
                char c = label.charAt(j);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '_';
                if (!ok) {
                    throw new InvalidNameException("label '" + label + "' contains '" + c
                            + "'; only letters, digits, '-' and '_' are allowed");
                }
            }
        }
        if (labels.length < 2) {
            throw new InvalidNameException("a client name needs at least two labels");
        }
        return new DaneName(name.toLowerCase(Locale.ROOT));
    }

    /** The labels, most specific first. */
    public List<String> labels() {
        return List.of(value.split("\\."));
    }

    /** The absolute form for DNS queries. */
    public String fqdn() {
        return value + ".";
    }

    @Override
    public String toString() {
        return value;
    }
}
