package io.github.keycloakdane.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import io.github.keycloakdane.it.harness.ApacheHttpd;
import io.github.keycloakdane.it.harness.HaProxy;
import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;
import io.github.keycloakdane.it.harness.KeycloakServer;
import io.github.keycloakdane.it.harness.KnotDns;
import io.github.keycloakdane.it.harness.ProxyHeaders;
import io.github.keycloakdane.it.harness.TemplateProxy;
import io.github.keycloakdane.it.harness.TlsHttp;
import io.github.keycloakdane.it.harness.Tokens;
import io.github.keycloakdane.testing.TestPki;
import io.github.keycloakdane.testing.TestPki.Issued;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static io.github.keycloakdane.it.DaneScenarios.REALM;
import static io.github.keycloakdane.it.DaneScenarios.ZONE;
import static io.github.keycloakdane.it.DaneScenarios.daneEe;
import static io.github.keycloakdane.it.DaneScenarios.daneTaDigest;
import static io.github.keycloakdane.it.DaneScenarios.daneTaKeyDigest;
import static io.github.keycloakdane.it.DaneScenarios.publish;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * client-dane behind every header x509cert-lookup of Keycloak 26.7.3 but nginx (ClientDaneIT, StackIT) and default
 * (DirectMtlsIT): real HAProxy and Apache httpd (Debian packages) with their configurations from
 * {@code src/test/resources/proxies/}, and, for Traefik, Envoy and RFC 9440 proxies (not packaged), the test client
 * sending exactly their headers from the trusted proxy address 127.0.0.1, built from the device's certificate chain
 * ({@link ProxyHeaders}). Every lookup here delivers the client's chain, so besides DANE-EE ({@code 3 1 1}) a DANE-TA
 * record on an intermediate CA works, both {@code 2 0 1} and {@code 2 1 1}.
 *
 * <p>One Knot zone for all; one Keycloak instance directory started once per lookup (the lookup is a build-time
 * option, so each start re-augments).
 */
class ProxyLookupsIT {

    private static final String DEVICE = "device._device." + ZONE;
    /** DANE-TA names: the fleet's intermediate CA as {@code 2 0 1} and as {@code 2 1 1}. */
    private static final String FLEET_CERT = "cert._fleet." + ZONE;
    private static final String FLEET_SPKI = "spki._fleet." + ZONE;

    private static final Issued TLS_CA = TestPki.ca("proxy lookups IT TLS CA").build();
    private static final Issued ROOT = TestPki.ca("Fleet Root CA").build();
    private static final Issued FLEET_CA = TestPki.ca("Fleet Intermediate CA").issuer(ROOT).build();
    private static final Issued OTHER_CA = TestPki.ca("Other Intermediate CA").issuer(ROOT).build();

    private static Path dir;
    private static KnotDns knot;
    private static Path trustAnchors;

    /** How a device's TLS client certificate reaches Keycloak. */
    enum Lookup {
        HAPROXY(KeycloakOptions.haproxyCertLookup(), HaProxy::start),
        APACHE(KeycloakOptions.apacheCertLookup(), ApacheHttpd::start),
        TRAEFIK(KeycloakOptions.traefikCertLookup(), ProxyHeaders::traefik),
        ENVOY(KeycloakOptions.envoyCertLookup(), ProxyHeaders::envoy),
        RFC9440(KeycloakOptions.rfc9440CertLookup(), ProxyHeaders::rfc9440);

        final List<String> options;
        final ProxyStarter proxy;
        final Function<List<X509Certificate>, Map<String, String>> headers;

        Lookup(List<String> options, ProxyStarter proxy) {
            this.options = options;
            this.proxy = proxy;
            this.headers = null;
        }

        Lookup(List<String> options, Function<List<X509Certificate>, Map<String, String>> headers) {
            this.options = options;
            this.proxy = null;
            this.headers = headers;
        }
    }

    interface ProxyStarter {
        TemplateProxy start(Path dir, URI upstream, Issued serverCertificate) throws IOException;
    }

    @BeforeAll
    static void publishRecords() throws IOException {
        dir = Files.createDirectories(ItConfig.workDir().resolve("lookups"));
        knot = KnotDns.builder(dir.resolve("knot")).signedZone(ZONE, "").start();
        trustAnchors = Files.writeString(dir.resolve("trust-anchors.zone"), knot.trustAnchor());
        publish(knot, FLEET_CERT, daneTaDigest(FLEET_CA.cert()));
        publish(knot, FLEET_SPKI, daneTaKeyDigest(FLEET_CA.cert()));
    }

    @AfterAll
    static void stopKnot() {
        if (knot != null) {
            knot.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Lookup.class)
    void aDeviceGetsATokenThroughTheLookupAndAnotherKeyIsRefused(Lookup lookup) throws Exception {
        Issued device = TestPki.leaf("device").dnsNames(DEVICE).build();
        publish(knot, DEVICE, daneEe(device.cert()));
        try (KeycloakServer keycloak = KeycloakServer.builder("lookups").instanceDir(dir.resolve("keycloak"))
                .provider(ItConfig.daneJar()).realmImport(ItConfig.daneRealm().orElseThrow())
                .options(lookup.options).options(KeycloakOptions.behindProxy("127.0.0.1"))
                .options(KeycloakOptions.dane(knot.address(), trustAnchors)).start();
             TemplateProxy proxy = lookup.proxy == null ? null
                     : lookup.proxy.start(dir.resolve(lookup.name().toLowerCase()), keycloak.baseUri(),
                             TestPki.tlsServer(TLS_CA, "127.0.0.1"))) {
            DaneScenarios.daneClient(keycloak.admin(), "device", DEVICE);
            DaneScenarios.daneClient(keycloak.admin(), "fleet-cert", FLEET_CERT);
            DaneScenarios.daneClient(keycloak.admin(), "fleet-spki", FLEET_SPKI);
            Front front = new Front(lookup, keycloak, proxy);

            // DANE-EE: the published key gets a token carrying its name
            TlsHttp.Response ok = front.token("device", device);
            assertThat(ok.status()).as(lookup + ": " + ok).isEqualTo(200);
            JWTClaimsSet claims = Tokens.verify(ok.json().path("access_token").asText(), front.http(),
                    front.realmUri());
            assertThat(claims.getClaim("dane_clientid")).isEqualTo(DEVICE);

            // another key under the same name is refused
            Issued impostor = TestPki.leaf("device").dnsNames(DEVICE).build();
            Instant before = Instant.now();
            assertRefused(front.token("device", impostor), lookup, keycloak, DEVICE, before, "NO_MATCH");

            // DANE-TA on the intermediate: the chain reached Keycloak, the record matched the certificate after the leaf
            Issued fleetCert = TestPki.leaf("fleet cert").issuer(FLEET_CA).dnsNames(FLEET_CERT).build();
            Instant since = Instant.now();
            TlsHttp.Response ta = front.token("fleet-cert", fleetCert, FLEET_CA.cert());
            assertThat(ta.status()).as(lookup + ": " + ta).isEqualTo(200);
            JsonNode event = DaneScenarios.event(keycloak.admin(), "CLIENT_LOGIN", FLEET_CERT, since).orElseThrow();
            assertThat(event.path("details").path("dane_record").asText()).isEqualTo("2 0 1@1");
            Issued fleetSpki = TestPki.leaf("fleet spki").issuer(FLEET_CA).dnsNames(FLEET_SPKI).build();
            TlsHttp.Response taSpki = front.token("fleet-spki", fleetSpki, FLEET_CA.cert());
            assertThat(taSpki.status()).as(lookup + ": " + taSpki).isEqualTo(200);

            // a leaf from another CA (same root, same name) is refused
            Issued stranger = TestPki.leaf("fleet cert").issuer(OTHER_CA).dnsNames(FLEET_CERT).build();
            before = Instant.now();
            assertRefused(front.token("fleet-cert", stranger, OTHER_CA.cert()), lookup, keycloak, FLEET_CERT, before,
                    "NO_MATCH");

            // the device's certificate in forged headers: a real proxy replaces them with the impostor's certificate;
            // from an address that is not a trusted proxy Keycloak reads no certificate at all
            before = Instant.now();
            assertRefused(front.forgedDeviceHeaders(device, impostor), lookup, keycloak, DEVICE, before,
                    lookup.proxy != null ? "NO_MATCH" : "NO_CERTIFICATE");
        }
    }

    private static void assertRefused(TlsHttp.Response response, Lookup lookup, KeycloakServer keycloak, String name,
                                      Instant since, String reason) throws InterruptedException {
        assertThat(response.status()).as(lookup + ": " + response).isEqualTo(401);
        assertThat(response.json().path("error").asText()).isEqualTo("invalid_client");
        JsonNode event = DaneScenarios.event(keycloak.admin(), "CLIENT_LOGIN_ERROR", name, since).orElseThrow();
        assertThat(event.path("details").path("dane_reason").asText()).as(lookup + ": " + event).isEqualTo(reason);
    }

    /** Token requests as the lookup's proxy delivers them. */
    private record Front(Lookup lookup, KeycloakServer keycloak, TemplateProxy proxy) {

        TlsHttp.Response token(String clientId, Issued leaf, X509Certificate... issuers) {
            Map<String, String> form = Map.of("grant_type", "client_credentials", "client_id", clientId);
            if (proxy != null) {
                return TlsHttp.trusting(TLS_CA.cert()).withClientCertificate(leaf, issuers)
                        .postForm(tokenUri(proxy.realmUri(REALM)), form);
            }
            return TlsHttp.postFormFrom(InetAddress.getLoopbackAddress(), tokenUri(keycloak.realmUri(REALM)), form,
                    lookup.headers.apply(chain(leaf, issuers)));
        }

        /**
         * The device's certificate in the proxy's headers without its key: through the real proxy from a client
         * holding another key (the proxy must replace them), or straight to Keycloak from 127.0.0.2, which is not a
         * trusted proxy address.
         */
        TlsHttp.Response forgedDeviceHeaders(Issued device, Issued otherKey) throws IOException {
            Map<String, String> form = Map.of("grant_type", "client_credentials", "client_id", "device");
            if (proxy != null) {
                String pem = TestPki.pem(List.of(device.cert())).replace("\n", " ").strip();
                return TlsHttp.trusting(TLS_CA.cert()).withClientCertificate(otherKey)
                        .postForm(tokenUri(proxy.realmUri(REALM)), form, lookup == Lookup.HAPROXY
                                ? KeycloakOptions.HAPROXY_CERT_HEADER : KeycloakOptions.APACHE_CERT_HEADER, pem);
            }
            return TlsHttp.postFormFrom(InetAddress.getByName("127.0.0.2"), tokenUri(keycloak.realmUri(REALM)), form,
                    lookup.headers.apply(List.of(device.cert())));
        }

        TlsHttp http() {
            return proxy != null ? TlsHttp.trusting(TLS_CA.cert()) : TlsHttp.trusting();
        }

        URI realmUri() {
            return proxy != null ? proxy.realmUri(REALM) : keycloak.realmUri(REALM);
        }

        private static URI tokenUri(URI realmUri) {
            return URI.create(realmUri + "/protocol/openid-connect/token");
        }

        private static List<X509Certificate> chain(Issued leaf, X509Certificate... issuers) {
            List<X509Certificate> chain = new ArrayList<>(List.of(leaf.cert()));
            chain.addAll(List.of(issuers));
            return chain;
        }
    }
}
