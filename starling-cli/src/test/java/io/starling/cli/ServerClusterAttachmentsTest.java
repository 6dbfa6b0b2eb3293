package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentToken;
import io.starling.Endpoint;
import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.storage.postgres.TestPostgres;
import io.starling.testsupport.Await;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server nodes on one (embedded) PostgreSQL, each with its own directory for blob files, are one logical server
 * for attachments too (docs/SERVER.md, "Attachments on a cluster"): a blob uploaded through node 1's HTTP API downloads
 * through node 2's, and a device connected only to node 2 fetches it; once no document references it, collecting it
 * removes the shared copy as well.
 */
class ServerClusterAttachmentsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    private Starling node(String url, String name) {
        return keep(Starling.open(StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve(name)) // its blob files: a directory of its own
                .listen("tcp://127.0.0.1:0")
                .attachments(StarlingConfig.Attachments.defaults())
                .build()));
    }

    @Test
    void aBlobUploadedThroughOneNodeIsServedByAnother() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        Starling one = node(url, "node1");
        Starling two = node(url, "node2");
        HttpApiServer http1 = keep(
                HttpApiServer.start(one, new InetSocketAddress("127.0.0.1", 0), HttpApiServer.Settings.defaults()));
        HttpApiServer http2 = keep(
                HttpApiServer.start(two, new InetSocketAddress("127.0.0.1", 0), HttpApiServer.Settings.defaults()));

        byte[] data = new byte[3_000_000];
        new Random(7).nextBytes(data);
        HttpResponse<String> up = client.send(
                HttpRequest.newBuilder(URI.create(http1.url() + "/api/v1/attachments?name=photo.jpg"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(data))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        JsonNode t = JSON.readTree(up.body()).path("_attachment");
        String id = t.path("id").asText();
        AttachmentToken token = new AttachmentToken(id, t.path("len").asLong(), Map.of("name", "photo.jpg"));
        one.store().execute("INSERT INTO tasks DOCUMENTS (:d)", Map.of("d", Map.of("_id", "t1", "photo", token)));
        assertThat(Files.exists(dir.resolve("node2").resolve("attachments").resolve(id)))
                .as("node 2 has no file of it yet")
                .isFalse();

        // node 2's HTTP API has it, without being told its length: it is in the shared storage
        HttpResponse<byte[]> down = client.send(
                HttpRequest.newBuilder(URI.create(http2.url() + "/api/v1/attachments/" + id))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(down.statusCode()).as(new String(down.body())).isEqualTo(200);
        assertThat(down.body()).isEqualTo(data);
        assertThat(Files.exists(dir.resolve("node2").resolve("attachments").resolve(id)))
                .as("node 2 keeps a verified copy in its files")
                .isTrue();

        // a device connected only to node 2 fetches it from there
        Starling device = keep(Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve("device"))
                .connect(List.of(Endpoint.parse(two.sync().listening().get(0).toString())))
                .build()));
        device.sync().registerSubscription("SELECT * FROM tasks", Map.of());
        Await.until(
                "the task to reach the device",
                DEADLINE,
                () -> device.store().execute("SELECT * FROM tasks").items().size() == 1);
        assertThat(fetch(device, token)).isEqualTo(data);
    }

    @Test
    void aBlobAFetchBroughtToOneNodeIsSharedAndAnUnreferencedOneIsCollectedEverywhere() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        Starling one = keep(Starling.open(StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve("node1"))
                .attachments(new StarlingConfig.Attachments(4, Duration.ofSeconds(30), 0, Duration.ZERO))
                .build()));
        Starling two = keep(Starling.open(StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve("node2"))
                .attachments(new StarlingConfig.Attachments(4, Duration.ofSeconds(30), 0, Duration.ZERO))
                .build()));
        byte[] data = new byte[700_000];
        new Random(8).nextBytes(data);
        AttachmentToken token = one.store().newAttachment(data, Map.of());
        assertThat(fetch(two, token)).isEqualTo(data);

        // unreferenced (and no grace): node 1 collects it, from its files and from the shared storage
        assertThat(((io.starling.internal.engine.DefaultStarling) one).collectAttachments())
                .containsExactly(token.id());
        assertThat(Files.exists(dir.resolve("node1").resolve("attachments").resolve(token.id())))
                .isFalse();
        Starling three = keep(Starling.open(StarlingConfig.builder()
                .storageUrl(url)
                .databaseDirectory(dir.resolve("node3"))
                .attachments(new StarlingConfig.Attachments(4, Duration.ofMillis(500), 0, Duration.ofHours(1)))
                .build()));
        CompletableFuture<String> failure = new CompletableFuture<>();
        three.store().fetchAttachment(token, new AttachmentFetchListener() {
            @Override
            public void completed(Attachment attachment) {
                failure.complete("completed");
            }

            @Override
            public void failed(ErrorCode code, String reason) {
                failure.complete(code.toString());
            }
        });
        assertThat(failure.get(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                .as("a third node finds it nowhere once collected")
                .isEqualTo(ErrorCode.ATTACHMENT_UNAVAILABLE.toString());
    }

    private static byte[] fetch(Starling db, AttachmentToken token) throws Exception {
        CompletableFuture<Attachment> done = new CompletableFuture<>();
        db.store().fetchAttachment(token, new AttachmentFetchListener() {
            @Override
            public void completed(Attachment attachment) {
                done.complete(attachment);
            }

            @Override
            public void failed(ErrorCode code, String reason) {
                done.completeExceptionally(new AssertionError(code + ": " + reason));
            }
        });
        return done.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).data();
    }
}
