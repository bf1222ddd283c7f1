package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.InvalidNameException;
import org.keycloak.validate.AbstractStringValidator;
import org.keycloak.validate.ValidationContext;
import org.keycloak.validate.ValidationError;
import org.keycloak.validate.ValidatorConfig;

/**
 * User-profile validator {@code dane-name}: attach it to the attribute that holds a person's device names
 * ({@code dane_clientid}) under Realm settings → User profile. A value must be a valid DANE client name written in
 * its normal form (lower case, no trailing dot), so that the value stored is the value {@code auth-dane} searches
 * for. Keycloak's user profile lets a validator refuse a value but not rewrite it, so a valid name in another
 * spelling is refused with the normal form in the message.
 */
public class DaneNameValidator extends AbstractStringValidator {

    public static final String ID = "dane-name";

    @Override
    public String getId() {
        return ID;
    }

    @Override
    protected void doValidate(String value, String inputHint, ValidationContext context, ValidatorConfig config) {
        try {
            DaneName name = DaneName.parse(value);
            if (!name.value().equals(value)) {
                // no apostrophes or braces: Keycloak may run the text through MessageFormat
                context.addError(new ValidationError(ID, inputHint, value + " must be written in normal form: "
                        + name.value()));
            }
        } catch (InvalidNameException e) {
            context.addError(new ValidationError(ID, inputHint, "not a DANE client name: "
                    + e.getMessage().replace('\'', '"').replace('{', '(').replace('}', ')')));
        }
    }
}
