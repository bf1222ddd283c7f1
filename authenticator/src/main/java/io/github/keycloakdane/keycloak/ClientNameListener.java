package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.keycloak.client.CarrierIndex;
import io.github.keycloakdane.keycloak.client.ClientCarriers;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ModelValidationException;
import org.keycloak.models.RealmModel;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;

import java.util.List;
import java.util.Map;


/**
 * Keeps a client's {@code dane.clientid} in one normal form, written once and carried by one client: on every save
 * of a client (admin console, admin REST API, realm import, dynamic registration) the value is parsed and stored
 * normalised, an invalid name is refused with the parser's message, and so is a name another client of the realm
 * already carries (HTTP 400 {@code invalid_input} through the admin API, the message in the admin console). It runs
 * inside the saving transaction, so a refusal saves nothing. The collision check needs {@code dane.clientid}
 * searchable (one indexed query); two carriers that get past it anyway (two saves at the same moment, or data from
 * before) are still refused at every authentication ({@code AMBIGUOUS_IDENTITY}). Every save or removal of a client
 * also makes this node forget the realm's {@link CarrierIndex}.
 */
final class ClientNameListener implements ProviderEventListener {

    private final boolean searchable;
    private final CarrierIndex carriers;

    ClientNameListener(boolean searchable, CarrierIndex carriers) {
        this.searchable = searchable;
        this.carriers = carriers;
    }

    @Override
    public void onEvent(ProviderEvent event) {
        if (event instanceof ClientModel.ClientUpdatedEvent updated) {
            ClientModel client = updated.getUpdatedClient();
            ClientCarriers.invalidateAfter(updated.getKeycloakSession(), carriers, client.getRealm().getId());
            saved(updated, client);
        } else if (event instanceof ClientModel.ClientRemovedEvent removed) {
            ClientCarriers.invalidateAfter(removed.getKeycloakSession(), carriers, removed.getClient().getRealm()
                    .getId());
        } else if (event instanceof RealmModel.RealmRemovedEvent removed) {
            ClientCarriers.invalidateAfter(removed.getKeycloakSession(), carriers, removed.getRealm().getId());
        }
    }

    private void saved(ClientModel.ClientUpdatedEvent updated, ClientModel client) {
        String stored = client.getAttribute(DaneNames.CLIENT_ATTRIBUTE);
        if (stored == null || stored.isEmpty()) {
            return;
        }
        DaneName name;
        try {
            name = DaneName.parse(stored);
        } catch (InvalidNameException e) {
            throw new ModelValidationException(DaneNames.CLIENT_ATTRIBUTE + " of client " + client.getClientId() + ": "
                    + e.getMessage());
        }
        if (!name.value().equals(stored)) {
            client.setAttribute(DaneNames.CLIENT_ATTRIBUTE, name.value());
        }
        if (searchable) {
            List<String> others = updated.getKeycloakSession().clients().searchClientsByAttributes(client.getRealm(),
                            Map.of(DaneNames.CLIENT_ATTRIBUTE, name.value()), 0, 3)
                    .filter(c -> !c.getId().equals(client.getId())).map(ClientModel::getClientId).toList();
            if (!others.isEmpty()) {
                throw new ModelValidationException(DaneNames.CLIENT_ATTRIBUTE + " of client " + client.getClientId()
                        + ": " + name + " is already the " + DaneNames.CLIENT_ATTRIBUTE + " of client "
                        + String.join(", ", others) + " (one client per name)");
            }
        }
    }
}
