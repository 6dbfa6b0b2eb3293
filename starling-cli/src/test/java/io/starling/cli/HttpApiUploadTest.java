package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.testsupport.Await;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /api/v1/attachments} streamed to the blob store: the attachment limit (one value, here 1 MiB) enforced
 * on an announced length, on a chunked body, on the library's own {@code newAttachment} and on a fetch; a cut upload
 * and a stalled one leave no temporary file and no blob; concurrent uploads each store their own content. The bounded
 * memory of a large upload is shown by {@code UploadProcessTest} (a peer with a small heap).
 */
class HttpApiUploadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long LIMIT = 1 << 20;
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Starling db;
    private HttpApiServer server;
    private final HttpClient client = HttpClient.newHttpClient();

    private void open(HttpApiServer.Settings settings) throws Exception {
        db = Starling.open(StarlingConfig.builder()
                .databaseDirectory(dir.resolve("db"))
                .attachments(StarlingConfig.Attachments.defaults().withMaxBytes(LIMIT))
                .build());
        server = HttpApiServer.start(db, new InetSocketAddress("127.0.0.1", 0), settings);
    }

    private void open() throws Exception {
        open(HttpApiServer.Settings.defaults());
    }

    @AfterEach
    void close() {
        if (server != null) server.close();
        if (db != null) db.close();
    }

    private static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private HttpResponse<String> upload(HttpRequest.BodyPublisher body, boolean expectContinue) throws Exception {
        return client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/attachments?name=x.bin"))
                        .header("Content-Type", "application/octet-stream")
                        .expectContinue(expectContinue)
                        .POST(body)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Files under the attachments directory: complete blobs, their sums, and whatever is in tmp/. */
    private List<String> blobFiles() throws IOException {
        Path attachments = dir.resolve("db").resolve("attachments");
        if (!Files.exists(attachments)) return List.of();
        try (Stream<Path> s = Files.walk(attachments)) {
            return s.filter(Files::isRegularFile)
                    .map(p -> attachments.relativize(p).toString())
                    .sorted()
                    .toList();
        }
    }

    private void awaitNoBlobFiles() {
        Await.until("no blob and no temporary file left", WAIT, () -> {
            try {
                return blobFiles().isEmpty();
            } catch (IOException | java.io.UncheckedIOException e) {
                return false; // a file went while the directory was walked
            }
        });
    }

    @Test
    void aBodyAnnouncedOverTheLimitIsRefusedWith413BeforeItIsRead() throws Exception {
        open();
        // (without Expect: 100-continue: the JDK 17 client waits forever for a 100 when the answer is final)
        HttpResponse<String> r = upload(HttpRequest.BodyPublishers.ofByteArray(random(1, (int) LIMIT + 1)), false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(JSON.readTree(r.body()).path("error").path("code").asText()).isEqualTo(HttpApi.TOO_LARGE);
        assertThat(r.body()).contains("limit of " + LIMIT + " bytes");
        assertThat(blobFiles()).isEmpty();
    }

    @Test
    void aChunkedBodyOverTheLimitIsRefusedWith413AndLeavesNothing() throws Exception {
        open();
        byte[] data = random(2, (int) LIMIT + 100_000);
        // no length announced: the limit is found while the body streams
        HttpResponse<String> r =
                upload(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data)), false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(r.body()).contains("limit of " + LIMIT + " bytes");
        awaitNoBlobFiles();

        // exactly the limit is accepted
        byte[] most = random(3, (int) LIMIT);
        HttpResponse<String> ok =
                upload(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(most)), false);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(JSON.readTree(ok.body()).path("_attachment").path("id").asText())
                .isEqualTo(sha256(most));
    }

    @Test
    void theSameLimitHoldsForTheLibraryAndForFetches() throws Exception {
        open();
        assertThatThrownBy(() -> db.store().newAttachment(random(4, (int) LIMIT + 1), Map.of()))
                .isInstanceOfSatisfying(
                        StarlingException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.ATTACHMENT_TOO_LARGE))
                .hasMessageContaining("limit of " + LIMIT + " bytes");
        assertThat(blobFiles()).isEmpty();
        assertThat(db.store().newAttachment(random(5, (int) LIMIT), Map.of()).len())
                .isEqualTo(LIMIT);

        CompletableFuture<String> failure = new CompletableFuture<>();
        db.store()
                .fetchAttachment(
                        new AttachmentToken("ab".repeat(32), LIMIT + 1, Map.of()), new AttachmentFetchListener() {
                            @Override
                            public void completed(Attachment attachment) {
                                failure.complete("completed");
                            }

                            @Override
                            public void failed(ErrorCode code, String reason) {
                                failure.complete(code + ": " + reason);
                            }
                        });
        assertThat(failure.get(30, TimeUnit.SECONDS))
                .startsWith(ErrorCode.ATTACHMENT_TOO_LARGE.toString())
                .contains("limit of " + LIMIT + " bytes");
    }

    @Test
    void aCutUploadLeavesNoTemporaryFileAndNoBlob() throws Exception {
        open();
        try (Socket s = new Socket("127.0.0.1", port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 900000\r\n"
                            + "Content-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(random(6, 500_000));
            out.flush();
            // the store has begun: its temporary file exists
            Await.until("the upload to reach the store", WAIT, () -> {
                try {
                    return blobFiles().stream().anyMatch(f -> f.startsWith("tmp"));
                } catch (IOException | java.io.UncheckedIOException e) {
                    return false;
                }
            });
        } // closed with 400,000 bytes missing
        awaitNoBlobFiles();

        // the server goes on
        byte[] data = random(7, 300_000);
        HttpResponse<String> r = upload(HttpRequest.BodyPublishers.ofByteArray(data), false);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(blobFiles()).containsExactlyInAnyOrder(sha256(data), sha256(data) + ".sums");
    }

    @Test
    void anUploadThatStallsIsAnswered408AndLeavesNothing() throws Exception {
        open(HttpApiServer.Settings.defaults().withRequestTimeout(Duration.ofSeconds(1)));
        try (Socket s = new Socket("127.0.0.1", port())) {
            s.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(("POST /api/v1/attachments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 900000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(random(8, 100_000));
            out.flush();
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("made no progress");
        }
        awaitNoBlobFiles();
    }

    @Test
    void concurrentUploadsEachStoreTheirOwnContent() throws Exception {
        open();
        int n = 8;
        List<byte[]> bodies = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] data = random(100 + i, 700_000 + i);
            bodies.add(data);
            // half announce their length (and expect 100-continue), half stream chunked
            HttpRequest.BodyPublisher body = i % 2 == 0
                    ? HttpRequest.BodyPublishers.ofByteArray(data)
                    : HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(data));
            answers.add(client.sendAsync(
                    HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/attachments?n=" + i))
                            .expectContinue(i % 2 == 0)
                            .POST(body)
                            .build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = answers.get(i).get(60, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            JsonNode t = JSON.readTree(r.body()).path("_attachment");
            assertThat(t.path("id").asText()).isEqualTo(sha256(bodies.get(i)));
            assertThat(t.path("len").asLong()).isEqualTo(bodies.get(i).length);
            assertThat(t.path("metadata").path("n").asText()).isEqualTo(String.valueOf(i));
            byte[] stored =
                    Files.readAllBytes(dir.resolve("db").resolve("attachments").resolve(sha256(bodies.get(i))));
            assertThat(stored).isEqualTo(bodies.get(i));
        }
        assertThat(blobFiles()).noneMatch(f -> f.startsWith("tmp"));
    }

    @Test
    void badMetadataIsRefusedBeforeTheBodyIsRead() throws Exception {
        open();
        HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(URI.create(server.url() + "/api/v1/attachments?name=" + "x".repeat(5000)))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(random(9, 1000)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("the query parameters (metadata)");
        assertThat(blobFiles()).isEmpty();
    }

    private int port() {
        return URI.create(server.url()).getPort();
    }

    static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[65536];
        for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        return HexFormat.of().formatHex(md.digest());
    }
}
