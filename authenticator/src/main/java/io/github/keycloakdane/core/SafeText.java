package io.github.keycloakdane.core;

/**
 * Text from untrusted input (claimed names, certificate subjects, validator reasons) made fit for an event detail or
 * a log line: control and invisible formatting characters (line breaks, ESC, bidi overrides) are replaced by '?' so
 * that nobody can forge a log line or hide text, and the length is bounded so that nobody can flood the event store.
 */
public final class SafeText {

    /** The bound for a name (a DNS name is at most 253 octets; a little more shows that it was longer). */
    public static final int NAME_LIMIT = 300;
    /** The bound for a human-readable explanation. */
    public static final int DETAIL_LIMIT = 500;

    private static final String ELLIPSIS = "...";

    private SafeText() {
    }

    /** {@code text} with control and format characters replaced and cut to at most {@code limit} characters. */
    public static String bounded(String text, int limit) {
        if (text == null) {
            return null;
        }
        boolean cut = text.length() > limit;
        String head = cut ? text.substring(0, Math.max(0, limit - ELLIPSIS.length())) : text;
        StringBuilder out = new StringBuilder(head.length() + ELLIPSIS.length());
        for (int i = 0; i < head.length(); i++) {
            char c = head.charAt(i);
            int type = Character.getType(c);
            boolean unsafe = Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
            out.append(unsafe ? '?' : c);
        }
        return cut ? out.append(ELLIPSIS).toString() : out.toString();
    }

    /** A name for an event or log line. */
    public static String name(String text) {
        return bounded(text, NAME_LIMIT);
    }

    /** An explanation for an event or log line. */
    public static String detail(String text) {
        return bounded(text, DETAIL_LIMIT);
    }
}
