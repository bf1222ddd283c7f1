package io.github.keycloakdane.keycloak.diagnostics;

import org.junit.jupiter.api.Test;
import org.keycloak.models.ClientModel;
import org.keycloak.models.RealmModel;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** The console page's server side, and the admin guide's pictures and figures against the code. */
class DaneConsoleTest {

    private static final Path GUIDE = Path.of("..", "docs", "ADMIN-GUIDE.md");
    private static final Pattern IMAGE = Pattern.compile("!\\[[^]]*]\\((images/[^)]+\\.png)\\)");

    @Test
    void valuesPutIntoThePageAreEscaped() {
        assertThat(DaneConsoleResource.escape("a<b>\"c\"&'d'")).isEqualTo("a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;");
    }

    @Test
    void thePageLoadsOnlyTheFilesTheResourceServes() throws Exception {
        String html;
        try (InputStream in = DaneConsoleResource.class.getResourceAsStream("/dane-console/index.html")) {
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("(?:src|href)=\"([^\"#]+)\"").matcher(html);
        List<String> loaded = new ArrayList<>();
        while (m.find()) {
            loaded.add(m.group(1));
        }
        assertThat(loaded).containsExactlyInAnyOrderElementsOf(DaneConsoleResource.FILES.keySet());
        assertThat(html).contains("{{realm}}", "{{client}}", "{{problem}}");
    }

    @Test
    void aMissingOrMisconfiguredClientIsExplained() {
        RealmModel realm = mock(RealmModel.class);
        assertThat(DaneConsoleResource.clientProblems(realm)).singleElement().asString().contains("no client dane-console");

        ClientModel client = mock(ClientModel.class);
        when(realm.getClientByClientId(DaneConsoleProviderFactory.PROVIDER_ID)).thenReturn(client);
        when(client.isEnabled()).thenReturn(true);
        when(client.isPublicClient()).thenReturn(false);
        when(client.isStandardFlowEnabled()).thenReturn(true);
        assertThat(DaneConsoleResource.clientProblems(realm)).singleElement().asString().contains("must be public");

        when(client.isPublicClient()).thenReturn(true);
        assertThat(DaneConsoleResource.clientProblems(realm)).isEmpty();
    }

    @Test
    void theGuideShowsEveryScreenshotOnceAndEachExists() throws Exception {
        String guide = Files.readString(GUIDE);
        List<String> shown = new ArrayList<>();
        Matcher m = IMAGE.matcher(guide);
        while (m.find()) {
            shown.add(m.group(1));
        }
        List<String> files;
        try (Stream<Path> images = Files.list(GUIDE.resolveSibling("images"))) {
            files = images.map(p -> "images/" + p.getFileName()).toList();
        }
        assertThat(shown).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void theGuideStatesTheUserListsBound() throws Exception {
        String section = Files.readString(GUIDE).split("## The DANE console")[1];
        assertThat(section).contains("first " + DaneDiagnosticsResource.MAX_USERS_SCANNED + " users",
                "client named `" + DaneConsoleProviderFactory.PROVIDER_ID + "`");
    }
}
