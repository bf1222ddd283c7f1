package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.dns.DnssecSignatures;
import io.github.keycloakdane.it.FaultyDns;
import io.github.keycloakdane.settings.ServerOption;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * JUnit 5 extension giving every IT class that takes a {@link Stack} parameter the run's one stack: started by the
 * first class that asks, kept in the root context's store (which closes it when the run ends). A failed start is
 * remembered, so later classes fail at once with its cause. docs/TESTING.md shows how an IT class uses it.
 */
public final class SharedStack implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedStack.class);

    /** The run stack's fault injector between Keycloak and Knot; set once the stack's Knot runs. */
    private static volatile FaultyDns faults;

    /**
     * The fault-injecting DNS in front of the run stack's Knot: it forwards every query unchanged unless a test
     * breaks a name of its own (e.g. {@code DROP} for a black hole). Tests heal what they break. Null before the
     * stack started.
     */
    public static FaultyDns faults() {
        return faults;
    }

    /**
     * The run's stack, and the demo's ({@link DemoStack}): the provider jar, the realm-config realm when it exists,
     * Knot with a signed zone (its KSK is the trust anchor) and an unsigned one, in which tests publish with updates;
     * metrics on (MetricsIT scrapes them); {@code cache-min-ttl=1}, below the tests' record TTL (2 s), so that answers
     * live their TTL and rotations are seen as soon as the tests expect; the JVM setting of docs/PRODUCTION.md that
     * has BouncyCastle check DNSSEC signatures ({@link #dnssecSecurityFile()}).
     */
    public static Stack.Builder configuration() {
        Stack.Builder b = Stack.builder().name("stack").provider(ItConfig.daneJar())
                .knot(k -> k.signedZone("example.test", "").unsignedZone("unsigned.test", ""))
                .keycloakOptions(
                        KeycloakOptions.dane(ServerOption.ALLOW_LIST, ".example.test,.unsigned.test"),
                        KeycloakOptions.dane(ServerOption.CACHE_NEGATIVE_TTL, 1),
                        KeycloakOptions.dane(ServerOption.CACHE_MIN_TTL, 1),
                        // the TLS-native gateway's header (GatewayIT); re-verified against the forwarded certificate
                        KeycloakOptions.dane(ServerOption.PROXY_IDENTITY_HEADER, "X-Dane-Authenticated-Clientid"),
                        KeycloakOptions.SEARCHABLE_NAME, KeycloakOptions.METRICS)
                .keycloakJavaOptions("-Djava.security.properties=" + dnssecSecurityFile());
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
    }

    /** The java.security override docs/PRODUCTION.md recommends, written into the work directory. */
    public static Path dnssecSecurityFile() {
        try {
            Path file = Files.createDirectories(ItConfig.workDir()).resolve("dane-java.security");
            Files.writeString(file, DnssecSignatures.PREFERRED + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Stack.class;
    }

    @Override
    @SuppressWarnings("deprecation") // computeIfAbsent is JUnit 6 only; the root pom names JUnit 5.14 too
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Holder holder = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Holder.class, k -> Holder.start(), Holder.class);
        if (holder.failure() != null) {
            throw new ParameterResolutionException("the shared stack failed to start: "
                    + holder.failure().getMessage(), holder.failure());
        }
        return holder.stack();
    }

    /** The stack, or why it could not start. */
    private record Holder(Stack stack, Throwable failure) implements AutoCloseable {

        static Holder start() {
            try {
                return new Holder(configuration().dnsInFront(knot -> {
                    try {
                        faults = new FaultyDns(knot, Duration.ofSeconds(5), 2);
                        return faults.address();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }).start(), null);
            } catch (IOException | RuntimeException e) {
                return new Holder(null, e);
            }
        }

        @Override
        public void close() {
            if (stack != null) {
                stack.close();
            }
            if (faults != null) {
                try {
                    faults.close();
                } catch (IOException | InterruptedException e) {
                    // the run is over
                }
            }
        }
    }
}
