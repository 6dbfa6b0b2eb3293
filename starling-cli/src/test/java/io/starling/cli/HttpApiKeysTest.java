package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.AttachmentToken;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API keys over a real server on a loopback port: each request runs with its key's permissions — statements see only
 * readable documents and writes are checked, live queries and the change feed are filtered — and the admin token
 * keeps every right.
 */
class HttpApiKeysTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN = "admin-token";

    @TempDir
    Path dir;

    private Starling db;
    private ApiKeys keys;
    private HttpApiServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    /** Reads and writes the tasks it owns. */
    private String alice;
    /** Reads everything, writes nothing. */
    private String viewer;

    private static Permissions permissions(Map<String, Object> json) {
        return Permissions.parse(Value.fromJava(json));
    }

    @BeforeEach
    void open() throws Exception {
        db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build());
        db.store()
                .execute("INSERT INTO tasks DOCUMENTS ({'_id': 'a1', 'owner': 'alice', 'n': 1}),"
                        + " ({'_id': 'a2', 'owner': 'alice', 'n': 2}), ({'_id': 'b1', 'owner': 'bob', 'n': 3})");
        db.store().execute("INSERT INTO notes DOCUMENTS ({'_id': 'x', 'text': 'admin only'})");
        keys = ApiKeys.inDatabase(dir.resolve("db"));
        Map<String, Object> own =
                Map.of("everything", false, "queriesByCollection", Map.of("tasks", List.of("owner = :userId")));
        alice = keys.create("alice's app", "alice", permissions(Map.of("read", own, "write", own)))
                .secretKey();
        viewer = keys.create("viewer", null, permissions(Map.of("read", Map.of("everything", true))))
                .secretKey();
        server = HttpApiServer.start(
                db,
                new InetSocketAddress("127.0.0.1", 0),
                HttpApiServer.Settings.defaults().withToken(ADMIN).withApiKeys(keys));
    }

    @AfterEach
    void close() {
        server.close();
        db.close();
    }

    private HttpResponse<String> execute(@Nullable String credential, String statement) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + HttpApi.EXECUTE))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"statement\": " + JSON.writeValueAsString(statement) + "}"));
        if (credential != null) b.header("Authorization", "Bearer " + credential);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(@Nullable String credential, String path) throws Exception {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(URI.create(server.url() + path)).GET();
        if (credential != null) b.header("Authorization", "Bearer " + credential);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> ids(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode item : JSON.readTree(r.body()).get("items"))
            ids.add(item.get("_id").asText());
        return ids;
    }

    private static void assertError(HttpResponse<String> r, int status, String code, String messagePart)
            throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).contains(messagePart);
    }

    private List<String> all(String collection) {
        List<String> ids = new ArrayList<>();
        db.store()
                .execute("SELECT _id FROM " + collection + " ORDER BY _id")
                .items()
                .forEach(i -> ids.add(String.valueOf(i.value().get("_id"))));
        return ids;
    }

    @Test
    void aKeySeesOnlyWhatItMayRead() throws Exception {
        assertThat(ids(execute(alice, "SELECT * FROM tasks ORDER BY _id"))).containsExactly("a1", "a2");
        assertThat(ids(execute(alice, "SELECT * FROM tasks WHERE _id = 'b1'"))).isEmpty();
        assertThat(execute(alice, "SELECT COUNT(*) AS n FROM tasks").body()).contains("\"n\":2");
        assertThat(ids(execute(alice, "SELECT * FROM notes")))
                .as("a collection it may not read")
                .isEmpty();
        // with an index in place the same: the index scan is filtered too
        db.store().execute("CREATE INDEX by_n ON tasks (n)");
        assertThat(ids(execute(alice, "SELECT * FROM tasks WHERE n >= 1 ORDER BY n")))
                .containsExactly("a1", "a2");

        assertThat(ids(execute(viewer, "SELECT * FROM tasks ORDER BY _id"))).containsExactly("a1", "a2", "b1");
        assertThat(ids(execute(ADMIN, "SELECT * FROM notes"))).containsExactly("x");
        assertError(execute(alice, "SELECT * FROM system:indexes"), 403, "permission/denied", "system collection");
    }

    @Test
    void writesAreCheckedBeforeAndAfterAndARefusedStatementWritesNothing() throws Exception {
        HttpResponse<String> own = execute(alice, "INSERT INTO tasks DOCUMENTS ({'_id': 'a3', 'owner': 'alice'})");
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);

        assertError(
                execute(
                        alice,
                        "INSERT INTO tasks DOCUMENTS ({'_id': 'a4', 'owner': 'alice'}), ({'_id': 'b2', 'owner': 'bob'})"),
                403,
                "permission/denied",
                "may not write document \"b2\" of tasks");
        assertThat(all("tasks")).as("the statement is atomic").containsExactly("a1", "a2", "a3", "b1");

        assertError(
                execute(alice, "UPDATE tasks SET owner = 'bob' WHERE _id = 'a1'"),
                403,
                "permission/denied",
                "new value");
        assertThat(db.store()
                        .execute("SELECT owner FROM tasks WHERE _id = 'a1'")
                        .toJson())
                .contains("alice");
        // bob's task is invisible: nothing matches, nothing is written
        assertThat(execute(alice, "UPDATE tasks SET n = 99 WHERE _id = 'b1'").body())
                .isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[]}");
        // taking over an existing document of someone else by INSERT … DO UPDATE is refused on its stored value
        assertError(
                execute(
                        alice,
                        "INSERT INTO tasks DOCUMENTS ({'_id': 'b1', 'owner': 'alice'}) ON ID CONFLICT DO UPDATE"),
                403,
                "permission/denied",
                "stored value");
        assertThat(execute(alice, "DELETE FROM tasks").body())
                .contains("a1")
                .contains("a2")
                .doesNotContain("b1");
        assertThat(all("tasks")).containsExactly("b1");

        assertError(execute(viewer, "INSERT INTO tasks DOCUMENTS ({'_id': 'v'})"), 403, "permission/denied", "v");
        assertError(execute(alice, "CREATE INDEX i ON tasks (owner)"), 403, "permission/denied", "index");
        // EVICT reaches only what the key may read and write: bob's task stays
        assertThat(execute(alice, "EVICT FROM tasks WHERE true").body())
                .isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[]}");
        assertThat(all("tasks")).containsExactly("b1");
    }

    @Test
    void credentialsAreRequiredAndARevokedKeyStopsAtOnce() throws Exception {
        assertError(execute(null, "SELECT * FROM tasks"), 401, "http/unauthorized", "Authorization");
        assertError(
                execute("stk_0123456789abcdef_" + "A".repeat(43), "SELECT * FROM tasks"),
                401,
                "http/unauthorized",
                "revoked");
        assertError(execute("wrong", "SELECT * FROM tasks"), 401, "http/unauthorized", "token");
        assertThat(execute(alice, "SELECT * FROM tasks").statusCode()).isEqualTo(200);

        String id = alice.substring(4, 20);
        assertThat(keys.revoke(id)).isNotNull(); // as 'starling apikey revoke' does, on the running server's file
        assertError(execute(alice, "SELECT * FROM tasks"), 401, "http/unauthorized", "revoked");
        assertThat(execute(viewer, "SELECT * FROM tasks").statusCode()).isEqualTo(200);
        assertThat(execute(ADMIN, "SELECT * FROM tasks").statusCode()).isEqualTo(200);
    }

    @Test
    void withoutATokenKeysStillRestrictAndACallerWithoutOneIsRefused() throws Exception {
        server.close();
        server = HttpApiServer.start(
                db,
                new InetSocketAddress("127.0.0.1", 0),
                HttpApiServer.Settings.defaults().withApiKeys(keys));
        assertError(execute(null, "SELECT * FROM tasks"), 401, "http/unauthorized", "API key");
        assertThat(ids(execute(alice, "SELECT * FROM tasks ORDER BY _id"))).containsExactly("a1", "a2");
        // health needs no credentials
        assertThat(get(null, HttpApi.HEALTH).statusCode()).isEqualTo(200);
    }

    /**
     * A key downloads an attachment only if it may read a document here that references it, the rule peers follow;
     * uploads still need a key that may write everything.
     */
    @Test
    void aKeyDownloadsOnlyAttachmentsOfDocumentsItMayRead() throws Exception {
        AttachmentToken alices = db.store().newAttachment("alice's photo".getBytes(StandardCharsets.UTF_8), Map.of());
        AttachmentToken bobs = db.store().newAttachment("bob's photo".getBytes(StandardCharsets.UTF_8), Map.of());
        AttachmentToken nobodys = db.store().newAttachment("nobody's".getBytes(StandardCharsets.UTF_8), Map.of());
        db.store().execute("UPDATE tasks SET photo = :p WHERE _id = 'a1'", Map.of("p", alices));
        db.store().execute("UPDATE tasks SET photo = :p WHERE _id = 'b1'", Map.of("p", bobs));
        db.store().execute("INSERT INTO notes DOCUMENTS ({'_id': 'y', 'photo': :p})", Map.of("p", alices));
        String path = AttachmentEndpoints.PATH + "/";

        HttpResponse<String> own = get(alice, path + alices.id());
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        assertThat(own.body()).isEqualTo("alice's photo");
        assertError(
                get(alice, path + bobs.id()), 403, "permission/denied", "may read no document here that references");
        assertError(get(alice, path + nobodys.id()), 403, "permission/denied", "user 'alice'");
        // not held and not referenced: refused before any fetch from peers
        String unknown = "ab".repeat(32);
        assertError(get(alice, path + unknown + "?len=10"), 403, "permission/denied", unknown);
        // once bob's task is alice's, so is its photo
        db.store().execute("UPDATE tasks SET owner = 'alice' WHERE _id = 'b1'");
        assertThat(get(alice, path + bobs.id()).body()).isEqualTo("bob's photo");
        db.store().execute("UPDATE tasks SET owner = 'bob', photo = null WHERE _id = 'b1'");
        assertError(get(alice, path + bobs.id()), 403, "permission/denied", "attachment " + bobs.id());

        assertThat(get(viewer, path + nobodys.id()).body()).isEqualTo("nobody's");
        assertThat(get(ADMIN, path + bobs.id()).body()).isEqualTo("bob's photo");
        HttpResponse<String> upload = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + AttachmentEndpoints.PATH))
                        .header("Authorization", "Bearer " + alice)
                        .POST(HttpRequest.BodyPublishers.ofString("x"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertError(upload, 403, "permission/denied", "write everything");
    }

    @Test
    void metricsAndPresenceNeedAKeyThatReadsEverything() throws Exception {
        assertError(get(alice, HttpApi.METRICS), 403, "permission/denied", "read everything");
        assertError(get(alice, HttpApi.PRESENCE), 403, "permission/denied", "read everything");
        assertError(get(alice, HttpApi.PRESENCE_OBSERVE), 403, "permission/denied", "read everything");
        assertThat(get(viewer, HttpApi.METRICS).statusCode()).isEqualTo(200);
        assertThat(get(ADMIN, HttpApi.PRESENCE).statusCode()).isEqualTo(200);
    }

    @Test
    void theChangeFeedShowsOnlyReadableDocumentsAndDeletesOfReadableCollections() throws Exception {
        try (Stream feed = new Stream(HttpApi.CHANGES, alice)) {
            assertThat(feed.next()).contains("\"id\":\"a1\"");
            assertThat(feed.next()).contains("\"id\":\"a2\"");
            db.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 'b9', 'owner': 'bob'})");
            db.store().execute("INSERT INTO notes DOCUMENTS ({'_id': 'y'})");
            db.store().execute("UPDATE tasks SET n = 7 WHERE _id = 'a1'");
            assertThat(feed.next())
                    .as("bob's task and the note are skipped")
                    .contains("\"id\":\"a1\"")
                    .contains("\"n\":7");
            db.store().execute("DELETE FROM tasks WHERE _id = 'a2'");
            assertThat(feed.next()).contains("\"id\":\"a2\"").contains("\"op\":\"delete\"");
        }
    }

    @Test
    void aLiveQueryDeliversOnlyReadableDocuments() throws Exception {
        String statement = URLEncoder.encode("SELECT * FROM tasks ORDER BY _id", StandardCharsets.UTF_8);
        try (Stream live = new Stream(HttpApi.OBSERVE + "?statement=" + statement, alice)) {
            String first = live.next();
            assertThat(first).contains("a1").contains("a2").doesNotContain("b1");
            db.store()
                    .execute(
                            "INSERT INTO tasks DOCUMENTS ({'_id': 'b9', 'owner': 'bob'}), ({'_id': 'a9', 'owner': 'alice'})");
            String next = live.next();
            assertThat(next).contains("a9").doesNotContain("b9").doesNotContain("b1");
        }
    }

    /** A Server-Sent Events stream read line by line; {@link #next} is the next event's data. */
    private final class Stream implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;

        Stream(String target, String credential) throws Exception {
            socket.connect(server.address(), 10_000);
            socket.setSoTimeout(20_000);
            socket.getOutputStream()
                    .write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + credential
                                    + "\r\nAccept: text/event-stream\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String status = in.readLine();
            assertThat(status).isEqualTo("HTTP/1.1 200 OK");
        }

        String next() throws Exception {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("data: ")) return line.substring(6);
            }
            throw new AssertionError("the stream ended");
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }
}
