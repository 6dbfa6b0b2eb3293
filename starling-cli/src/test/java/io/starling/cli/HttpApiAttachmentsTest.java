package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Starling;
import io.starling.StarlingConfig;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /api/v1/attachments} and {@code GET /api/v1/attachments/{id}} with Range, over a real server. */
class HttpApiAttachmentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Starling db;
    private HttpApiServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    @BeforeEach
    void open() throws Exception {
        db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build());
        server = HttpApiServer.start(db, new InetSocketAddress("127.0.0.1", 0), HttpApiServer.Settings.defaults());
    }

    @AfterEach
    void close() {
        server.close();
        db.close();
    }

    private HttpResponse<byte[]> get(String path, String range) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path));
        if (range != null) b.header("Range", range);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void anUploadAnswersTheTokenWhichGoesIntoADocumentAndTheBlobDownloadsWholeAndInRanges() throws Exception {
        byte[] data = new byte[200_000];
        new Random(1).nextBytes(data);
        HttpResponse<String> up = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/attachments?name=photo.jpg"))
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        JsonNode token = JSON.readTree(up.body());
        String id = token.path("_attachment").path("id").asText();
        assertThat(token.path("_attachment").path("len").asLong()).isEqualTo(200_000);
        assertThat(token.path("_attachment").path("metadata").path("name").asText())
                .isEqualTo("photo.jpg");

        // the token, as JSON, goes into a document through the execute endpoint and comes back the same
        String body = "{\"statement\": \"INSERT INTO r DOCUMENTS (:d)\", \"args\": {\"d\": {\"_id\": 1, \"photo\": "
                + up.body() + "}}}";
        HttpResponse<String> ins = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + HttpApi.EXECUTE))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ins.statusCode()).as(ins.body()).isEqualTo(200);
        HttpResponse<String> sel = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + HttpApi.EXECUTE))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"statement\": \"SELECT photo FROM r\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(sel.body()).toString())
                .contains(JSON.readTree(up.body()).toString());

        HttpResponse<byte[]> whole = get("/api/v1/attachments/" + id, null);
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(whole.body()).isEqualTo(data);
        assertThat(whole.headers().firstValue("accept-ranges")).hasValue("bytes");

        HttpResponse<byte[]> part = get("/api/v1/attachments/" + id, "bytes=100-199");
        assertThat(part.statusCode()).isEqualTo(206);
        assertThat(part.body()).isEqualTo(Arrays.copyOfRange(data, 100, 200));
        assertThat(part.headers().firstValue("content-range")).hasValue("bytes 100-199/200000");

        HttpResponse<byte[]> tail = get("/api/v1/attachments/" + id, "bytes=-10");
        assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(data, 199_990, 200_000));

        HttpResponse<byte[]> outside = get("/api/v1/attachments/" + id, "bytes=300000-");
        assertThat(outside.statusCode()).isEqualTo(416);
        assertThat(outside.headers().firstValue("content-range")).hasValue("bytes */200000");
    }

    @Test
    void unknownAndMalformedIdsAreClearErrors() throws Exception {
        HttpResponse<byte[]> bad = get("/api/v1/attachments/xyz", null);
        assertThat(bad.statusCode()).isEqualTo(404);
        assertThat(new String(bad.body())).contains("is not an id");
        HttpResponse<byte[]> missing = get("/api/v1/attachments/" + "ab".repeat(32), null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(new String(missing.body())).contains("not held here").contains("?len=");
        HttpResponse<String> wrongMethod = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/attachments"))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
    }
}
