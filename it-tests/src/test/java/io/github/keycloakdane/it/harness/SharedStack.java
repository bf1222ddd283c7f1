package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.settings.ServerOption;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;

/**
 * JUnit 5 extension giving every IT class that takes a {@link Stack} parameter the run's one stack: started by the
 * first class that asks, kept in the root context's store (which closes it when the run ends). A failed start is
 * remembered, so later classes fail at once with its cause. docs/TESTING.md shows how an IT class uses it.
 */
public final class SharedStack implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedStack.class);

    /**
     * The run's stack, and the demo's ({@link DemoStack}): the provider jar, the realm-config realm when it exists,
     * Knot with a signed zone (its KSK is the trust anchor) and an unsigned one, in which tests publish with updates;
     * metrics on (MetricsIT scrapes them); {@code cache-min-ttl=1}, below the tests' record TTL (2 s), so that answers
     * live their TTL and rotations are seen as soon as the tests expect.
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
                        KeycloakOptions.SEARCHABLE_NAME, KeycloakOptions.METRICS);
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
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
                return new Holder(configuration().start(), null);
            } catch (IOException | RuntimeException e) {
                return new Holder(null, e);
            }
        }

        @Override
        public void close() {
            if (stack != null) {
                stack.close();
            }
        }
    }
}
