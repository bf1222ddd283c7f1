package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.keycloak.client.CarrierIndex;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ClientProvider;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakTransaction;
import org.keycloak.models.KeycloakTransactionManager;
import org.keycloak.models.ModelValidationException;
import org.keycloak.models.RealmModel;
import org.mockito.ArgumentCaptor;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

class ClientNameListenerTest {

    private static final String NAME = "sensor7._device.example.test";

    private final KeycloakSession session = mock(KeycloakSession.class);
    private final ClientProvider clients = mock(ClientProvider.class);
    private final KeycloakTransactionManager transaction = mock(KeycloakTransactionManager.class);
    private final RealmModel realm = mock(RealmModel.class);
    private final CarrierIndex index = new CarrierIndex(true);

    @BeforeEach
    void session() {
        when(session.clients()).thenReturn(clients);
        when(session.getTransactionManager()).thenReturn(transaction);
        when(realm.getId()).thenReturn("realm-1");
    }

    private ClientModel client(String id, String clientId, String name) {
        ClientModel c = mock(ClientModel.class);
        when(c.getId()).thenReturn(id);
        when(c.getClientId()).thenReturn(clientId);
        when(c.getRealm()).thenReturn(realm);
        when(c.getAttribute(DaneNames.CLIENT_ATTRIBUTE)).thenReturn(name);
        return c;
    }

    private ClientModel.ClientUpdatedEvent saved(ClientModel client) {
        return new ClientModel.ClientUpdatedEvent() {
            @Override
            public ClientModel getUpdatedClient() {
                return client;
            }

            @Override
            public KeycloakSession getKeycloakSession() {
                return session;
            }
        };
    }

    private void carriers(ClientModel... found) {
        when(clients.searchClientsByAttributes(any(), anyMap(), anyInt(), anyInt()))
                .thenAnswer(i -> Stream.of(found));
    }

    @Test
    void aNameAnotherClientOfTheRealmCarriesIsRefusedOnSaveNamingThatClient() {
        ClientModel first = client("id-1", "sensor7", NAME);
        ClientModel second = client("id-2", "sensor7-copy", NAME);
        carriers(first, second);

        assertThatThrownBy(() -> new ClientNameListener(true, index).onEvent(saved(second)))
                .isInstanceOf(ModelValidationException.class)
                .hasMessage("dane.clientid of client sensor7-copy: " + NAME
                        + " is already the dane.clientid of client sensor7 (one client per name)");
        verify(clients).searchClientsByAttributes(realm, Map.of(DaneNames.CLIENT_ATTRIBUTE, NAME), 0, 3);
    }

    @Test
    void savingTheOneCarrierAgainIsFine() {
        ClientModel only = client("id-1", "sensor7", NAME);
        carriers(only);

        new ClientNameListener(true, index).onEvent(saved(only));
    }

    @Test
    void theCollisionIsCheckedOnTheNormalForm() {
        ClientModel first = client("id-1", "sensor7", NAME);
        ClientModel second = client("id-2", "sensor7-copy", "Sensor7._device.Example.test.");
        carriers(first);

        assertThatThrownBy(() -> new ClientNameListener(true, index).onEvent(saved(second)))
                .isInstanceOf(ModelValidationException.class).hasMessageContaining("client sensor7 ");
        verify(second).setAttribute(DaneNames.CLIENT_ATTRIBUTE, NAME);
        verify(clients).searchClientsByAttributes(realm, Map.of(DaneNames.CLIENT_ATTRIBUTE, NAME), 0, 3);
    }

    @Test
    void withoutTheSearchableAttributeNoQueryIsMade() {
        ClientModel second = client("id-2", "sensor7-copy", NAME);

        new ClientNameListener(false, index).onEvent(saved(second));

        verify(clients, never()).searchClientsByAttributes(any(), anyMap(), anyInt(), anyInt());
    }

    @Test
    void aClientWithoutANameCostsNoQuery() {
        new ClientNameListener(true, index).onEvent(saved(client("id-3", "app", null)));

        verify(clients, never()).searchClientsByAttributes(any(), anyMap(), anyInt(), anyInt());
    }

    @Test
    void everySaveForgetsTheRealmsCarriersNowAndAgainWhenTheTransactionEnds() throws Exception {
        ClientModel only = client("id-1", "sensor7", NAME);
        carriers(only);
        index.carriers("realm-1", NAME, () -> List.of("id-1"));
        long loads = index.loads();

        new ClientNameListener(true, index).onEvent(saved(only));
        index.carriers("realm-1", NAME, () -> List.of("id-1")); // a login during the save reads the old state

        ArgumentCaptor<KeycloakTransaction> after = ArgumentCaptor.forClass(KeycloakTransaction.class);
        verify(transaction).enlistAfterCompletion(after.capture());
        after.getValue().begin();
        after.getValue().commit();
        index.carriers("realm-1", NAME, () -> List.of("id-1", "id-2"));

        assertThat(index.loads() - loads).isEqualTo(2);
        assertThat(index.carriers("realm-1", NAME, List::of)).containsExactly("id-1", "id-2");
    }

    @Test
    void removingAClientForgetsTheRealmsCarriers() {
        ClientModel gone = client("id-1", "sensor7", NAME);
        index.carriers("realm-1", NAME, () -> List.of("id-1"));

        new ClientNameListener(true, index).onEvent(new ClientModel.ClientRemovedEvent() {
            @Override
            public ClientModel getClient() {
                return gone;
            }

            @Override
            public KeycloakSession getKeycloakSession() {
                return session;
            }
        });

        assertThat(index.carriers("realm-1", NAME, List::of)).isEmpty();
    }
}
