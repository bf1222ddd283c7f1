package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.SharedStack;
import io.github.keycloakdane.it.harness.Stack;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.PartialImportRepresentation;
import org.keycloak.representations.idm.RealmRepresentation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.github.keycloakdane.it.DaneScenarios.awaitEvents;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.knotQueries;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static io.github.keycloakdane.it.DaneScenarios.representation;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A realm of 10 000 client-dane clients: a client that sends only its {@code dane_clientid} is found by one indexed
 * query (the shared stack makes {@code dane.clientid} searchable), and a name nobody carries, or one outside the server
 * allow list, is refused without any DNS query. Without the searchable attribute, the same request is refused
 * outright ({@link CertificateHeaderTrustIT}); there is no code path left that walks a realm's clients.
 */
@ExtendWith(SharedStack.class)
class ManyClientsIT {

    private static final String REALM = "many";
    private static final int CLIENTS = 10_000;
    private static final int BATCH = 20;
    private static final String SENSOR7 = "sensor7._device.example.test";

    private static Stack stack;
    private static RealmResource manyRealm;
    private static Issued sensor7;

    @BeforeAll
    static void realmWithTenThousandClients(Stack shared) throws Exception {
        stack = shared;
        manyRealm = stack.admin().realm(REALM);
        sensor7 = TestPki.leaf("sensor7").build();
        publish(stack, SENSOR7, daneEe(sensor7.cert()));
        // realm-config's realm under another name: its client-dane flow and sensor7, without its users
        ObjectNode realm = (ObjectNode) new ObjectMapper().readTree(ItConfig.daneRealm().orElseThrow().toFile());
        realm.put("realm", REALM);
        realm.remove("users");
        long t0 = System.nanoTime();
        stack.admin().realms().create(representation(realm, RealmRepresentation.class));
        // Keycloak imports a batch in one transaction whose cost grows with the square of its size: small batches,
        // a few at a time (about 100 clients a second on two cores)
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Integer>> batches = new ArrayList<>();
        for (int first = 0; first < CLIENTS; first += BATCH) {
            int from = first;
            batches.add(pool.submit(() -> importClients(from, Math.min(CLIENTS, from + BATCH))));
        }
        int added = 0;
        try {
            for (Future<Integer> batch : batches) {
                added += batch.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(added).isEqualTo(CLIENTS);
        System.out.printf(Locale.ROOT, "[many-clients] realm with %d clients made in %.1f s%n", CLIENTS + 1,
                (System.nanoTime() - t0) / 1e9);
    }

    // The realm stays until the shared stack stops: deleting 10 000 clients takes Keycloak minutes, and no other
    // test looks at it.

    private static int importClients(int from, int to) throws Exception {
        List<Map<String, Object>> clients = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("clientId", "bulk-" + i);
            c.put("clientAuthenticatorType", "client-dane");
            c.put("standardFlowEnabled", false);
            // a label of their own: other ITs publish a wildcard TLSA at *._device.example.test
            c.put("attributes", Map.of("dane.clientid", "bulk-" + i + "._bulk.example.test"));
            c.put("defaultClientScopes", List.of());
            c.put("optionalClientScopes", List.of());
            clients.add(c);
        }
        try (jakarta.ws.rs.core.Response response = manyRealm.partialImport(representation(
                Map.of("ifResourceExists", "FAIL", "clients", clients), PartialImportRepresentation.class))) {
            return new ObjectMapper().readTree(response.readEntity(String.class)).path("added").asInt();
        }
    }

    private static TlsHttp.Response byName(String name) {
        return stack.https().withClientCertificate(sensor7).postForm(stack.tokenUri(REALM),
                Map.of("grant_type", "client_credentials", "dane_clientid", name));
    }

    private static JsonNode lastError(Instant since) throws InterruptedException {
        List<JsonNode> errors = awaitEvents(manyRealm, 1, Duration.ofSeconds(5), "CLIENT_LOGIN_ERROR");
        return errors.stream().filter(e -> e.path("time").asLong() >= since.toEpochMilli()).findFirst().orElseThrow();
    }

    @Test
    void theOneClientCarryingTheNameIsFoundAmongTenThousand() {
        long t0 = System.nanoTime();
        TlsHttp.Response response = byName(SENSOR7);
        System.out.printf(Locale.ROOT, "[many-clients] dane_clientid-only token request among %d clients: %.1f ms%n",
                CLIENTS + 1, (System.nanoTime() - t0) / 1e6);

        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    @Test
    void aNameNobodyCarriesOrOutsideTheServerAllowListCostsNoDnsQuery() throws Exception {
        long queries = knotQueries(stack);
        manyRealm.clearEvents();
        Instant since = Instant.now();

        TlsHttp.Response nobody = byName("ghost._device.example.test");
        JsonNode nobodyEvent = lastError(since);
        manyRealm.clearEvents();
        Instant later = Instant.now();
        TlsHttp.Response outside = byName("sensor7._device.example.org");
        JsonNode outsideEvent = lastError(later);

        assertThat(nobody.status()).isEqualTo(401);
        assertThat(outside.status()).isEqualTo(401);
        assertThat(knotQueries(stack)).isEqualTo(queries);
        assertThat(nobodyEvent.path("details").path("dane_reason").asText()).isEqualTo("NOT_ALLOWED");
        assertThat(nobodyEvent.path("details").path("dane_detail").asText()).contains("no client has this");
        assertThat(outsideEvent.path("details").path("dane_reason").asText()).isEqualTo("NOT_ALLOWED");
        assertThat(outsideEvent.path("details").path("dane_detail").asText()).contains("server allow list");
    }

    @Test
    void aBulkClientIsFoundByItsNameAndRefusedForItsMissingRecords() throws Exception {
        manyRealm.clearEvents();
        Instant since = Instant.now();

        TlsHttp.Response response = byName("bulk-9999._bulk.example.test");

        assertThat(response.status()).isEqualTo(401);
        JsonNode event = lastError(since);
        assertThat(event.path("clientId").asText()).isEqualTo("bulk-9999");
        assertThat(event.path("details").path("dane_reason").asText()).isEqualTo("DNS_NO_RECORDS");
    }
}
