package io.github.keycloakdane.keycloak.client;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * This node's answer to "which clients of this realm carry this {@code dane.clientid}", so that a warm login asks
 * the database nothing: (realm id, name) to the ids of the carrying clients, filled on first use and dropped whenever
 * a client may have changed (a client saved or removed on this node, or any realm invalidation Keycloak's realm cache
 * receives from another node).
 *
 * <p>Only names some client carries are kept: a name nobody carries costs its indexed query every time, as before,
 * so a stranger sending made-up names cannot fill the index. At most {@value #MAX_NAMES_PER_REALM} names per realm;
 * beyond that, names are answered from the database without being kept.
 *
 * <p>An answer loaded while an invalidation runs is never kept past it: the loader stores into the realm's map it
 * started with, and an invalidation replaces that map, so a load that read the database before a change and
 * finishes after it stores into a map nobody reads any more. The index holds no Keycloak type and is thread-safe.
 */
public final class CarrierIndex {

    /** The most names kept per realm (a realm's DANE clients, comfortably). */
    public static final int MAX_NAMES_PER_REALM = 100_000;

    private final ConcurrentHashMap<String, Map<String, List<String>>> realms = new ConcurrentHashMap<>();
    private final LongAdder loads = new LongAdder();
    private final LongAdder invalidations = new LongAdder();
    private final boolean enabled;

    /**
     * @param enabled false when this node cannot hear of client changes on other nodes: then every question is
     *                answered by the loader, nothing is kept
     */
    public CarrierIndex(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether answers are kept at all. */
    public boolean enabled() {
        return enabled;
    }

    /**
     * The ids of the clients of {@code realmId} that carry {@code name}, from the index or else from {@code load}
     * (the database's answer, e.g. at most two ids: one is the answer, two a collision).
     */
    public List<String> carriers(String realmId, String name, Supplier<List<String>> load) {
        if (!enabled) {
            return load(load);
        }
        Map<String, List<String>> names = realms.computeIfAbsent(realmId, id -> new ConcurrentHashMap<>());
        List<String> known = names.get(name);
        if (known != null) {
            return known;
        }
        List<String> loaded = load(load);
        if (!loaded.isEmpty() && names.size() < MAX_NAMES_PER_REALM) {
            names.put(name, loaded);
        }
        return loaded;
    }

    private List<String> load(Supplier<List<String>> load) {
        loads.increment();
        return List.copyOf(load.get());
    }

    /** Forget what is known about one realm's clients (one of them was saved or removed). */
    public void invalidate(String realmId) {
        if (realmId == null) {
            invalidateAll();
            return;
        }
        invalidations.increment();
        realms.remove(realmId);
    }

    /** Forget everything (a change this node cannot attribute to one realm, or the realm cache was cleared). */
    public void invalidateAll() {
        invalidations.increment();
        realms.clear();
    }

    /** How many questions went to the loader since start: the database queries the index did not save. */
    public long loads() {
        return loads.sum();
    }

    /** How many invalidations this node has seen since start. */
    public long invalidations() {
        return invalidations.sum();
    }
}
