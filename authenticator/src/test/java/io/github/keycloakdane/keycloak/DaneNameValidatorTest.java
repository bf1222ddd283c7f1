package io.github.keycloakdane.keycloak;

import org.junit.jupiter.api.Test;
import org.keycloak.validate.ValidationContext;
import org.keycloak.validate.ValidationError;
import org.keycloak.validate.ValidatorConfig;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DaneNameValidatorTest {

    private static List<String> errors(Object value) {
        ValidationContext context = new DaneNameValidator().validate(value, "dane_clientid", new ValidationContext(),
                ValidatorConfig.EMPTY);
        return context.getErrors().stream().map(ValidationError::getMessage).toList();
    }

    @Test
    void aNameInNormalFormIsAccepted() {
        assertThat(errors("alice-laptop._user.example.test")).isEmpty();
        assertThat(errors(List.of("a._user.example.test", "b._user.example.test"))).isEmpty();
    }

    @Test
    void anotherSpellingOfAValidNameIsRefusedWithTheNormalForm() {
        assertThat(errors("Alice-Laptop._user.Example.test.")).singleElement().asString()
                .isEqualTo("Alice-Laptop._user.Example.test. must be written in normal form: alice-laptop._user.example.test");
    }

    @Test
    void anInvalidNameIsRefusedWithTheParsersMessage() {
        assertThat(errors("alice laptop.example.test")).singleElement().asString()
                .startsWith("not a DANE client name: ").contains("non-ASCII or control character");
        assertThat(errors("*.example.test")).singleElement().asString().contains("wildcard");
    }
}
