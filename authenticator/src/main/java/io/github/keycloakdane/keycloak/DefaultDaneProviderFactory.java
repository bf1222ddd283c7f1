package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.dns.DnsTlsaSource;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;

import java.util.List;

/**
 * Builds the verifier once, at start-up, from the {@code dane} SPI options; a bad option stops Keycloak with a message
 * that names it (see {@link DaneServerConfig}).
 */
public class DefaultDaneProviderFactory implements DaneProviderFactory {

    public static final String PROVIDER_ID = "default";
    private static final Logger LOG = Logger.getLogger(DefaultDaneProviderFactory.class);

    private volatile DaneVerifier verifier;

    @Override
    public void init(Config.Scope config) {
        DaneServerConfig settings = DaneServerConfig.parse(config::get);
        DnsTlsaSource source;
        try {
            source = new DnsTlsaSource(settings.dns());
        } catch (IllegalArgumentException e) {
            String option = settings.dns().trustAnchors() != null ? DaneServerConfig.TRUST_ANCHORS : DaneServerConfig.RESOLVER;
            throw new IllegalArgumentException(DaneServerConfig.cli(option) + ": " + e.getMessage(), e);
        }
        verifier = new DaneVerifier(source, settings.allowList(), settings.matchPolicy());
        LOG.infof("DANE: resolver %s, %s, timeout %d ms, allow list %s, EE name check %s, PKIX usages %s",
                source.resolverAddress(),
                settings.dns().trustAd() ? "trusting its AD bit" : "validating DNSSEC locally to "
                        + (settings.dns().trustAnchors() == null ? "the IANA root anchors" : "the configured anchors"),
                settings.dns().timeout().toMillis(), settings.allowList(), settings.matchPolicy().eeNameCheck(),
                settings.matchPolicy().pkixEnabled() ? "on" : "off");
    }

    @Override
    public DaneProvider create(KeycloakSession session) {
        DaneVerifier shared = verifier;
        return () -> shared;
    }

    @Override
    public void postInit(KeycloakSessionFactory factory) {
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        return ProviderConfigurationBuilder.create()
                .property().name(DaneServerConfig.RESOLVER).type("string")
                .helpText("Resolver HOST[:PORT] for TLSA queries. Default: the first nameserver of /etc/resolv.conf.").add()
                .property().name(DaneServerConfig.TRUST_ANCHORS).type("string")
                .helpText("File of DS/DNSKEY records (zone-file syntax) to validate DNSSEC to. Default: the IANA root anchors.").add()
                .property().name(DaneServerConfig.TRUST_AD).type("boolean").defaultValue(false)
                .helpText("Trust the resolver's AD bit instead of validating locally. Only on loopback or a secured channel.").add()
                .property().name(DaneServerConfig.TIMEOUT).type("int").defaultValue(2000)
                .helpText("Bound on one TLSA lookup, in milliseconds.").add()
                .property().name(DaneServerConfig.CACHE_MAX_TTL).type("int").defaultValue(300)
                .helpText("Secure answers are cached for min(TTL, this many seconds); 0 disables the cache.").add()
                .property().name(DaneServerConfig.CACHE_NEGATIVE_TTL).type("int").defaultValue(5)
                .helpText("Failed lookups are cached this many seconds.").add()
                .property().name(DaneServerConfig.CACHE_SIZE).type("int").defaultValue(10000)
                .helpText("The most names kept in the cache.").add()
                .property().name(DaneServerConfig.ALLOW_LIST).type("string")
                .helpText("Server-wide allow list (comma-separated: name, *.parent, .domain). Default: no server-wide restriction.").add()
                .property().name(DaneServerConfig.EE_NAME_CHECK).type("boolean").defaultValue(false)
                .helpText("DANE-EE also requires the name among the leaf certificate's SAN dNSNames.").add()
                .property().name(DaneServerConfig.PKIX_TRUST).type("string")
                .helpText("PEM file of CA certificates; enables PKIX-TA(0) and PKIX-EE(1) records.").add()
                .build();
    }
}
