package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.dns.DnssecSignatures;
import io.github.keycloakdane.keycloak.client.CarrierIndex;
import io.github.keycloakdane.keycloak.client.ClientCarriers;
import io.github.keycloakdane.keycloak.diagnostics.DiagnosticsGuard;
import io.github.keycloakdane.settings.ServerOption;
import io.github.keycloakdane.settings.ServerSettings;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;
import org.keycloak.Config;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.KeycloakSessionFactory;
import org.keycloak.provider.ProviderConfigProperty;
import org.keycloak.provider.ProviderConfigurationBuilder;
import org.keycloak.provider.ProviderFactory;
import org.keycloak.services.x509.X509ClientCertificateLookup;

import java.util.List;

/**
 * Builds the verifier once, at start-up, from the {@code dane} SPI options; a bad option stops Keycloak with a message
 * that names it (see {@link ServerSettings}).
 */
public class DefaultDaneVerifierProviderFactory implements DaneVerifierProviderFactory {

    public static final String PROVIDER_ID = "default";
    private static final Logger LOG = Logger.getLogger(DefaultDaneVerifierProviderFactory.class);

    private volatile DaneVerifier verifier;
    private volatile DnsTlsaSource source;
    private volatile boolean allowUntrustedCertificateHeader;
    private volatile java.util.Set<String> headerlessCertificateLookups;
    private volatile String untrustedCertificateSource;
    private volatile boolean clientNameSearchable;
    private volatile CarrierIndex carrierIndex = new CarrierIndex(false);
    private volatile String proxyIdentityHeader;
    private volatile boolean trustProxyIdentity;
    private volatile java.time.Duration assertionMaxLifetime;
    private volatile DiagnosticsGuard diagnostics;
    private volatile boolean trustAd;

    @Override
    public void init(Config.Scope config) {
        // before the parse: options Keycloak did not pass on for their spelling are named even if another is bad
        OptionSpellingCheck.run(option -> config.get(option.key) != null);
        ServerSettings settings = ServerSettings.parse(option -> config.get(option.key));
        DnsTlsaSource source = settings.dnsSource(ServerOption::spiOption);
        verifier = new DaneVerifier(source, settings.allowList(), settings.matchPolicy());
        this.source = source;
        // once per node, before any request: meters exist (at zero) from the start
        DaneMetrics.register(source);
        allowUntrustedCertificateHeader = settings.allowUntrustedCertificateHeader();
        headerlessCertificateLookups = settings.headerlessCertificateLookups();
        String headerlessProblem = DeploymentChecks.impossibleHeaderlessLookups(headerlessCertificateLookups);
        if (headerlessProblem != null) {
            throw new IllegalArgumentException(headerlessProblem);
        }
        proxyIdentityHeader = settings.proxyIdentityHeader();
        trustProxyIdentity = settings.trustProxyIdentity();
        assertionMaxLifetime = settings.assertionMaxLifetime();
        diagnostics = new DiagnosticsGuard(settings.diagnostics());
        trustAd = settings.dns().trustAd();
        String identityHeaderProblem = DeploymentChecks.untrustedIdentityHeader(proxyIdentityHeader,
                trustedProxyAddresses());
        if (identityHeaderProblem != null) {
            throw new IllegalArgumentException(identityHeaderProblem);
        }
        if (proxyIdentityHeader != null) {
            LOG.infof("DANE: client-dane takes the identity from the header %s when a trusted proxy sends it, %s",
                    proxyIdentityHeader, trustProxyIdentity ? "without re-verification" : "and re-verifies it");
        }
        if (trustProxyIdentity) {
            LOG.warnf("DANE: %s=true: the identity in %s is believed without checking the certificate against DNS;"
                    + " a proxy that forwards a client's own %s header lets that client be anyone",
                    ServerOption.TRUST_PROXY_IDENTITY.spiOption(), proxyIdentityHeader, proxyIdentityHeader);
        }
        LOG.infof("DANE: resolver %s %s, %s, timeout %d ms, allow list %s, EE name check %s, PKIX usages %s",
                source.resolverAddress(), source.channel().describe(),
                settings.dns().trustAd() ? "trusting its AD bit" : "validating DNSSEC locally to "
                        + (settings.dns().trustAnchors() == null ? "the IANA root anchors" : "the configured anchors"),
                settings.dns().timeout().toMillis(), settings.allowList(), settings.matchPolicy().eeNameCheck(),
                settings.matchPolicy().pkixEnabled() ? "on" : "off");
    }

    @Override
    public DaneVerifierProvider create(KeycloakSession session) {
        DaneVerifier shared = verifier;
        DnsTlsaSource dns = source;
        String untrusted = untrustedCertificateSource;
        boolean searchable = clientNameSearchable;
        CarrierIndex carriers = carrierIndex;
        String identityHeader = proxyIdentityHeader;
        boolean trustIdentity = trustProxyIdentity;
        java.time.Duration maxLifetime = assertionMaxLifetime;
        DiagnosticsGuard guard = diagnostics;
        return new DaneVerifierProvider() {
            @Override
            public DaneVerifier verifier() {
                return shared;
            }

            @Override
            public DnsTlsaSource dns() {
                return dns;
            }

            @Override
            public String untrustedCertificateSource() {
                return untrusted;
            }

            @Override
            public boolean clientNameSearchable() {
                return searchable;
            }

            @Override
            public CarrierIndex carrierIndex() {
                return carriers;
            }

            @Override
            public String proxyIdentityHeader() {
                return identityHeader;
            }

            @Override
            public boolean trustProxyIdentity() {
                return trustIdentity;
            }

            @Override
            public java.time.Duration assertionMaxLifetime() {
                return maxLifetime;
            }

            @Override
            public DiagnosticsGuard diagnostics() {
                return guard;
            }
        };
    }

    /** Once every provider is known: how certificates reach this node, and whether clients can be found by name. */
    @Override
    public void postInit(KeycloakSessionFactory factory) {
        ProviderFactory<X509ClientCertificateLookup> lookup = factory.getProviderFactory(X509ClientCertificateLookup.class);
        String trustedAddresses = trustedProxyAddresses();
        String lookupId = lookup == null ? null : lookup.getId();
        untrustedCertificateSource = DeploymentChecks.untrustedCertificateSource(lookupId,
                headerlessCertificateLookups, trustedAddresses, allowUntrustedCertificateHeader);
        if (untrustedCertificateSource != null) {
            LOG.errorf("DANE refuses every client and user on this node: %s", untrustedCertificateSource);
        } else if (allowUntrustedCertificateHeader
                && DeploymentChecks.isHeaderLookup(lookupId, headerlessCertificateLookups)
                && (trustedAddresses == null || trustedAddresses.isBlank())) {
            LOG.warnf("DANE: the '%s' lookup's certificate header is believed from any address (%s=true):"
                    + " only the proxy may reach this node", lookup.getId(),
                    ServerOption.ALLOW_UNTRUSTED_CERTIFICATE_HEADER.spiOption());
        } else if (lookupId != null && headerlessCertificateLookups.contains(lookupId)) {
            LOG.infof("DANE: the '%s' lookup is declared not to read a request header (%s): its certificate is"
                    + " believed without proxy trust", lookupId,
                    ServerOption.HEADERLESS_CERTIFICATE_LOOKUPS.spiOption());
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
        if (clientNameSearchable) {
            carrierIndex = ClientCarriers.start(factory);
        }
        factory.register(new ClientNameListener(clientNameSearchable, carrierIndex));
        if (!trustAd) {
            String provider = DnssecSignatures.provider();
            if ("BC".equals(provider)) {
                LOG.infof("DANE: DNSSEC ECDSA signatures are checked by %s", provider);
            } else {
                LOG.infof("DANE: DNSSEC ECDSA signatures are checked by %s; BouncyCastle checks them several times"
                        + " faster (a cheaper cold lookup): start the JVM with -Djava.security.properties=FILE"
                        + " holding %s (docs/PRODUCTION.md)", provider, DnssecSignatures.PREFERRED);
            }
        }
    }

    private static String trustedProxyAddresses() {
        return ConfigProvider.getConfig().getOptionalValue("kc.proxy-trusted-addresses", String.class).orElse(null);
    }

    @Override
    public void close() {
    }

    @Override
    public String getId() {
        return PROVIDER_ID;
    }

    /** Keycloak's view of the options ({@code kc.sh show-config}, the admin console's provider info). */
    @Override
    public List<ProviderConfigProperty> getConfigMetadata() {
        ProviderConfigurationBuilder builder = ProviderConfigurationBuilder.create();
        for (ServerOption option : ServerOption.values()) {
            builder.property().name(option.key).type(option.type.keycloakType).helpText(option.plainHelp())
                    .defaultValue(option.typedDefault()).add();
        }
        return builder.build();
    }
}
