package io.github.keycloakdane.it;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The one deployable jar: what it must carry and what it must leave to Keycloak. */
class PackagingIT {

    @Test
    void theProviderJarCarriesRelocatedDnsjavaAndNothingKeycloakShips() throws Exception {
        List<String> names = new ArrayList<>();
        try (JarFile jar = new JarFile(CliRunner.jar().toFile())) {
            jar.stream().map(JarEntry::getName).forEach(names::add);
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("io.github.keycloakdane.cli.DaneCli");
        }

        assertThat(names).anyMatch(n -> n.startsWith("io/github/keycloakdane/shaded/dnsjava/dnssec/ValidatingResolver"));
        assertThat(names).noneMatch(n -> n.startsWith("org/xbill/"));
        // the CLI's assertion signer, relocated: Keycloak's own nimbus (if any) is never shadowed
        assertThat(names).anyMatch(n -> n.startsWith("io/github/keycloakdane/shaded/nimbus/jose/JWSObject"));
        assertThat(names).noneMatch(n -> n.startsWith("com/nimbusds/"));
        assertThat(names).noneMatch(n -> n.startsWith("org/bouncycastle/"));
        assertThat(names).noneMatch(n -> n.startsWith("org/keycloak/"));
        assertThat(names).noneMatch(n -> n.startsWith("org/slf4j/"));
        assertThat(names).noneMatch(n -> n.contains("InetAddressResolverProvider") || n.contains("nameservice"));
        assertThat(names).noneMatch(n -> n.endsWith("module-info.class"));
        assertThat(names).noneMatch(n -> n.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)"));
        assertThat(names).contains(
                "META-INF/services/org.keycloak.provider.Spi",
                "META-INF/services/org.keycloak.authentication.ClientAuthenticatorFactory",
                "META-INF/services/org.keycloak.authentication.AuthenticatorFactory",
                "theme-resources/templates/dane-confirm.ftl",
                "theme-resources/templates/dane-login.ftl",
                "theme-resources/messages/messages_en.properties",
                "theme-resources/messages/messages_de.properties");
    }

    @Test
    void theCliFindsBouncyCastlesTlsBesideTheJarWithoutBundlingIt() throws Exception {
        try (JarFile jar = new JarFile(CliRunner.jar().toFile())) {
            String classPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
            assertThat(classPath.split(" ")).contains("lib/bcprov-jdk18on.jar", "lib/bctls-jdk18on.jar",
                    "lib/bcutil-jdk18on.jar");
            for (String entry : classPath.split(" ")) {
                assertThat(CliRunner.jar().resolveSibling(entry)).isRegularFile();
            }
        }
    }

    @Test
    void theGatewayJarRunsAloneAndCarriesNoKeycloakClass() throws Exception {
        List<String> names = new ArrayList<>();
        try (JarFile jar = new JarFile(io.github.keycloakdane.it.harness.DaneGatewayProcess.jar().toFile())) {
            jar.stream().map(JarEntry::getName).forEach(names::add);
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo("io.github.keycloakdane.gateway.DaneGateway");
        }
        assertThat(names).contains("org/bouncycastle/tls/TlsServerProtocol.class",
                "io/netty/handler/codec/http/HttpServerCodec.class",
                "io/github/keycloakdane/core/DaneVerifier.class");
        assertThat(names).noneMatch(n -> n.startsWith("org/keycloak/") || n.startsWith("io/github/keycloakdane/keycloak/"));
        assertThat(names).noneMatch(n -> n.contains("InetAddressResolverProvider"));
        assertThat(names).noneMatch(n -> n.matches("META-INF/[^/]+\\.(SF|RSA|DSA|EC)"));
    }
}
