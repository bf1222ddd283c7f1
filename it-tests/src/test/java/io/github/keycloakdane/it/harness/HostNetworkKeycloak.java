package io.github.keycloakdane.it.harness;

import dasniko.testcontainers.keycloak.KeycloakContainer;
import org.testcontainers.images.PullPolicy;

import java.time.Duration;
import java.util.List;

/**
 * testcontainers-keycloak's {@link KeycloakContainer} on the host's network, for an engine without a bridge (the one
 * {@code scripts/test.sh} starts has none, so nothing can be port-mapped): Keycloak listens on 127.0.0.1 on free
 * ports, and those stand in for the mapped ports KeycloakContainer asks for (its wait strategy, its URLs, its admin
 * client). The image is the local one ({@link KeycloakImage}), present and never pulled.
 */
public final class HostNetworkKeycloak extends KeycloakContainer {

    private static final int HTTP = 8080;
    private static final int HTTPS = 8443;
    private static final int MANAGEMENT = 9000;

    private final int http = ManagedProcess.freePort();
    private final int https = ManagedProcess.freePort();
    private final int management = ManagedProcess.freePort();

    public HostNetworkKeycloak(String image) {
        super(image);
        withNetworkMode("host");
        // nothing is port-mapped on the host's network: with ports declared, the start would wait for mappings
        setExposedPorts(List.of());
        // KeycloakContainer's default re-pulls images older than a day: there is no registry to pull from
        withImagePullPolicy(PullPolicy.defaultPolicy());
        // start-dev builds the server with the provider on 2 shared cores: more than the default 2 minutes at times
        withStartupTimeout(Duration.ofMinutes(5));
        withEnv("JAVA_OPTS_APPEND", ItConfig.keycloakJavaOptsAppend()); // as for the harness's Keycloaks
        withCustomCommand("--http-host=" + ManagedProcess.LOOPBACK.getHostAddress());
        withCustomCommand("--http-port=" + http);
        withCustomCommand("--https-port=" + https);
        withCustomCommand("--http-management-port=" + management);
    }

    @Override
    public String getHost() {
        return ManagedProcess.LOOPBACK.getHostAddress();
    }

    /** Where the wait strategy looks up the container port of the URL it polls (through {@link #getMappedPort}). */
    @Override
    public List<Integer> getExposedPorts() {
        return List.of(HTTP, HTTPS, MANAGEMENT);
    }

    @Override
    public Integer getMappedPort(int port) {
        return switch (port) {
            case HTTP -> http;
            case HTTPS -> https;
            case MANAGEMENT -> management;
            default -> throw new IllegalArgumentException("no host port for container port " + port);
        };
    }
}
