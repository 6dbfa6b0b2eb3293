package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StoreChange;
import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-your-writes: a write answers its commit token; a read carrying one runs once the store holds that write,
 * waiting for it (a token ahead of the store, then the commit that releases it), and past the limit is refused.
 */
class HttpApiCommitTokenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private Starling db;
    private HttpApiServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void open() throws Exception {
        db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build());
        server = start(HttpApiServer.Settings.defaults());
    }

    private HttpApiServer start(HttpApiServer.Settings settings) throws Exception {
        return HttpApiServer.start(db, new InetSocketAddress("127.0.0.1", 0), settings);
    }

    @AfterEach
    void close() {
        server.close();
        db.close();
    }

    private HttpRequest execute(String statement, @Nullable String commitToken) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + HttpApi.EXECUTE))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"statement\": " + JSON.writeValueAsString(statement) + "}"));
        if (commitToken != null) b.header(HttpApi.COMMIT_TOKEN_HEADER, commitToken);
        return b.build();
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** The store's last change-feed cursor. */
    private long lastCursor() {
        long cursor = 0;
        while (true) {
            StoreChange.Page page = db.store().changes(cursor, 10_000, Set.of());
            if (page.changes().isEmpty() && page.cursor() == cursor) return cursor;
            cursor = page.cursor();
        }
    }

    @Test
    void aWriteAnswersItsPositionInTheChangeFeedAndAReadWithItRuns() throws Exception {
        HttpResponse<String> write = send(execute("INSERT INTO cars DOCUMENTS ({'_id': 'a'})", null));
        assertThat(write.statusCode()).isEqualTo(200);
        assertThat(write.body())
                .as("the body keeps its shape")
                .isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"a\"]}");
        String token = write.headers().firstValue(HttpApi.COMMIT_TOKEN_HEADER).orElseThrow();
        assertThat(Long.parseLong(token)).isEqualTo(lastCursor());
        StoreChange change = db.store()
                .changes(Long.parseLong(token) - 1, 1, Set.of())
                .changes()
                .get(0);
        assertThat(change.idJson()).as("the token is the write's own cursor").isEqualTo("\"a\"");

        HttpResponse<String> read = send(execute("SELECT * FROM cars", token));
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).contains("\"a\"");
        assertThat(read.headers().firstValue(HttpApi.COMMIT_TOKEN_HEADER))
                .as("a read wrote nothing")
                .isEmpty();
    }

    @Test
    void aReadWithATokenAheadOfTheStoreWaitsUntilTheCommitThatReleasesIt() throws Exception {
        send(execute("INSERT INTO cars DOCUMENTS ({'_id': 'a'})", null));
        long ahead = lastCursor() + 1; // the token of a write this node does not hold yet
        CompletableFuture<HttpResponse<String>> read = client.sendAsync(
                execute("SELECT * FROM cars ORDER BY _id", Long.toString(ahead)), HttpResponse.BodyHandlers.ofString());
        Await.until("the read to wait for its token", DEADLINE, () -> server.waitingForCommits() == 1);
        assertThat(read).isNotDone();

        db.store().execute("INSERT INTO cars DOCUMENTS ({'_id': 'b'})"); // the write arrives (from sync, another node…)
        HttpResponse<String> answer = read.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).as("the read ran after the write").contains("\"b\"");
        Await.until("no read left waiting", DEADLINE, () -> server.waitingForCommits() == 0);
    }

    @Test
    void aTokenTheNodeNeverReachesIsRefusedAfterTheLimit() throws Exception {
        server.close();
        server = start(HttpApiServer.Settings.defaults().withCommitWait(Duration.ofMillis(200)));
        HttpResponse<String> r = send(execute("SELECT * FROM cars", Long.toString(lastCursor() + 1000)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(HttpApi.COMMIT_NOT_REACHED);
        assertThat(error.get("message").asText())
                .contains("after waiting 200 ms")
                .contains("--http-commit-wait");
        assertThat(server.waitingForCommits()).isZero();
    }

    @Test
    void aMalformedTokenIs400() throws Exception {
        for (String bad : new String[] {"abc", "-1", "1.5", "99999999999999999999"}) {
            HttpResponse<String> r = send(execute("SELECT * FROM cars", bad));
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).at("/error/message").asText()).contains(HttpApi.COMMIT_TOKEN_HEADER);
        }
    }

    @Test
    void eventStreamsTakeTheTokenAsAQueryParameter() throws Exception {
        server.close();
        server = start(HttpApiServer.Settings.defaults().withCommitWait(Duration.ofMillis(200)));
        HttpResponse<String> bad =
                send(HttpRequest.newBuilder(URI.create(server.url() + HttpApi.CHANGES + "?commitToken=x"))
                        .build());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("commitToken");
        HttpResponse<String> ahead = send(HttpRequest.newBuilder(
                        URI.create(server.url() + HttpApi.CHANGES + "?commitToken=" + (lastCursor() + 5)))
                .build());
        assertThat(ahead.statusCode()).isEqualTo(503);
        assertThat(ahead.body()).contains(HttpApi.COMMIT_NOT_REACHED);
    }
}
