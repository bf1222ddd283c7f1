package io.github.keycloakdane.it;

import io.github.keycloakdane.it.harness.ItConfig;
import io.github.keycloakdane.it.harness.KeycloakOptions;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * An x509cert-lookup provider that is not Keycloak's, as a third party ships one: its own id ({@value #ID}) and jar,
 * compiled here at test time against the distribution's jars. It reads the certificate from a request header (the
 * header nginx sends, by extending Keycloak's nginx lookup), which keycloak-dane cannot know from its id.
 */
final class ThirdPartyLookup {

    static final String ID = "acme-header";

    private static final String FACTORY = "com.example.acme.AcmeHeaderLookupFactory";
    private static final String SOURCE = """
            package com.example.acme;

            /** A third party's certificate lookup: the certificate from a request header. */
            public class AcmeHeaderLookupFactory
                    extends org.keycloak.services.x509.NginxProxySslClientCertificateLookupFactory {
                @Override
                public String getId() {
                    return "%s";
                }
            }
            """.formatted(ID);

    private ThirdPartyLookup() {
    }

    /** The provider jar, made in {@code dir} (compiled anew each time: a second or two). */
    static Path jar(Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("src/com/example/acme"));
        Path classes = Files.createDirectories(dir.resolve("classes"));
        Path source = Files.writeString(src.resolve("AcmeHeaderLookupFactory.java"), SOURCE);
        String classpath;
        try (Stream<Path> jars = Files.list(ItConfig.keycloakDist().resolve("lib/lib/main"))) {
            classpath = jars.filter(p -> p.getFileName().toString().endsWith(".jar")).map(Path::toString)
                    .collect(Collectors.joining(java.io.File.pathSeparator));
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) {
            throw new IllegalStateException("the IT JVM has no Java compiler (a JDK is needed)");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = javac.run(null, out, out, "--release", "17", "-proc:none", "-cp", classpath, "-d",
                classes.toString(), source.toString());
        if (rc != 0) {
            throw new IllegalStateException("javac failed: " + out.toString(StandardCharsets.UTF_8));
        }
        Path jar = dir.resolve("acme-header-lookup.jar");
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(jar))) {
            String classFile = FACTORY.replace('.', '/') + ".class";
            entry(jos, classFile, Files.readAllBytes(classes.resolve(classFile)));
            entry(jos, "META-INF/services/org.keycloak.services.x509.X509ClientCertificateLookupFactory",
                    (FACTORY + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return jar;
    }

    private static void entry(JarOutputStream jos, String name, byte[] bytes) throws IOException {
        jos.putNextEntry(new JarEntry(name));
        jos.write(bytes);
        jos.closeEntry();
    }

    /** The lookup chosen (a build-time option) and set to read what nginx sends, as the nginx lookup is. */
    static List<String> options() {
        return KeycloakOptions.nginxCertLookup().stream()
                .map(o -> o.replace("--spi-x509cert-lookup--provider=nginx", "--spi-x509cert-lookup--provider=" + ID)
                        .replace("--spi-x509cert-lookup--nginx--", "--spi-x509cert-lookup--" + ID + "--"))
                .toList();
    }
}
