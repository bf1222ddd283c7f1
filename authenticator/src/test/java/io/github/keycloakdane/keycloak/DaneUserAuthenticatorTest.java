package io.github.keycloakdane.keycloak;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.MatchPolicy;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.testing.TestPki;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.keycloak.authentication.AuthenticationFlowContext;
import org.keycloak.events.EventBuilder;
import org.keycloak.http.HttpRequest;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.services.x509.X509ClientCertificateLookup;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.RETURNS_DEEP_STUBS;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/**
 * The decisions of {@code auth-dane} that depend on where a name comes from, with Keycloak's context stubbed: which
 * name is taken, and what is never looked at. The ITs run the same code in a real Keycloak.
 */
class DaneUserAuthenticatorTest {

    private static final String HEADER = "X-Dane-Clientid";
    private static final X509Certificate LAPTOP = TestPki.leaf("laptop").build().cert();

    private final AuthenticationFlowContext context = mock(AuthenticationFlowContext.class, RETURNS_DEEP_STUBS);
    private final KeycloakSession session = mock(KeycloakSession.class, RETURNS_DEEP_STUBS);
    private final HttpRequest request = mock(HttpRequest.class, RETURNS_DEEP_STUBS);
    private final EventBuilder event = mock(EventBuilder.class);
    private final List<DaneName> lookups = new ArrayList<>();
    private final MultivaluedHashMap<String, String> form = new MultivaluedHashMap<>();
    private final X509ClientCertificateLookup certificates = mock(X509ClientCertificateLookup.class);

    @BeforeEach
    void browserRequestWithACertificate() throws Exception {
        DaneVerifier verifier = new DaneVerifier(name -> {
            lookups.add(name);
            return TlsaLookup.failed(io.github.keycloakdane.core.DnssecStatus.NODATA, "test");
        }, AllowList.any(), MatchPolicy.defaults());
        DaneVerifierProvider dane = mock(DaneVerifierProvider.class);
        when(dane.verifier()).thenReturn(verifier);
        X509ClientCertificateLookup lookup = certificates;
        when(lookup.getCertificateChain(any())).thenReturn(new X509Certificate[] {LAPTOP});
        doReturn(dane).when(session).getProvider(DaneVerifierProvider.class);
        doReturn(lookup).when(session).getProvider(X509ClientCertificateLookup.class);
        when(context.getSession()).thenReturn(session);
        when(context.getHttpRequest()).thenReturn(request);
        when(context.getEvent()).thenReturn(event);
        when(event.detail(anyString(), anyString())).thenReturn(event);
        when(context.getFlowPath()).thenReturn("authenticate");
        when(context.getExecution().getRequirement()).thenReturn(AuthenticationExecutionModel.Requirement.REQUIRED);
        when(context.getAuthenticationSession().getAuthNote(anyString())).thenReturn(null);
        when(request.isProxyTrusted()).thenReturn(true);
        when(request.getHttpHeaders().getMediaType()).thenReturn(MediaType.APPLICATION_FORM_URLENCODED_TYPE);
        when(request.getDecodedFormParameters()).thenReturn(form);
    }

    private void configure(Map<String, String> settings) {
        AuthenticatorConfigModel model = new AuthenticatorConfigModel();
        model.setAlias("test");
        model.setConfig(settings);
        when(context.getAuthenticatorConfig()).thenReturn(model);
    }

    @Test
    void aSubmittedFormCannotReplaceTheNameTheConfiguredHeaderCarries() {
        configure(Map.of("dane.identity-source", "header", "dane.identity-header", HEADER));
        form.add("dane_clientid", "alice-laptop._user.example.test");
        when(request.getHttpHeaders().getHeaderString(HEADER)).thenReturn(null);

        new DaneUserAuthenticator().action(context);

        verify(event).detail(DaneEvents.REASON, "INVALID_NAME");
        verify(session, never()).users();
        assertThat(lookups).isEmpty();
    }

    @Test
    void withTheHeaderPresentItsNameIsTheOneChecked() {
        configure(Map.of("dane.identity-source", "header", "dane.identity-header", HEADER));
        form.add("dane_clientid", "alice-laptop._user.example.test");
        when(request.getHttpHeaders().getHeaderString(HEADER)).thenReturn("mallory._user.example.test");
        when(session.users().searchForUserByUserAttributeStream(any(), anyString(), anyString()))
                .thenReturn(java.util.stream.Stream.empty());

        new DaneUserAuthenticator().action(context);

        verify(event).detail(DaneEvents.CLIENT_ID, "mallory._user.example.test");
        verify(event).detail(DaneEvents.REASON, "UNKNOWN_USER");
        verify(event, never()).detail(DaneEvents.CLIENT_ID, "alice-laptop._user.example.test");
    }

    @Test
    void theIdentityHeaderCountsOnlyFromATrustedProxy() {
        configure(Map.of("dane.identity-source", "header", "dane.identity-header", HEADER));
        when(request.isProxyTrusted()).thenReturn(false);
        when(request.getHttpHeaders().getHeaderString(HEADER)).thenReturn("alice-laptop._user.example.test");

        new DaneUserAuthenticator().authenticate(context);

        verify(event).detail(DaneEvents.REASON, "INVALID_NAME");
        verify(session, never()).users();
    }

    @Test
    void withTheRequestParameterSourceTheSubmittedFormIsTheSource() {
        configure(Map.of());
        form.add("dane_clientid", "Alice-Laptop._user.example.test.");
        when(session.users().searchForUserByUserAttributeStream(any(), anyString(), anyString()))
                .thenReturn(java.util.stream.Stream.empty());

        new DaneUserAuthenticator().action(context);

        verify(session.users()).searchForUserByUserAttributeStream(any(), anyString(),
                org.mockito.ArgumentMatchers.eq("alice-laptop._user.example.test"));
        verify(event).detail(DaneEvents.REASON, "UNKNOWN_USER");
    }

    /** A person of a.example, by email address, and no user carries that address. */
    private void domainUserCertificateAndNoUsers() throws Exception {
        TestPki.Issued ca = TestPki.ca("Users of a.example").build();
        X509Certificate alice = TestPki.leaf("Alice").issuer(ca).dnsNames("a.example").emails("alice@a.example").build()
                .cert();
        when(certificates.getCertificateChain(any())).thenReturn(new X509Certificate[] {alice});
        when(session.users().getUserByUsername(any(), anyString())).thenReturn(null);
        when(session.users().getUserByEmail(any(), anyString())).thenReturn(null);
        when(session.users().searchForUserByUserAttributeStream(any(), anyString(), anyString()))
                .thenReturn(java.util.stream.Stream.empty());
    }

    @Test
    void aDomainUsersNameFromTheCertificateIsUserInFrontOfItsOneDnsName() throws Exception {
        configure(Map.of("dane.identity-source", "certificate-san", "dane.user-mapping", "domain-user",
                "dane.allow-list", "_user.a.example"));
        domainUserCertificateAndNoUsers();

        new DaneUserAuthenticator().authenticate(context);

        verify(event).detail(DaneEvents.CLIENT_ID, "_user.a.example");
        verify(event).detail(DaneEvents.USER, "alice@a.example");
        verify(event).detail(DaneEvents.REASON, "UNKNOWN_USER");
        verify(session.users()).getUserByUsername(any(), org.mockito.ArgumentMatchers.eq("alice@a.example"));
        assertThat(lookups).as("an unknown person costs no DNS query").isEmpty();
    }

    @Test
    void anAddressTypedInTheBrowserFormMustBeTheCertificates() throws Exception {
        configure(Map.of("dane.user-mapping", "domain-user", "dane.allow-list", "_user.a.example"));
        domainUserCertificateAndNoUsers();
        form.add("dane_clientid", "bob@a.example");

        new DaneUserAuthenticator().action(context);

        verify(event).detail(DaneEvents.CLIENT_ID, "_user.a.example");
        verify(event).detail(DaneEvents.REASON, "USER_ID_INVALID");
        verify(session.users(), never()).getUserByUsername(any(), anyString());
        assertThat(lookups).isEmpty();
    }

    @Test
    void anAlternativeExecutionWithoutACertificateStepsAsideWithoutAnErrorEvent() throws Exception {
        configure(Map.of("dane.identity-source", "certificate-san"));
        when(context.getExecution().getRequirement()).thenReturn(AuthenticationExecutionModel.Requirement.ALTERNATIVE);
        X509ClientCertificateLookup none = mock(X509ClientCertificateLookup.class);
        doReturn(none).when(session).getProvider(X509ClientCertificateLookup.class);

        new DaneUserAuthenticator().authenticate(context);

        verify(context).attempted();
        verify(event, never()).error(anyString());
        verify(event, never()).detail(anyString(), anyString());
    }
}
