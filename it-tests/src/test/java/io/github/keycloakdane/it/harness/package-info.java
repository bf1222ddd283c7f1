/**
 * Real-component integration-test harness: Keycloak (the unpacked dist, {@code kc.sh start-dev}), nginx terminating
 * TLS in front of it, and Knot DNS ({@link KnotDns}), all on 127.0.0.1, no Docker.
 *
 * <ul>
 * <li>{@link io.github.keycloakdane.it.harness.SharedStack}: JUnit extension giving every IT class the run's one
 * {@link io.github.keycloakdane.it.harness.Stack} (started lazily, stopped at the end of the run);
 * {@code SharedStack.configuration()} is the one place that defines it.</li>
 * <li>{@link io.github.keycloakdane.it.harness.KeycloakServer}, {@link io.github.keycloakdane.it.harness.NginxProxy},
 * {@link io.github.keycloakdane.it.harness.KnotDns}: the processes, each a
 * {@link io.github.keycloakdane.it.harness.ManagedProcess} in its own locked directory under {@code target/it/};
 * {@link io.github.keycloakdane.it.harness.HaProxy} and {@link io.github.keycloakdane.it.harness.ApacheHttpd}, the
 * other real proxies, run their configuration files from {@code src/test/resources/proxies/}
 * ({@link io.github.keycloakdane.it.harness.TemplateProxy}); {@link io.github.keycloakdane.it.harness.ProxyHeaders}:
 * the certificate headers of Traefik, Envoy and RFC 9440 proxies.</li>
 * <li>{@link io.github.keycloakdane.it.harness.KeycloakOptions}: the option sets (nginx lookup, proxy trust, DANE SPI),
 * with what each x509cert-lookup of Keycloak 26.7.3 returns.</li>
 * <li>{@link io.github.keycloakdane.it.harness.TlsHttp}: HTTPS client presenting a chosen client certificate;
 * {@link io.github.keycloakdane.it.harness.RawHttp}: a form POST from a chosen source address with forged headers;
 * {@link io.github.keycloakdane.it.harness.Tokens}: JWT verification against the realm's JWKS.</li>
 * </ul>
 *
 * Paths come from failsafe's system properties ({@link io.github.keycloakdane.it.harness.ItConfig}).
 */
package io.github.keycloakdane.it.harness;
