package io.github.keycloakdane.keycloak.user;

import io.github.keycloakdane.testing.TestPki;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What a provisioned domain user takes over from the certificate's subject: givenName and surname, nothing else. */
class DomainUsersTest {

    @Test
    void givenNameAndSurnameComeFromTheSubject() {
        var leaf = TestPki.leaf("x").subject("CN=Jürgen Müller,GIVENNAME=Jürgen,SURNAME=Müller,O=Partner").build();

        assertThat(DomainUsers.subjectNames(leaf.cert())).containsEntry("GIVENNAME", "Jürgen")
                .containsEntry("SURNAME", "Müller").hasSize(2);
    }

    @Test
    void aSubjectWithoutThemGivesNoNamesAndControlCharactersAreReplaced() {
        assertThat(DomainUsers.subjectNames(TestPki.leaf("Alice").build().cert())).isEmpty();
        assertThat(DomainUsers.subjectNames(TestPki.leaf("x").subject("GIVENNAME=Eve\u202e,SURNAME=X").build().cert()))
                .containsEntry("GIVENNAME", "Eve?");
        assertThat(DomainUsers.subjectNames(null)).isEmpty();
    }
}
