package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.settings.ServerOption;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;

/**
 * JUnit 5 extension that shares ONE {@link Stack} among all IT classes of the run: started lazily by the first class
 * that asks for it, stopped when the engine finishes (the stack lives in the root context's store, which closes its
 * AutoCloseable values at the end of the run; every component also has a JVM shutdown hook). If the start fails, the
 * failure is remembered and every later class fails fast with it instead of waiting for another start.
 *
 * <pre>{@code
 * @ExtendWith(SharedStack.class)
 * class SomeScenarioIT {
 *     static Stack stack;
 *
 *     @BeforeAll
 *     static void stack(Stack shared) {
 *         stack = shared;
 *     }
 * }
 * }</pre>
 *
 * Scenario classes share the Keycloak instance, so each should work in realms of its own (create them with
 * {@link Stack#admin()}, delete them afterwards). The stack's configuration is {@link #configuration()}, the one
 * place to change for the whole run.
 */
public final class SharedStack implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedStack.class);

    /**
     * The run's stack, and the demo's ({@code scripts/demo.sh}, {@link DemoStack}): the provider jar
     * ({@code dane.jar}), the realm-config realm when it exists, the nginx lookup with trust-proxy-verification=false,
     * Knot with a signed and an unsigned zone (Keycloak gets {@code --spi-dane--default--resolver=127.0.0.1:PORT} and
     * {@code --spi-dane--default--trust-anchors=FILE}).
     */
    public static Stack.Builder configuration() {
        Stack.Builder b = Stack.builder().name("stack").provider(ItConfig.daneJar())
                // a signed zone (its KSK is the trust anchor) and an unsigned one; tests publish with dynamic updates
                .knot(k -> k.signedZone("example.test", "").unsignedZone("unsigned.test", ""))
                .keycloakOptions(
                        KeycloakOptions.dane(ServerOption.ALLOW_LIST, ".example.test,.unsigned.test"),
                        KeycloakOptions.dane(ServerOption.CACHE_NEGATIVE_TTL, 1),
                        KeycloakOptions.SEARCHABLE_NAME);
        ItConfig.daneRealm().ifPresent(b::realmImport);
        return b;
    }

    /** The shared stack, started on first use. */
    @SuppressWarnings("deprecation") // computeIfAbsent is JUnit 6 only; the root pom names JUnit 5.14 too
    public static Stack get(ExtensionContext context) {
        Holder holder = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Holder.class, k -> Holder.start(), Holder.class);
        return holder.stack();
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Stack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        try {
            return get(context);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("the shared stack is not available: " + e.getMessage(), e);
        }
    }

    /** The stack, or why it could not start. Closed with the root context. */
    private record Holder(Stack started, Throwable failure) implements AutoCloseable {

        static Holder start() {
            try {
                return new Holder(configuration().start(), null);
            } catch (IOException | RuntimeException e) {
                return new Holder(null, e);
            }
        }

        Stack stack() {
            if (failure != null) {
                throw new IllegalStateException("the shared stack failed to start: " + failure.getMessage(), failure);
            }
            return started;
        }

        @Override
        public void close() {
            if (started != null) {
                started.close();
            }
        }
    }
}
