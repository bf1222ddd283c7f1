package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.NginxProxy;
import io.github.keycloakdane.it.harness.TemplateProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proxy documentation says what the tests run: docs/PROXIES.md (and, for nginx, the admin guide) quotes the proxy
 * configuration files verbatim and lists the Keycloak options the ITs start Keycloak with; the configuration files
 * set the headers those options name; docs/PROXIES.md's proxy table has a row for every lookup. No servers: an IT only because it-tests runs no surefire.
 */
class ProxyDocsIT {

    /** Each lookup's options as the ITs use them, by lookup id. */
    private static final Map<String, List<String>> OPTIONS = Map.of(
            "nginx", KeycloakOptions.nginxCertLookup(),
            "haproxy", KeycloakOptions.haproxyCertLookup(),
            "apache", KeycloakOptions.apacheCertLookup(),
            "traefik", KeycloakOptions.traefikCertLookup(),
            "envoy", KeycloakOptions.envoyCertLookup(),
            "rfc9440", KeycloakOptions.rfc9440CertLookup(),
            "default", KeycloakOptions.tlsCertLookup());

    private static String doc(String path) throws IOException {
        return Files.readString(Path.of("..", path));
    }

    @ParameterizedTest
    @ValueSource(strings = {"haproxy.cfg", "apache-httpd.conf", "nginx.conf"})
    void proxiesMdQuotesTheConfigurationTheTestsRun(String resource) throws IOException {
        assertThat(doc("docs/PROXIES.md")).as("docs/PROXIES.md must quote the snippet of proxies/%s:%n%s", resource,
                TemplateProxy.snippet(resource)).contains("```\n" + TemplateProxy.snippet(resource) + "```\n");
    }

    @Test
    void proxiesMdListsTheOptionsTheTestsUse() throws IOException {
        String doc = doc("docs/PROXIES.md");
        OPTIONS.forEach((id, options) -> {
            String block = "```\n" + String.join("\n", options) + "\n```\n";
            assertThat(doc).as("docs/PROXIES.md, lookup %s:%n%s", id, block).contains(block);
        });
    }

    @Test
    void everyLookupHasATableRow() throws IOException {
        String readme = doc("docs/PROXIES.md");
        assertThat(OPTIONS.keySet()).allSatisfy(id -> assertThat(readme).contains("| `" + id + "` |"));
        for (ProxyLookupsIT.Lookup lookup : ProxyLookupsIT.Lookup.values()) {
            assertThat(OPTIONS).containsKey(lookup.name().toLowerCase());
        }
    }

    @Test
    void theAdminGuideQuotesTheNginxConfigurationTheTestsRun() throws IOException {
        assertThat(doc("docs/ADMIN-GUIDE.md")).contains("```nginx\n" + TemplateProxy.snippet("nginx.conf") + "```\n");
    }

    @Test
    void theConfigurationsSetTheHeadersTheLookupsRead() {
        String nginx = TemplateProxy.resource("nginx.conf");
        assertThat(nginx).contains("proxy_set_header " + KeycloakOptions.CLIENT_CERT_HEADER + " $ssl_client_escaped_cert;",
                "proxy_set_header " + KeycloakOptions.CLIENT_VERIFY_HEADER + " $ssl_client_verify;",
                "proxy_set_header " + NginxProxy.NODE_HEADER + " \"\";",
                "map $http_" + NginxProxy.NODE_HEADER.toLowerCase(Locale.ROOT).replace('-', '_') + " $dane_upstream");
        for (int i = 0; i < KeycloakOptions.CHAIN_LENGTH; i++) {
            assertThat(nginx).contains("proxy_set_header " + KeycloakOptions.CHAIN_HEADER_PREFIX + "_" + i + " \"\";");
        }
        String haproxy = TemplateProxy.snippet("haproxy.cfg");
        assertThat(haproxy).contains("set-header " + KeycloakOptions.HAPROXY_CERT_HEADER + " %[ssl_c_der,base64]",
                "set-header " + KeycloakOptions.HAPROXY_CHAIN_HEADER + " %[ssl_c_chain_der,base64]",
                "del-header " + KeycloakOptions.HAPROXY_CERT_HEADER + "\n",
                "del-header " + KeycloakOptions.HAPROXY_CHAIN_HEADER + "\n");
        String apache = TemplateProxy.snippet("apache-httpd.conf");
        assertThat(apache).contains("RequestHeader set " + KeycloakOptions.APACHE_CERT_HEADER + " \"%{SSL_CLIENT_CERT}s\"");
        for (int i = 0; i < KeycloakOptions.PROXY_CHAIN_LENGTH; i++) {
            String header = KeycloakOptions.APACHE_CHAIN_PREFIX + "_" + i;
            assertThat(apache).contains("RequestHeader unset " + header + "\n",
                    "RequestHeader set " + header + " \"%{SSL_CLIENT_CERT_CHAIN_" + i + "}s\"");
        }
    }
}
