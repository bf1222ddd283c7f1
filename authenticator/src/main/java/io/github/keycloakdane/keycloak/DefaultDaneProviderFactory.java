package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.dns.DnsTlsaSource;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.eclipse.microprofile.config.ConfigProvider;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.services.x509.X509ClientCertificateLookup;

import java.util.List;

/**
 * Builds the verifier once, at start-up, from the {@code dane} SPI options; a bad option stops Keycloak with a message
 * that names it (see {@link DaneServerConfig}).
 */
public class DefaultDaneProviderFactory implements DaneProviderFactory {

    public static final String PROVIDER_ID = "default";
    private static final Logger LOG = Logger.getLogger(DefaultDaneProviderFactory.class);

    private volatile DaneVerifier verifier;
    private volatile boolean allowUntrustedCertificateHeader;
    private volatile String untrustedCertificateSource;
    private volatile boolean clientNameSearchable;

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
        allowUntrustedCertificateHeader = settings.allowUntrustedCertificateHeader();
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
        String untrusted = untrustedCertificateSource;
        boolean searchable = clientNameSearchable;
        return new DaneProvider() {
            @Override
            public DaneVerifier verifier() {
                return shared;
            }

            @Override
            public String untrustedCertificateSource() {
                return untrusted;
            }

            @Override
            public boolean clientNameSearchable() {
                return searchable;
            }
        };
    }

    /** Once every provider is known: how certificates reach this node, and whether clients can be found by name. */
    @Override
    public void postInit(KeycloakSessionFactory factory) {
        ProviderFactory<X509ClientCertificateLookup> lookup = factory.getProviderFactory(X509ClientCertificateLookup.class);
        String trustedAddresses = ConfigProvider.getConfig()
                .getOptionalValue("kc.proxy-trusted-addresses", String.class).orElse(null);
        untrustedCertificateSource = DeploymentChecks.untrustedCertificateSource(
                lookup == null ? null : lookup.getId(), trustedAddresses, allowUntrustedCertificateHeader);
        if (untrustedCertificateSource != null) {
            LOG.errorf("DANE refuses every client and user on this node: %s", untrustedCertificateSource);
        } else if (allowUntrustedCertificateHeader && lookup != null
                && DeploymentChecks.HEADER_LOOKUPS.contains(lookup.getId())
                && (trustedAddresses == null || trustedAddresses.isBlank())) {
            LOG.warnf("DANE: the '%s' lookup's certificate header is believed from any address (%s=true):"
                    + " only the proxy may reach this node", lookup.getId(),
                    DaneServerConfig.cli(DaneServerConfig.ALLOW_UNTRUSTED_CERTIFICATE_HEADER));
        }
        clientNameSearchable = DeploymentChecks.clientAttributeSearchable(
                Config.scope("client", "jpa").getArray("searchableAttributes"),
                System.getProperty("keycloak.client.searchableAttributes"), DaneNames.CLIENT_ATTRIBUTE);
        if (!clientNameSearchable) {
            LOG.warnf("DANE: client-dane refuses clients that send only %s (reason NAME_SEARCH_DISABLED) and does"
                    + " not check %s for collisions: start Keycloak with"
                    + " --spi-client--jpa--searchable-attributes=%s to find clients by name with an indexed query",
                    DaneNames.PARAMETER, DaneNames.CLIENT_ATTRIBUTE, DaneNames.CLIENT_ATTRIBUTE);
        }
        factory.register(new ClientNameListener());
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
                .property().name(DaneServerConfig.ALLOW_UNTRUSTED_CERTIFICATE_HEADER).type("boolean").defaultValue(false)
                .helpText("Believe a header lookup's certificate although --proxy-trusted-addresses is unset. Only when"
                        + " nothing but the proxy can reach Keycloak; otherwise DANE refuses everyone.").add()
                .build();
    }
}
