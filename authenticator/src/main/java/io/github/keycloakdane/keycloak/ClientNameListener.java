package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import org.keycloak.models.ClientModel;
import org.keycloak.models.ModelValidationException;
import org.keycloak.provider.ProviderEvent;
import org.keycloak.provider.ProviderEventListener;


/**
 * Keeps a client's {@code dane.clientid} in one normal form, written once: on every save of a client (admin console,
 * admin REST API, realm import, dynamic registration) the value is parsed and stored normalised, and an invalid name
 * is refused with the parser's message (HTTP 400 {@code invalid_input} through the admin API). It runs inside the
 * saving transaction, so a refusal saves nothing. Two clients carrying one name are not refused here but at every
 * authentication ({@code AMBIGUOUS_IDENTITY}), where the event and the log name them.
 */
final class ClientNameListener implements ProviderEventListener {

    @Override
    public void onEvent(ProviderEvent event) {
        if (!(event instanceof ClientModel.ClientUpdatedEvent updated)) {
            return;
        }
        ClientModel client = updated.getUpdatedClient();
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
    }
}
