/**
 * Real-component IT harness: Keycloak, nginx, HAProxy, Apache httpd, PostgreSQL and Knot DNS on 127.0.0.1, each a
 * {@link ManagedProcess}; see docs/TESTING.md.
 */
package io.github.keycloakdane.it.harness;
