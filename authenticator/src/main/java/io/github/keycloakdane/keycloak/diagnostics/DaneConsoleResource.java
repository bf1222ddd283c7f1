package io.github.keycloakdane.keycloak.diagnostics;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import org.keycloak.models.ClientModel;
import org.keycloak.models.KeycloakSession;
import org.keycloak.models.RealmModel;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code /realms/{realm}/dane-console/}: a small page for realm admins that lists the realm's DANE clients and users
 * and shows {@code /admin/realms/{realm}/dane/diagnose} for one of them. The page holds no data and needs no login
 * to load: its script signs the admin in with the authorization code flow and PKCE at this realm's public client
 * {@value DaneConsoleProviderFactory#PROVIDER_ID} (redirect URI: this page), then calls the admin resource with that
 * token, so Keycloak's admin authentication and the resource's role checks decide what it shows. Keycloak's own
 * {@code security-admin-console} client cannot be used: its redirect URIs end under {@code /admin/{realm}/console/},
 * where an extension cannot serve a page. Everything is same-origin, with a strict Content-Security-Policy.
 */
public class DaneConsoleResource {

    /** The page's files, from the jar; nothing else is served. */
    static final Map<String, String> FILES = Map.of(
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");
    /** Only this origin's scripts, styles and requests; never framed (no clickjacking of the admin's session). */
    static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private final KeycloakSession session;

    DaneConsoleResource(KeycloakSession session) {
        this.session = session;
    }

    /** The page, with the realm and, when the client is not set up, what the admin has to do. */
    @GET
    public Response page() {
        URI requested = session.getContext().getUri().getRequestUri();
        if (!requested.getRawPath().endsWith("/")) {
            // the page's files and its redirect URI are relative to the directory
            return Response.status(Response.Status.SEE_OTHER).location(URI.create(requested.getRawPath() + "/"
                    + (requested.getRawQuery() == null ? "" : "?" + requested.getRawQuery()))).build();
        }
        RealmModel realm = session.getContext().getRealm();
        String html = read("index.html")
                .replace("{{realm}}", escape(realm.getName()))
                .replace("{{client}}", DaneConsoleProviderFactory.PROVIDER_ID)
                .replace("{{problem}}", escape(String.join(" ", clientProblems(realm))));
        return respond(html, "text/html; charset=utf-8");
    }

    @GET
    @Path("{file}")
    public Response file(@PathParam("file") String file) {
        String type = FILES.get(file);
        if (type == null) {
            throw new NotFoundException();
        }
        return respond(read(file), type);
    }

    /** Why the page's login cannot work in this realm; empty when the client is there as it must be. */
    static List<String> clientProblems(RealmModel realm) {
        ClientModel client = realm.getClientByClientId(DaneConsoleProviderFactory.PROVIDER_ID);
        List<String> problems = new ArrayList<>();
        if (client == null) {
            problems.add("This realm has no client " + DaneConsoleProviderFactory.PROVIDER_ID + ".");
            return problems;
        }
        if (!client.isEnabled()) {
            problems.add("The client " + DaneConsoleProviderFactory.PROVIDER_ID + " is disabled.");
        }
        if (!client.isPublicClient()) {
            problems.add("The client " + DaneConsoleProviderFactory.PROVIDER_ID
                    + " must be public (client authentication off).");
        }
        if (!client.isStandardFlowEnabled()) {
            problems.add("The client " + DaneConsoleProviderFactory.PROVIDER_ID
                    + " must allow the standard flow.");
        }
        return problems;
    }

    private static Response respond(String body, String type) {
        return Response.ok(body, type)
                .header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .header("X-Content-Type-Options", "nosniff")
                .header("Referrer-Policy", "no-referrer")
                .header("Cache-Control", "no-store")
                .build();
    }

    private static String read(String file) {
        try (InputStream in = DaneConsoleResource.class.getResourceAsStream("/dane-console/" + file)) {
            if (in == null) {
                throw new IllegalStateException("dane-console/" + file + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** HTML text and attribute escaping for the few values put into the page. */
    static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
