package io.github.keycloakdane.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A real PostgreSQL (Debian's {@code postgresql} package) on 127.0.0.1, with a fresh cluster in its own directory
 * at every start and one database and login role for Keycloak ({@link #DATABASE}, {@link #USER},
 * {@link #PASSWORD}; password authentication over TCP).
 *
 * <p>The cluster (also the Unix socket directory, so nothing goes to {@code /var/run/postgresql}) is
 * {@code pgdata/} in its directory, next to {@code postgres.log}. PostgreSQL refuses to run as root: as root, initdb,
 * postgres and psql run as the {@code postgres} system user ({@code runuser}), and the cluster lives in
 * {@code /tmp/keycloak-dane-pg-HASH} instead, because that user may not enter the checkout (under {@code /root}, or a
 * {@code mktemp -d} directory). The harness's stop signals runuser and postgres with its children alike (SIGTERM):
 * PostgreSQL shuts down within a second or two.
 */
public final class Postgres extends ManagedProcess {

    public static final String DATABASE = "keycloak";
    public static final String USER = "keycloak";
    public static final String PASSWORD = "keycloak-it-password";

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final Path bin;
    private int port;

    private Postgres(Path dir, Path bin) {
        super("postgres-" + dir.getFileName(), dir, "postgres.log", Duration.ofSeconds(60));
        this.bin = bin;
    }

    /**
     * The server binaries of the newest installed PostgreSQL ({@code /usr/lib/postgresql/VERSION/bin}, where Debian
     * puts them; {@code pg_ctl} on the PATH may be another build), or empty when none is installed.
     */
    public static Optional<Path> binaries() {
        try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
                    .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString()
                            .replaceAll("\\D", "0"))));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Starts PostgreSQL in {@code dir} and creates Keycloak's database; throws when PostgreSQL is not installed. */
    public static Postgres start(Path dir) throws IOException {
        Postgres pg = new Postgres(dir, binaries().orElseThrow(
                () -> new IllegalStateException("PostgreSQL not found under /usr/lib/postgresql (install postgresql)")));
        pg.start();
        try {
            pg.psql("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
            pg.psql("CREATE DATABASE " + DATABASE + " OWNER " + USER);
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
        return pg;
    }

    @Override
    protected void prepare() throws IOException {
        // a postmaster a killed run left in the cluster (outside dir() as root, so the base class does not find it)
        Path pid = data().resolve("postmaster.pid");
        if (Files.isRegularFile(pid)) {
            String first = Files.readAllLines(pid).stream().findFirst().orElse("").strip();
            if (first.matches("[0-9]+")) {
                ProcessHandle.of(Long.parseLong(first))
                        .filter(h -> h.info().command().orElse("").endsWith("/postgres"))
                        .ifPresent(ProcessHandle::destroy);
            }
        }
        // a fresh cluster each start: no schema, sessions or cluster members left from an earlier run
        deleteTree(data());
        Files.createDirectories(data());
        if (ROOT) {
            run(List.of("chown", "-R", "postgres:postgres", data().toString()));
        }
        run(asPostgres(bin.resolve("initdb").toString(), "-D", data().toString(), "-U", "postgres",
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"));
    }

    @Override
    protected List<String> command() {
        port = freePort();
        // -k: the socket in the data directory; no fsync: the cluster is thrown away after the run
        return asPostgres(bin.resolve("postgres").toString(), "-D", data().toString(), "-k", data().toString(),
                "-h", LOOPBACK.getHostAddress(), "-p", Integer.toString(port), "-c", "fsync=off",
                "-c", "full_page_writes=off", "-c", "synchronous_commit=off");
    }

    @Override
    protected String notReady() {
        try {
            run(new ProcessBuilder(bin.resolve("pg_isready").toString(), "-q", "-h", LOOPBACK.getHostAddress(),
                    "-p", Integer.toString(port)), Duration.ofSeconds(10));
            return null;
        } catch (IOException e) {
            return "pg_isready: not accepting";
        }
    }

    @Override
    protected List<Path> diagnosticFiles() {
        return List.of();
    }

    /** One SQL statement as the superuser, over the Unix socket. */
    private void psql(String sql) throws IOException {
        run(asPostgres(bin.resolve("psql").toString(), "-h", data().toString(), "-p", Integer.toString(port),
                "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql));
    }

    /**
     * One SQL statement on Keycloak's database as the superuser (a test's edit behind Keycloak's back, or a look at
     * the statistics views); returns the rows unaligned, without headers, one per line.
     */
    public String sql(String statement) throws IOException {
        return run(new ProcessBuilder(asPostgres(bin.resolve("psql").toString(), "-h", data().toString(), "-p",
                Integer.toString(port), "-U", "postgres", "-d", DATABASE, "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t",
                "-c", statement)).directory(data().toFile()), Duration.ofSeconds(60)).strip();
    }

    private static List<String> asPostgres(String... command) {
        List<String> cmd = new ArrayList<>();
        if (ROOT) {
            cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        cmd.addAll(List.of(command));
        return cmd;
    }

    private void run(List<String> command) throws IOException {
        run(new ProcessBuilder(command).directory(data().toFile()), Duration.ofSeconds(60));
    }

    private Path data() {
        return ROOT ? Path.of("/tmp", "keycloak-dane-pg-" + Integer.toHexString(dir().toString().hashCode()))
                : dir().resolve("pgdata");
    }

    /** Stops PostgreSQL and, as root, removes its cluster from /tmp. */
    @Override
    public void close() {
        super.close();
        if (ROOT) {
            try {
                deleteTree(data());
            } catch (IOException e) {
                // the next start of this instance wipes it all the same
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** {@code jdbc:postgresql://127.0.0.1:PORT/keycloak}. */
    public String jdbcUrl() {
        return "jdbc:postgresql://" + LOOPBACK.getHostAddress() + ":" + port + "/" + DATABASE;
    }

    /** Keycloak's runtime database options for this server ({@code --db=postgres} is the build's). */
    public List<String> keycloakOptions() {
        return List.of("--db-url=" + jdbcUrl(), "--db-username=" + USER, "--db-password=" + PASSWORD);
    }
}
