package io.github.keycloakdane.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which DANE client names may be looked up at all. Checked before any DNS query, so that nobody can make the server
 * query (and wait for) arbitrary names (draft-ietf-dance-architecture §6.4).
 *
 * <p>Entry syntax, matched label by label and case-insensitively:
 * <ul>
 *   <li>{@code device1._device.example.com}: exactly that name;</li>
 *   <li>{@code *._device.example.com}: exactly one label (any) in front of {@code _device.example.com};</li>
 *   <li>{@code .example.com}: any name below {@code example.com}, at any depth; the apex {@code example.com} itself
 *       is not admitted (list it as an exact entry too if it is a client).</li>
 * </ul>
 * So {@code .example.com} admits {@code a.example.com} and never {@code badexample.com}. An empty list admits nothing.
 */
public final class AllowList {

    private enum Kind { EXACT, ONE_LABEL, SUBTREE }

    private record Entry(Kind kind, String name) {
        @Override
        public String toString() {
            return switch (kind) {
                case EXACT -> name;
                case SUBTREE -> "." + name;
                case ONE_LABEL -> "*." + name;
            };
        }
    }

    private final List<Entry> entries;
    private final boolean admitAll;
    // The entries by kind, so that a check costs one set look-up per label of the name, however long the list.
    private final Set<String> exact = new HashSet<>();
    private final Set<String> oneLabelParents = new HashSet<>();
    private final Set<String> subtrees = new HashSet<>();

    private AllowList(List<Entry> entries, boolean admitAll) {
        this.entries = List.copyOf(entries);
        this.admitAll = admitAll;
        for (Entry e : this.entries) {
            (switch (e.kind) {
                case EXACT -> exact;
                case ONE_LABEL -> oneLabelParents;
                case SUBTREE -> subtrees;
            }).add(e.name);
        }
    }

    /** Parses entries; blank ones are skipped, a malformed one is an error naming it. */
    public static AllowList parse(Collection<String> rawEntries) throws InvalidNameException {
        List<Entry> entries = new ArrayList<>();
        for (String raw : rawEntries) {
            if (raw == null || raw.isBlank()) {
                continue;
            }
            String entry = raw.strip();
            Kind kind = Kind.EXACT;
            if (entry.startsWith("*.")) {
                kind = Kind.ONE_LABEL;
                entry = entry.substring(2);
            } else if (entry.startsWith(".")) {
                kind = Kind.SUBTREE;
                entry = entry.substring(1);
            }
            try {
                entries.add(new Entry(kind, DaneName.parse(entry).value()));
            } catch (InvalidNameException e) {
                throw new InvalidNameException("allow-list entry '" + raw.strip() + "': " + e.getMessage());
            }
        }
        return new AllowList(entries, false);
    }

    /** Parses a comma-, space- or "##"-separated list (the form Keycloak's multivalued config uses). */
    public static AllowList parse(String joined) throws InvalidNameException {
        if (joined == null) {
            return parse(List.of());
        }
        return parse(List.of(joined.split("##|[,\\s]+")));
    }

    /** Admits nothing. */
    public static AllowList none() {
        return new AllowList(List.of(), false);
    }

    /** Admits every syntactically valid name: for tools and tests, never a server default. */
    public static AllowList any() {
        return new AllowList(List.of(), true);
    }

    public boolean admits(DaneName name) {
        if (admitAll) {
            return true;
        }
        String value = name.value();
        if (exact.contains(value)) {
            return true;
        }
        // every proper parent of the name: its direct parent for "*.parent", any of them for ".domain"
        for (int dot = value.indexOf('.'); dot >= 0; dot = value.indexOf('.', dot + 1)) {
            String parent = value.substring(dot + 1);
            if (subtrees.contains(parent) || (oneLabelParents.contains(parent) && value.indexOf('.') == dot)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return !admitAll && entries.isEmpty();
    }

    @Override
    public String toString() {
        return admitAll ? "<any>" : entries.toString();
    }
}
