package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The stack of {@code scripts/demo.sh}: the ITs' own configuration ({@link SharedStack#configuration()}) under the
 * name "demo", so that the demo runs exactly what the tests run and no third copy of the Knot and nginx settings
 * exists. Publishes the given TLSA records in example.test, writes what the script needs as shell variables, and
 * keeps running until it is stopped (SIGTERM: the shutdown hooks stop nginx, Keycloak and Knot).
 *
 * <p>Arguments: the file to write the variables to ({@code DNS_PORT}, {@code TRUST_ANCHORS}, {@code TLS_CA},
 * {@code KEYCLOAK_URL}, {@code PUBLIC_URL}), then zone-file lines to publish, e.g.
 * {@code "sensor7._device.example.test. IN TLSA 3 1 1 HEX"}.
 */
public final class DemoStack {

    private DemoStack() {
    }

    public static void main(String[] args) throws Exception {
        Path envFile = Path.of(args[0]).toAbsolutePath();
        Stack stack = SharedStack.configuration().name("demo").start();
        Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "demo-stack-shutdown"));
        for (int i = 1; i < args.length; i++) {
            stack.knot().add("example.test", args[i]);
        }
        Path tlsCa = TestPki.writePem(envFile.resolveSibling("tls-ca.pem"), stack.serverTrust());
        Path tmp = envFile.resolveSibling(envFile.getFileName() + ".tmp");
        Files.writeString(tmp, "DNS_PORT=" + stack.knot().port() + "\nTRUST_ANCHORS='" + stack.trustAnchorFile()
                + "'\nTLS_CA='" + tlsCa + "'\nKEYCLOAK_URL=" + stack.keycloak().baseUri() + "\nPUBLIC_URL="
                + stack.baseUri() + "\n");
        Files.move(tmp, envFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Thread.currentThread().join(); // until SIGTERM
    }
}
