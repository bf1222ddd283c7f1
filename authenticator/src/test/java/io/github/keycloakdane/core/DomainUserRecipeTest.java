package io.github.keycloakdane.core;

import io.github.keycloakdane.core.DaneVerifier.DomainUserOutcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.github.keycloakdane.core.Fixtures.name;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The admin guide's OpenSSL recipe for a partner domain (the block after {@code <!-- domain-user-recipe -->}) run as
 * it is written: its record and its two person certificates authenticate {@code alice@partner.example} (email) and
 * {@code bob@partner.example} (otherName uid) at {@code _user.partner.example}.
 */
class DomainUserRecipeTest {

    private static final String MARKER = "<!-- domain-user-recipe -->";

    @Test
    void theAdminGuidesRecipeMakesARecordAndCertificatesThatSignPeopleIn(@TempDir Path dir) throws Exception {
        String guide = Files.readString(Path.of("..", "docs", "ADMIN-GUIDE.md"));
        int marker = guide.indexOf(MARKER);
        assertThat(marker).as("docs/ADMIN-GUIDE.md has the recipe").isNotNegative();
        int start = guide.indexOf("```sh\n", marker) + "```sh\n".length();
        String recipe = guide.substring(start, guide.indexOf("```", start));
        Files.writeString(dir.resolve("recipe.sh"), recipe);

        Process openssl = new ProcessBuilder("sh", "-e", "recipe.sh").directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("recipe.log").toFile()).start();
        assertThat(openssl.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(openssl.exitValue()).as(Files.readString(dir.resolve("recipe.log"))).isZero();

        TlsaRecord record = TlsaRecord.parse(Files.readString(dir.resolve("tlsa.txt")));
        assertThat(record.parameters()).isEqualTo("2 0 0");
        TlsaSource dns = n -> new TlsaLookup(DnssecStatus.SECURE, List.of(record), List.of(), 300, "secure");
        DaneVerifier verifier = new DaneVerifier(dns, AllowList.parse(List.of("_user.partner.example")),
                MatchPolicy.defaults());
        for (String person : List.of("alice", "bob")) {
            List<java.security.cert.X509Certificate> leaf =
                    CertificateParser.parsePem(Files.readString(dir.resolve(person + ".pem")));
            DomainUserOutcome outcome = verifier.verifyDomainUser(name("_user.partner.example"), leaf, null);
            assertThat(outcome.authenticated()).as(outcome.outcome().toString()).isTrue();
            assertThat(outcome.user().address()).isEqualTo(person + "@partner.example");
        }
    }
}
