package io.github.keycloakdane.it.harness;

import io.github.keycloakdane.testing.TestPki;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The stack of {@code scripts/demo.sh}: {@link SharedStack#configuration()} named "demo", so the demo runs what the
 * tests run. Arguments: the file to write {@code DNS_PORT}, {@code TRUST_ANCHORS}, {@code TLS_CA},
 * {@code KEYCLOAK_URL} and {@code PUBLIC_URL} to, then zone-file lines to publish in example.test. Runs until SIGTERM
 * (the shutdown hooks stop nginx, Keycloak and Knot).
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
