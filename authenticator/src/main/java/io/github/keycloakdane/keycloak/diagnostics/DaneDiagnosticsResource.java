package io.github.keycloakdane.keycloak.diagnostics;

import io.github.keycloakdane.core.AllowList;
import io.github.keycloakdane.core.CertificateParser;
import io.github.keycloakdane.core.DaneName;
import io.github.keycloakdane.core.DaneOutcome;
import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.DomainUser;
import io.github.keycloakdane.core.InvalidNameException;
import io.github.keycloakdane.core.SafeText;
import io.github.keycloakdane.core.TlsaLookup;
import io.github.keycloakdane.core.TlsaRecord;
import io.github.keycloakdane.dns.DnsTlsaSource;
import io.github.keycloakdane.keycloak.DaneNames;
import io.github.keycloakdane.keycloak.DaneUserAuthenticatorConfig;
import io.github.keycloakdane.keycloak.DaneUserAuthenticatorFactory;
import io.github.keycloakdane.keycloak.DaneVerifierProvider;
import io.github.keycloakdane.keycloak.user.DomainUsers;
import io.github.keycloakdane.settings.ServerOption;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.keycloak.Config;
import org.keycloak.models.AuthenticationExecutionModel;
import org.keycloak.models.AuthenticatorConfigModel;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;
import org.keycloak.models.UserModel;
import org.keycloak.services.resources.admin.fgap.AdminPermissionEvaluator;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code /admin/realms/{realm}/dane/diagnose}: what DANE would decide for a name (and a certificate), step by step,
 * with a live DNS lookup on the diagnostics' own slots: the {@code ldns-dane verify} of Keycloak. Needs realm-management
 * {@code view-clients} and is rate-limited per admin and realm (HTTP 429);
 * {@code refresh=true} (the answer replaces the cached one) needs {@code manage-clients}. Without it the cache is left
 * exactly as it was. Everything that came from DNS or a certificate is bounded by {@link SafeText}. A field that
 * does not apply is left out (never null), as Keycloak's JSON writer would drop it anyway.
 * docs/ADMIN-GUIDE.md ("Diagnostics") shows a request and its answer.
 */
public class DaneDiagnosticsResource {

    private static final int TOO_MANY_REQUESTS = 429;
    /** A PEM chain longer than this is no client's: refused before parsing. */
    static final int MAX_PEM_CHARS = 64 * 1024;
    /** At most this many carriers are listed (more than one is a collision already). */
    static final int MAX_CARRIERS = 10;
    /** At most this many clients and this many users are listed by {@code identities}. */
    static final int MAX_LISTED = 500;
    /**
     * {@code identities} looks at this many users at most: users cannot be searched for "has the attribute", so they
     * are walked; in a larger realm the list says it is cut and a name is diagnosed by typing it.
     */
    static final int MAX_USERS_SCANNED = 5000;

    private final KeycloakSession session;
    private final RealmModel realm;
    private final AdminPermissionEvaluator auth;

    DaneDiagnosticsResource(KeycloakSession session, RealmModel realm, AdminPermissionEvaluator auth) {
        this.session = session;
        this.realm = realm;
        this.auth = auth;
    }

    @GET
    @Path("diagnose")
    @Produces(MediaType.APPLICATION_JSON)
    public Response diagnose(@QueryParam("name") String name, @QueryParam("execution") String execution,
                             @QueryParam("refresh") boolean refresh) {
        return run(name, execution, refresh, null);
    }

    /** The same, with a PEM certificate or chain (leaf first) to match against the records. */
    @POST
    @Path("diagnose")
    @Consumes({MediaType.TEXT_PLAIN, "application/x-pem-file"})
    @Produces(MediaType.APPLICATION_JSON)
    public Response diagnoseCertificate(@QueryParam("name") String name,
                                        @QueryParam("execution") String execution,
                                        @QueryParam("refresh") boolean refresh, String pem) {
        return run(name, execution, refresh, pem == null ? "" : pem);
    }

    /**
     * The order: permissions, the rate limit, the request's own checks, then what the realm knows of the name, and
     * only then DNS, on the diagnostics' own lookup slots (never the logins'): a failure the negative cache holds is
     * shown as cached unless {@code refresh}; a name no client or user of this realm carries is looked up only for an
     * admin of the master realm, and its cache state is never shown; {@code refresh} is only for the realm's names.
     */
    private Response run(String raw, String executionId, boolean refresh, String pem) {
        auth.clients().requireView();
        if (refresh) {
            auth.clients().requireManage();
        }
        DaneVerifierProvider dane = session.getProvider(DaneVerifierProvider.class);
        long retryAfter = dane.diagnostics().acquire(auth.adminAuth().getRealm().getId(),
                auth.adminAuth().getUser().getId(), realm.getId());
        if (retryAfter > 0) {
            return Response.status(TOO_MANY_REQUESTS).header("Retry-After", Long.toString(retryAfter))
                    .type(MediaType.APPLICATION_JSON_TYPE)
                    .entity(Map.of("error", "too many diagnoses: at most " + ServerOption.DIAGNOSTICS_PER_MINUTE.key
                            + " per minute (bucket " + ServerOption.DIAGNOSTICS_BURST.key + ") per admin and realm"))
                    .build();
        }
        if (raw == null || raw.isBlank()) {
            throw new BadRequestException("the query parameter name is required");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("input", SafeText.name(raw));
        DaneUserAuthenticatorConfig execution = execution(executionId, out);
        List<X509Certificate> chain = pem == null ? null : chain(pem);
        DaneName name;
        try {
            name = DaneName.parse(raw);
        } catch (InvalidNameException e) {
            out.put("nameError", SafeText.detail(e.getMessage()));
            return Response.ok(out).build();
        }
        out.put("name", name.value());
        DaneVerifier verifier = dane.verifier();
        boolean serverAdmits = verifier.allowList().admits(name);
        Map<String, Object> allow = new LinkedHashMap<>();
        allow.put("server", serverAdmits);
        allow.put("serverList", verifier.allowList().toString());
        if (execution != null) {
            allow.put("execution", execution.allowList().admits(name));
            allow.put("executionList", execution.allowList().toString());
        }
        out.put("allowList", allow);
        List<String> clients = clientsCarrying(name, dane.clientNameSearchable());
        out.put("clients", clients);
        putUsers(out, name, execution);
        boolean ofRealm = !clients.isEmpty() || usersCarry(name, execution);
        if (refresh && !ofRealm) {
            throw new ForbiddenException("refresh=true is only for names a client or user of this realm carries");
        }
        Optional<DnsTlsaSource.CachedLookup> cached = dane.dns().cached(name);
        if (ofRealm) {
            out.put("cache", cacheState(cached));
        } else {
            out.put("cache", Map.of("shown", false, "why", "no client or user of this realm carries this name"));
        }
        TlsaLookup lookup = null;
        if (!serverAdmits) {
            out.put("lookup", Map.of("performed", false,
                    "why", "not on the server allow list: this node never queries DNS for it"));
        } else if (!ofRealm && !masterAdmin()) {
            out.put("lookup", Map.of("performed", false, "why", "no client or user of this realm carries it"
                    + " (a login with it is refused before any DNS query); only an admin of the master realm"
                    + " looks up other names"));
        } else if (!refresh && cached.isPresent() && !cached.get().lookup().isSecure()) {
            // the negative cache holds back logins' queries for a failing name: a diagnosis honours it too
            lookup = cached.get().lookup();
            Map<String, Object> described = describe(lookup, false);
            described.put("performed", false);
            described.put("fromCache", true);
            described.put("why", "this failure is cached (cache-negative-ttl); refresh=true queries DNS again");
            out.put("lookup", described);
        } else {
            lookup = dane.dns().lookupNow(name, refresh, dane.diagnostics().lookups());
            out.put("lookup", describe(lookup, refresh));
        }
        boolean domainUsers = DomainUser.domainOf(name) != null && (execution == null
                || execution.userMapping() == DaneUserAuthenticatorConfig.UserMapping.DOMAIN_USER);
        // off the allow list the verifier refuses before it asks the source: no lookup is needed for that
        boolean matchable = chain != null && (lookup != null || !serverAdmits);
        if (matchable && domainUsers) {
            // a domain's user name with a person's certificate: which uid, which user, which record
            TlsaLookup answer = lookup;
            DaneVerifier.DomainUserOutcome outcome = verifier.withSource(n -> answer)
                    .verifyDomainUser(name, chain, execution == null ? null : execution.allowList());
            out.put("match", describe(outcome.outcome(), chain.size()));
            out.put("domainUser", describe(outcome));
        } else if (matchable) {
            TlsaLookup answer = lookup;
            DaneOutcome outcome = verifier.withSource(n -> answer)
                    .verify(name.value(), chain, execution == null ? null : execution.allowList());
            out.put("match", describe(outcome, chain.size()));
        }
        return Response.ok(out).build();
    }

    /** Whether the caller signed in to the master realm (Keycloak's admin realm), not to this one. */
    private boolean masterAdmin() {
        return Config.getAdminRealm().equals(auth.adminAuth().getRealm().getName());
    }

    /**
     * The realm's DANE identities for the console page: clients carrying {@code dane.clientid} (with their
     * authenticator, since only {@code client-dane} ones use it), users carrying a name in the default attribute or
     * in one an {@code auth-dane} execution of the realm names (only for admins who may view users), and those
     * executions, to diagnose a name as one of them sees it. Same permission as {@code diagnose}.
     */
    @GET
    @Path("identities")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> identities() {
        auth.clients().requireView();
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> clients = realm.getClientsStream()
                .filter(c -> c.getAttribute(DaneNames.CLIENT_ATTRIBUTE) != null
                        && !c.getAttribute(DaneNames.CLIENT_ATTRIBUTE).isBlank())
                .limit(MAX_LISTED + 1L).map(DaneDiagnosticsResource::describe).toList();
        out.put("clients", clients.subList(0, Math.min(clients.size(), MAX_LISTED)));
        out.put("clientsCut", clients.size() > MAX_LISTED);
        List<Map<String, Object>> executions = new ArrayList<>();
        Set<String> attributes = new TreeSet<>(Set.of(DaneUserAuthenticatorConfig.DEFAULT_USER_ATTRIBUTE,
                DomainUsers.ATTRIBUTE)); // domain users: provisioned ones carry their address uid@domain there
        realm.getAuthenticationFlowsStream().forEach(flow -> realm.getAuthenticationExecutionsStream(flow.getId())
                .filter(e -> DaneUserAuthenticatorFactory.PROVIDER_ID.equals(e.getAuthenticator()))
                .forEach(e -> {
                    AuthenticatorConfigModel config = configOfRealm(e.getAuthenticatorConfig());
                    Map<String, Object> described = new LinkedHashMap<>();
                    described.put("id", e.getId());
                    described.put("flow", SafeText.name(flow.getAlias()));
                    if (config != null) {
                        described.put("alias", SafeText.name(config.getAlias()));
                    }
                    executions.add(described);
                    DaneUserAuthenticatorConfig parsed = DaneUserAuthenticatorConfig.from(config);
                    if (parsed.userMapping() == DaneUserAuthenticatorConfig.UserMapping.USER_ATTRIBUTE) {
                        attributes.add(parsed.userAttribute());
                    }
                }));
        out.put("executions", executions);
        out.put("userAttributes", attributes);
        if (!auth.users().canView()) {
            out.put("usersHidden", "listing users needs view-users");
            return out;
        }
        List<Map<String, Object>> users = session.users()
                .searchForUserStream(realm, Map.of(UserModel.INCLUDE_SERVICE_ACCOUNT, "false"), 0, MAX_USERS_SCANNED)
                .map(u -> describe(u, attributes)).filter(u -> u != null).limit(MAX_LISTED).toList();
        out.put("users", users);
        out.put("usersCut", users.size() == MAX_LISTED
                || session.users().getUsersCount(realm) > MAX_USERS_SCANNED);
        return out;
    }

    private static Map<String, Object> describe(ClientModel client) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", client.getId());
        out.put("clientId", SafeText.name(client.getClientId()));
        if (client.getName() != null && !client.getName().isBlank()) {
            out.put("name", SafeText.name(client.getName()));
        }
        out.put("dane", SafeText.name(client.getAttribute(DaneNames.CLIENT_ATTRIBUTE)));
        out.put("authenticator", SafeText.name(client.getClientAuthenticatorType()));
        out.put("enabled", client.isEnabled());
        return out;
    }

    /** A user with the names it carries in any of the attributes, or null when it carries none. */
    private static Map<String, Object> describe(UserModel user, Set<String> attributes) {
        List<String> names = attributes.stream()
                .flatMap(a -> user.getAttributeStream(a)).filter(v -> v != null && !v.isBlank())
                .map(SafeText::name).distinct().toList();
        if (names.isEmpty()) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", user.getId());
        out.put("username", SafeText.name(user.getUsername()));
        out.put("dane", names);
        out.put("enabled", user.isEnabled());
        return out;
    }

    /** The auth-dane configuration of an execution (its id, or its configuration's id), or null when none asked. */
    private DaneUserAuthenticatorConfig execution(String id, Map<String, Object> out) {
        if (id == null || id.isBlank()) {
            return null;
        }
        AuthenticatorConfigModel config;
        AuthenticationExecutionModel exec = executionOfRealm(id);
        if (exec != null) {
            if (!DaneUserAuthenticatorFactory.PROVIDER_ID.equals(exec.getAuthenticator())) {
                throw new BadRequestException("execution " + SafeText.name(id) + " is not an "
                        + DaneUserAuthenticatorFactory.PROVIDER_ID + " execution");
            }
            config = configOfRealm(exec.getAuthenticatorConfig());
        } else {
            config = configOfRealm(id);
            if (config == null) {
                throw new BadRequestException("no execution and no authenticator configuration " + SafeText.name(id)
                        + " in this realm");
            }
        }
        DaneUserAuthenticatorConfig parsed = DaneUserAuthenticatorConfig.from(config);
        Map<String, Object> described = new LinkedHashMap<>();
        described.put("id", SafeText.name(id));
        if (config != null) {
            described.put("alias", SafeText.name(config.getAlias()));
        }
        if (parsed.invalidBecause() != null) {
            described.put("problem", SafeText.detail(parsed.invalidBecause()));
        }
        out.put("execution", described);
        return parsed;
    }

    /**
     * The execution with this id among the executions of this realm's flows, or null. Never by a global id: an id
     * another realm's execution carries is not found here, whatever the storage's own lookup by id would do.
     */
    private AuthenticationExecutionModel executionOfRealm(String id) {
        return realm.getAuthenticationFlowsStream()
                .flatMap(flow -> realm.getAuthenticationExecutionsStream(flow.getId()))
                .filter(e -> id.equals(e.getId())).findFirst().orElse(null);
    }

    /** The authenticator configuration with this id among this realm's, or null. */
    private AuthenticatorConfigModel configOfRealm(String id) {
        return id == null ? null : realm.getAuthenticatorConfigsStream().filter(c -> id.equals(c.getId()))
                .findFirst().orElse(null);
    }

    /** The auth-dane executions of this realm with their settings. */
    private List<DaneUserAuthenticatorConfig> realmExecutionSettings() {
        return realm.getAuthenticationFlowsStream()
                .flatMap(flow -> realm.getAuthenticationExecutionsStream(flow.getId()))
                .filter(e -> DaneUserAuthenticatorFactory.PROVIDER_ID.equals(e.getAuthenticator()))
                .map(e -> DaneUserAuthenticatorConfig.from(configOfRealm(e.getAuthenticatorConfig()))).toList();
    }

    /**
     * Whether a user of this realm carries the name as any auth-dane execution of the realm (or the one asked
     * about, or the default settings) would map it; independent of whether the caller may see users.
     */
    private boolean usersCarry(DaneName name, DaneUserAuthenticatorConfig execution) {
        List<DaneUserAuthenticatorConfig> settings = new ArrayList<>();
        if (execution != null) {
            settings.add(execution);
        }
        settings.add(DaneUserAuthenticatorConfig.from(null));
        settings.addAll(realmExecutionSettings());
        Set<String> asked = new java.util.HashSet<>();
        for (DaneUserAuthenticatorConfig c : settings) {
            if (c.userMapping() == DaneUserAuthenticatorConfig.UserMapping.DOMAIN_USER) {
                // a partner domain's `_user` name is the realm's when one of its domain-user executions admits it
                if (DomainUser.domainOf(name) != null && c.allowList() != null && !c.allowList().isEmpty()
                        && c.allowList().admits(name)) {
                    return true;
                }
                continue;
            }
            boolean byUsername = c.userMapping() == DaneUserAuthenticatorConfig.UserMapping.USERNAME;
            if (!asked.add(byUsername ? "" : "attribute:" + c.userAttribute())) {
                continue;
            }
            if (!userIds(name, c, 1).isEmpty()) {
                return true;
            }
        }
        return false;
    }

    private List<String> userIds(DaneName name, DaneUserAuthenticatorConfig config, int max) {
        if (config.userMapping() == DaneUserAuthenticatorConfig.UserMapping.USERNAME) {
            UserModel user = session.users().getUserByUsername(realm, name.value());
            return user == null ? List.of() : List.of(user.getId());
        }
        return session.users().searchForUserByUserAttributeStream(realm, config.userAttribute(), name.value())
                .limit(max).map(UserModel::getId).toList();
    }

    private static List<X509Certificate> chain(String pem) {
        if (pem.length() > MAX_PEM_CHARS) {
            throw new BadRequestException("the PEM body is longer than " + MAX_PEM_CHARS + " characters");
        }
        try {
            List<X509Certificate> chain = CertificateParser.parsePem(pem);
            if (chain.isEmpty()) {
                throw new BadRequestException("the body holds no PEM certificate");
            }
            return chain;
        } catch (CertificateException e) {
            throw new BadRequestException(SafeText.detail("the body is not a PEM certificate chain: "
                    + e.getMessage()));
        }
    }

    /**
     * Client ids (internal ids) carrying the name: by the indexed query when the attribute is searchable, else by a
     * walk of the realm's clients (an admin's request, not a login's, may afford it).
     */
    private List<String> clientsCarrying(DaneName name, boolean searchable) {
        var clients = searchable
                ? session.clients().searchClientsByAttributes(realm,
                        Map.of(DaneNames.CLIENT_ATTRIBUTE, name.value()), 0, MAX_CARRIERS)
                : realm.getClientsStream().filter(c -> name.value().equals(c.getAttribute(DaneNames.CLIENT_ATTRIBUTE)));
        return clients.map(ClientModel::getId).limit(MAX_CARRIERS).toList();
    }

    /** User ids only for an admin who may see users (view-users); otherwise says so. */
    private void putUsers(Map<String, Object> out, DaneName name, DaneUserAuthenticatorConfig execution) {
        if (!auth.users().canView()) {
            out.put("usersHidden", "listing users needs view-users");
            return;
        }
        DaneUserAuthenticatorConfig config = execution != null ? execution : DaneUserAuthenticatorConfig.from(null);
        out.put("users", userIds(name, config, MAX_CARRIERS));
    }

    private static Map<String, Object> cacheState(Optional<DnsTlsaSource.CachedLookup> cached) {
        Map<String, Object> cache = new LinkedHashMap<>();
        cached.ifPresentOrElse(c -> {
            cache.put("cached", true);
            cache.put("until", c.expiresAt().toString());
            cache.put("dnssec", c.lookup().status().name());
        }, () -> cache.put("cached", false));
        return cache;
    }

    private static Map<String, Object> describe(TlsaLookup lookup, boolean stored) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("performed", true);
        out.put("stored", stored);
        out.put("dnssec", lookup.status().name());
        out.put("reason", SafeText.detail(lookup.detail()));
        out.put("ttlSeconds", lookup.ttlSeconds());
        List<String> usable = new ArrayList<>();
        for (TlsaRecord r : lookup.records()) {
            usable.add(SafeText.detail(r.toPresentation()));
        }
        out.put("usable", usable);
        out.put("unusable", lookup.unusable().stream().map(SafeText::detail).toList());
        return out;
    }

    /** The person a pasted certificate names at a {@code _user} name, or why it names none. */
    private Map<String, Object> describe(DaneVerifier.DomainUserOutcome outcome) {
        Map<String, Object> out = new LinkedHashMap<>();
        DomainUser person = outcome.user();
        if (person == null) {
            out.put("valid", false);
            out.put("why", SafeText.detail(outcome.outcome().detail()));
            return out;
        }
        out.put("valid", true);
        out.put("uid", SafeText.name(person.uid()));
        out.put("address", SafeText.name(person.address()));
        if (auth.users().canView()) {
            DomainUsers.Candidates candidates = DomainUsers.find(session, realm, person);
            out.put("users", candidates.users().stream().map(UserModel::getId).toList());
            if (candidates.ambiguous()) {
                out.put("ambiguous", SafeText.detail(candidates.describe()));
            }
        } else {
            out.put("usersHidden", "listing users needs view-users");
        }
        return out;
    }

    private static Map<String, Object> describe(DaneOutcome outcome, int certificates) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("certificates", certificates);
        out.put("authenticated", outcome.authenticated());
        out.put("reason", outcome.reason().name());
        if (outcome.record() != null) {
            out.put("record", outcome.record().parameters());
        }
        out.put("depth", outcome.depth());
        if (outcome.detail() != null) {
            out.put("detail", SafeText.detail(outcome.detail()));
        }
        return out;
    }
}
