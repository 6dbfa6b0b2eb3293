package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.cli.CliRunner.Result;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Statement time limits at the CLI and over HTTP: {@code exec --statement-timeout}, the peer's default for its HTTP
 * API, the documented error shape of a timeout, a server that keeps answering while a statement runs away, and a
 * stop that does not wait for it. Outcomes are asserted, never durations.
 */
class StatementTimeoutCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Backtracks through every way of splitting 40 'a's into 20 groups: it never ends on its own. */
    private static final String RUNAWAY = "SELECT regexp_like(repeat('a', 40), '^(.*a){20}b') AS r FROM system:info";

    @TempDir
    Path dir;

    private final HttpClient client = HttpClient.newHttpClient();

    private Result exec(String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "exec";
        full[1] = "--db";
        full[2] = dir.resolve("db").toString();
        System.arraycopy(args, 0, full, 3, args.length);
        return cli().run(full);
    }

    @Test
    void execStopsAStatementAtItsTimeout() {
        Result r = exec("--statement-timeout", "200ms", RUNAWAY);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .isEqualTo("error: query/timeout: the statement ran longer than its time limit of 200 ms and was"
                        + " stopped; nothing it changed was kept (the limit is StarlingConfig.statementTimeout,"
                        + " --statement-timeout on the command line)\n");
        Result fine = exec("--statement-timeout", "5s", "SELECT 1 + 1 AS n FROM system:info");
        assertThat(fine.exitCode()).as(fine.err()).isZero();
        assertThat(fine.out()).isEqualTo("{\"items\":[{\"n\":2}],\"mutatedDocumentIds\":[]}\n");
    }

    @Test
    void badDurationsAreUsageErrors() {
        for (String bad : new String[] {"soon", "0s", "-1s", "25h", "0.5ms", "10 parsecs"}) {
            Result r = exec("--statement-timeout", bad, "SELECT 1 FROM system:info");
            assertThat(r.exitCode()).as(bad).isEqualTo(2);
            assertThat(r.err()).as(bad).contains("--statement-timeout").contains("'" + bad + "'");
        }
        Result remote = cli().run(
                        "exec",
                        "--url",
                        "http://127.0.0.1:9",
                        "--statement-timeout",
                        "1s",
                        "SELECT 1 FROM system:info");
        assertThat(remote.exitCode()).isEqualTo(2);
        assertThat(remote.err()).contains("--statement-timeout applies to --db");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(DurationConverter.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationConverter.parse("10")).isEqualTo(Duration.ofSeconds(10));
        assertThat(DurationConverter.parse(" 1.5s ")).isEqualTo(Duration.ofMillis(1500));
        assertThat(DurationConverter.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationConverter.parse("2min")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationConverter.parse("1H")).isEqualTo(Duration.ofHours(1));
        assertThat(DurationConverter.parse("24h")).isEqualTo(Duration.ofHours(24));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DurationConverter.parse("1.0001s"))
                .isInstanceOf(CommandLine.TypeConversionException.class);
    }

    private HttpResponse<String> execute(String url, String statement) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(url + HttpApi.EXECUTE))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"statement\": " + JSON.writeValueAsString(statement) + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        assertThat(r.headers().firstValue("Content-Type")).hasValue(HttpApi.JSON);
        return JSON.readTree(r.body()).get("error");
    }

    @Test
    void aTimeoutOverHttpIsA400WithTheErrorShape() throws Exception {
        try (Starling db = Starling.open(StarlingConfig.builder()
                        .databaseDirectory(dir.resolve("db"))
                        .statementTimeout(Duration.ofMillis(300))
                        .build());
                HttpApiServer server = HttpApiServer.start(
                        db, new InetSocketAddress("127.0.0.1", 0), HttpApiServer.Settings.defaults())) {
            HttpResponse<String> r = execute(server.url(), RUNAWAY);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            JsonNode error = error(r);
            assertThat(error.get("code").asText()).isEqualTo("query/timeout");
            assertThat(error.get("message").asText())
                    .startsWith("the statement ran longer than its time limit of 300 ms");
        }
    }

    @Test
    void theServerKeepsAnsweringWhileAStatementRunsAwayAndStoppingEndsIt() throws Exception {
        Starling db = Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve("db"))
                .statementTimeout(Duration.ofHours(1)) // the runaway can only end by being stopped
                .build());
        try (HttpApiServer server =
                HttpApiServer.start(db, new InetSocketAddress("127.0.0.1", 0), HttpApiServer.Settings.defaults())) {
            CompletableFuture<HttpResponse<String>> runaway = CompletableFuture.supplyAsync(() -> {
                try {
                    return execute(server.url(), RUNAWAY);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            HttpResponse<String> insert = execute(server.url(), "INSERT INTO c DOCUMENTS ({'_id': 1})");
            assertThat(insert.statusCode()).as(insert.body()).isEqualTo(200);
            HttpResponse<String> health = client.send(
                    HttpRequest.newBuilder(URI.create(server.url() + HttpApi.HEALTH))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(runaway).as("the runaway statement is still running").isNotDone();

            db.close(); // what a peer does first when it is told to stop
            HttpResponse<String> stopped = runaway.get(30, TimeUnit.SECONDS);
            assertThat(stopped.statusCode()).as(stopped.body()).isEqualTo(503);
            assertThat(error(stopped).get("code").asText()).isEqualTo("store/closed");
            assertThat(error(stopped).get("message").asText())
                    .isEqualTo("the statement was stopped: this Starling instance is closing");
        } finally {
            db.close();
        }
    }

    @Test
    void aPeerLimitsItsHttpApiStatements() throws Exception {
        assertThat(PeerCommand.DEFAULT_STATEMENT_TIMEOUT).isEqualTo(Duration.ofSeconds(10));
        CliRunner.Background peer = cli().start(
                        "peer", "--db", dir.resolve("peer").toString(), "--http", "0", "--statement-timeout", "250ms");
        String url = peer.awaitErrLine("http listening on ");
        HttpResponse<String> r = execute(url, RUNAWAY);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(error(r).get("message").asText()).contains("time limit of 250 ms");
        assertThat(peer.stop().exitCode()).isZero();
    }
}
