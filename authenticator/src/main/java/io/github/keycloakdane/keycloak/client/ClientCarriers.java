package io.github.keycloakdane.keycloak.client;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.keycloak.DaneNames;
import org.jboss.logging.Logger;
import org.keycloak.cluster.ClusterProvider;
import org.keycloak.models.AbstractKeycloakTransaction;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.Provider;
import org.keycloak.models.utils.KeycloakModelUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The clients of a realm that carry a {@code dane.clientid}, through this node's {@link CarrierIndex}, and what keeps
 * that index true: Keycloak's realm-cache invalidations from every other node of the cluster, and this node's own
 * client saves and removals ({@link #invalidateAfter}).
 */
public final class ClientCarriers {

    /**
     * The cluster-event keys of Keycloak's realm cache ({@code InfinispanCacheRealmProviderFactory}): a client saved
     * or removed on another node arrives as a {@code ClientUpdatedEvent}, {@code ClientAddedEvent} or
     * {@code ClientRemovedEvent} under the first, a cleared realm cache under the second. Every event of either
     * empties the index: it never has to know the event classes, and realm changes are admin actions, rare next to
     * logins.
     */
    static final List<String> REALM_CACHE_EVENTS = List.of("REALM_INVALIDATION_EVENTS", "REALM_CLEAR_CACHE_EVENTS");

    /** At most this many carriers are asked for: one is the answer, two a collision. */
    static final int MAX_CARRIERS = 2;

    private static final Logger LOG = Logger.getLogger(ClientCarriers.class);

    private ClientCarriers() {
    }

    /**
     * The index this node uses, listening to the cluster's realm-cache invalidations. When this node runs without a
     * realm cache (Keycloak then reads clients from the database every time and sends no invalidations) or the
     * cluster provider cannot be reached, the index keeps nothing and every question is a database query, as
     * before: a warm answer only where Keycloak's own cache would be as fresh.
     */
    public static CarrierIndex start(KeycloakSessionFactory factory) {
        CarrierIndex index = new CarrierIndex(true);
        try {
            boolean listening = KeycloakModelUtils.runJobInTransactionWithResult(factory, session -> {
                if (!hasRealmCache(session)) {
                    return false;
                }
                ClusterProvider cluster = session.getProvider(ClusterProvider.class);
                if (cluster == null) {
                    return false;
                }
                for (String key : REALM_CACHE_EVENTS) {
                    cluster.registerListener(key, event -> index.invalidateAll());
                }
                return true;
            });
            if (listening) {
                return index;
            }
            LOG.infof("DANE: no realm cache on this node: which clients carry a %s is asked of the database at"
                    + " every login", DaneNames.CLIENT_ATTRIBUTE);
        } catch (RuntimeException e) {
            LOG.errorf(e, "DANE: cannot listen to the cluster's realm-cache invalidations: which clients carry a %s"
                    + " is asked of the database at every login", DaneNames.CLIENT_ATTRIBUTE);
        }
        return new CarrierIndex(false);
    }

    /**
     * Whether Keycloak's realm cache runs on this node ({@code org.keycloak.models.cache.CacheRealmProvider}, named
     * here because its module is not on this project's compile path).
     */
    @SuppressWarnings("unchecked")
    private static boolean hasRealmCache(KeycloakSession session) {
        try {
            Class<?> type = Class.forName("org.keycloak.models.cache.CacheRealmProvider", false,
                    ClusterProvider.class.getClassLoader());
            return session.getProvider((Class<? extends Provider>) type) != null;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /**
     * At most {@value #MAX_CARRIERS} clients of {@code realm} carrying {@code name}: from the index when warm (the
     * clients themselves from Keycloak's realm cache), else one indexed query. A remembered carrier that no longer
     * exists or no longer carries the name makes the realm's index be forgotten and the database be asked.
     */
    public static List<ClientModel> carrying(KeycloakSession session, RealmModel realm, DaneName name,
                                             CarrierIndex index) {
        List<ClientModel> clients = resolve(session, realm, name, index.carriers(realm.getId(), name.value(),
                () -> search(session, realm, name).stream().map(ClientModel::getId).toList()));
        if (clients != null) {
            return clients;
        }
        index.invalidate(realm.getId());
        return search(session, realm, name);
    }

    /** The database's answer: one indexed query on the searchable attribute. */
    private static List<ClientModel> search(KeycloakSession session, RealmModel realm, DaneName name) {
        return session.clients().searchClientsByAttributes(realm, Map.of(DaneNames.CLIENT_ATTRIBUTE, name.value()),
                0, MAX_CARRIERS).toList();
    }

    /** The clients of these ids, or null when one of them is gone or no longer carries the name. */
    private static List<ClientModel> resolve(KeycloakSession session, RealmModel realm, DaneName name,
                                             List<String> ids) {
        List<ClientModel> clients = new ArrayList<>(ids.size());
        for (String id : ids) {
            ClientModel client = session.clients().getClientById(realm, id);
            if (client == null || !name.value().equals(client.getAttribute(DaneNames.CLIENT_ATTRIBUTE))) {
                return null;
            }
            clients.add(client);
        }
        return clients;
    }

    /**
     * A client of {@code realmId} is being saved or removed in {@code session}'s transaction: forget the realm's
     * carriers now and again when the transaction ends, so that no login that read the database before the commit
     * leaves the old answer behind.
     */
    public static void invalidateAfter(KeycloakSession session, CarrierIndex index, String realmId) {
        if (!index.enabled()) {
            return;
        }
        index.invalidate(realmId);
        session.getTransactionManager().enlistAfterCompletion(new AbstractKeycloakTransaction() {
            @Override
            protected void commitImpl() {
                index.invalidate(realmId);
            }

            @Override
            protected void rollbackImpl() {
                index.invalidate(realmId);
            }
        });
    }
}
