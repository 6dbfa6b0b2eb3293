package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.AttachmentToken;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.sync.BlobMessage;
import io.starling.testsupport.Await;
import io.starling.transport.SharedKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attachments between real {@code starling peer} processes over TCP on 127.0.0.1 (docs/ATTACHMENTS.md): a blob
 * crossing a line of three whose middle peer never asked for it, then collected everywhere once no document
 * references it; a fetch whose source is killed with SIGKILL halfway, resumed; a fetcher killed with SIGKILL
 * halfway, restarted; a damaged copy on one peer detected and the rest fetched from another.
 *
 * <p>Blobs are made on a peer's database by the library in this JVM before the peer starts (quicker than an HTTP
 * upload, which {@code UploadProcessTest} covers). The bytes moved are read from each process's {@code /metrics}
 * ({@code starling_attachment_chunk_bytes_*_total}); progress from the size of the fetcher's partial file on disk. A
 * source is slowed with {@code --attachment-bandwidth} so that "halfway" lasts long enough to be caught.
 */
class AttachmentProcessTest {
    private static final int CHUNK = BlobMessage.CHUNK_BYTES;
    private static final Duration LONG = Duration.ofSeconds(120);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path dir;

    private final List<PeerProcess> running = new ArrayList<>();
    private String key;

    @AfterEach
    void killAll() {
        for (PeerProcess p : running) p.close();
    }

    private String key() {
        if (key == null) {
            key = dir.resolve("app.key").toString();
            SharedKeys.generate(Path.of(key));
        }
        return key;
    }

    private PeerProcess peer(String name, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--shared-key", key(), "--subscribe", PeerProcessTest.TASKS));
        PeerProcess p = PeerProcess.start(dir, name, all.toArray(String[]::new));
        running.add(p);
        return p;
    }

    /** A 50 MB blob made on A reaches C through B, which never asked for it; deleted, it is collected on all three. */
    @Test
    void aBlobCrossesALineOfThreeAndIsCollectedOnceUnreferenced() throws Exception {
        lineOfThree(50_000_000);
    }

    /** The same with 200 MB. */
    @Test
    @Tag("slow")
    void aLargeBlobCrossesALineOfThree() throws Exception {
        lineOfThree(200_000_000);
    }

    private void lineOfThree(int size) throws Exception {
        Path big = generate("big.bin", 1, size);
        Path small = generate("small.bin", 2, 100_000);
        AttachmentToken keep = prepare("a", small, "keep");
        AttachmentToken token = prepare("a", big, "big");
        String grace = "--attachment-grace-period=2s";
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0", grace);
        PeerProcess b = peer("b", "--listen", "127.0.0.1:0", "--connect", a.syncEndpoint(), grace);
        PeerProcess c = peer("c", "--connect", b.syncEndpoint(), grace);
        c.awaitItems(
                "SELECT _id FROM tasks ORDER BY _id", "[{\"_id\":\"big\"},{\"_id\":\"keep\"}]", PeerProcessTest.SYNC);

        HttpResponse<byte[]> first = get(c, token, "bytes=0-65535");
        assertThat(first.statusCode()).as(new String(first.body())).isEqualTo(206);
        assertThat(first.body()).isEqualTo(prefix(big, 65536));
        assertThat(sha256(blobFile("c", token))).isEqualTo(token.id());
        assertThat(get(c, keep, "bytes=0-9").statusCode()).isEqualTo(206);

        // c fetched from b, which fetched on c's behalf from a: each sent the blob once
        assertThat(b.metric("starling_attachment_relays_total")).isEqualTo(2); // big and keep
        assertThat(Files.exists(blobFile("b", token)))
                .as("the relay keeps what it fetched")
                .isTrue();
        assertThat(c.metric("starling_attachment_chunk_bytes_received_total")).isEqualTo(size + keep.len());
        assertThat(b.metric("starling_attachment_chunk_bytes_sent_total")).isEqualTo(size + keep.len());
        assertThat(a.metric("starling_attachment_chunk_bytes_sent_total")).isBetween((long) size, size + keep.len());

        // no document references the big blob any more: after the grace period it goes, everywhere
        a.execute("DELETE FROM tasks WHERE _id = 'big'");
        for (String name : List.of("a", "b", "c")) {
            Await.until(name + " to collect the unreferenced blob", LONG, () -> !Files.exists(blobFile(name, token)));
        }
        // the small blob is older than the big one's last reference: unreferenced, it would have gone first
        for (String name : List.of("a", "b", "c")) {
            assertThat(Files.exists(blobFile(name, keep)))
                    .as(name + " keeps the blob a document references")
                    .isTrue();
        }
        // the collector counts a blob right after deleting its file: the count may lag the file by a moment
        Await.until(
                "c to count the blob it collected", LONG, () -> metric(c, "starling_attachments_collected_total") == 1);
        assertThat(c.metric("starling_attachments_collected_total")).isEqualTo(1);
        assertThat(sha256(blobFile("c", keep))).isEqualTo(keep.id());
    }

    /**
     * A fetch whose source is killed halfway resumes from the last verified chunk when the source is back: nothing
     * arrives twice. Then the fetcher itself is killed halfway: restarted, it asks only for what its partial file
     * lacks (at most one chunk again, the one a torn write may have cost).
     */
    @Test
    void fetchesResumeWhenTheSourceOrTheFetcherIsKilledHalfway() throws Exception {
        int size = 3 << 20;
        Path first = generate("first.bin", 3, size);
        Path second = generate("second.bin", 4, size);
        AttachmentToken x = prepare("a", first, "x");
        AttachmentToken y = prepare("a", second, "y");
        String slow = "--attachment-bandwidth=" + (512 << 10); // 6 s a blob
        String patient = "--attachment-fetch-timeout=60s";
        PeerProcess a = peer("a", "--listen", "127.0.0.1:0", slow);
        PeerProcess c = peer("c", "--listen", "127.0.0.1:0", "--connect", a.syncEndpoint(), patient);

        // the source dies halfway; the fetch waits, and goes on when it is back
        CompletableFuture<HttpResponse<byte[]>> fetch = getAsync(c, x, "bytes=0-1023");
        awaitPartial("c", x, size / 4);
        a.kill();
        // what c held when its source died, in whole chunks (a chunk still in flight may land after: c then holds more)
        long heldAtKill = Files.size(partialFile("c", x)) / CHUNK * CHUNK;
        PeerProcess a2 = peer("a", "--listen", "127.0.0.1:0", "--connect", c.syncEndpoint(), slow);
        HttpResponse<byte[]> got = fetch.get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertThat(got.statusCode()).as(new String(got.body())).isEqualTo(206);
        assertThat(got.body()).isEqualTo(prefix(first, 1024));
        assertThat(sha256(blobFile("c", x))).isEqualTo(x.id());
        long received = c.metric("starling_attachment_chunk_bytes_received_total");
        assertThat(received).as("bytes received for a blob of " + size).isBetween((long) size, (long) size + CHUNK);
        // the wire seen from the sender: the restarted source sent only the rest, at most one chunk again
        assertThat(a2.metric("starling_attachment_chunk_bytes_sent_total"))
                .as("bytes the restarted source sent; c held " + heldAtKill + " of " + size + " when a died")
                .isBetween(1L, size - heldAtKill + CHUNK);

        // the fetcher dies halfway; restarted, it completes from its verified prefix
        CompletableFuture<HttpResponse<byte[]>> doomed = getAsync(c, y, "bytes=0-1023");
        awaitPartial("c", y, size / 4);
        c.kill();
        doomed.handle((r, e) -> null).get(LONG.toSeconds(), TimeUnit.SECONDS);
        long prefix = Files.size(partialFile("c", y)) / CHUNK * CHUNK;
        assertThat(prefix).isGreaterThanOrEqualTo(size / 4).isLessThan(size);
        PeerProcess c2 = peer("c", "--connect", a2.syncEndpoint(), patient);
        // a2 noticed c's death (its sockets closed with it) long before c2 is ready; c2 fetches only when asked below
        long sentBefore = a2.metric("starling_attachment_chunk_bytes_sent_total");
        HttpResponse<byte[]> again = getAsync(c2, y, "bytes=0-1023").get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertThat(again.statusCode()).as(new String(again.body())).isEqualTo(206);
        assertThat(sha256(blobFile("c", y))).isEqualTo(y.id());
        assertThat(Files.exists(partialFile("c", y))).isFalse();
        assertThat(c2.metric("starling_attachment_chunk_bytes_received_total"))
                .as("bytes received after the restart, " + prefix + " of " + size + " were held")
                .isBetween(size - prefix, size - prefix + CHUNK);
        assertThat(a2.metric("starling_attachment_chunk_bytes_sent_total") - sentBefore)
                .as("bytes the source sent after the restart, " + prefix + " of " + size + " were held")
                .isBetween(size - prefix, size - prefix + CHUNK);
    }

    /**
     * A peer whose copy of a blob was damaged on disk after it verified it (one byte flipped in the middle) serves
     * chunks that do not match the hashes it recorded: the fetcher detects the damaged chunk, gives that peer up, and
     * takes the rest from another peer.
     */
    @Test
    void aDamagedChunkIsDetectedAndFetchedFromAnotherPeer() throws Exception {
        int size = 2 << 20;
        int damaged = size / CHUNK / 2;
        Path content = generate("z.bin", 5, size);
        AttachmentToken z = prepare("f", content, "z");
        assertThat(prepare("a", content, "z")).isEqualTo(z);
        try (var ch = java.nio.channels.FileChannel.open(
                blobFile("f", z), java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            long at = (long) damaged * CHUNK + 100;
            ch.read(one, at);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            ch.write(one, at);
        }
        PeerProcess c = peer("c", "--listen", "127.0.0.1:0", "--attachment-fetch-timeout=60s");
        PeerProcess f = peer("f", "--connect", c.syncEndpoint());
        CompletableFuture<HttpResponse<byte[]>> fetch = getAsync(c, z, "bytes=0-1023");
        Await.until(
                "c to reject the damaged chunk",
                LONG,
                () -> metric(c, "starling_attachment_chunks_rejected_total") >= 1);
        assertThat(Files.size(partialFile("c", z))).isEqualTo((long) damaged * CHUNK);
        assertThat(fetch).isNotDone(); // no other peer yet: the fetch waits for one

        PeerProcess a = peer("a", "--connect", c.syncEndpoint());
        HttpResponse<byte[]> got = fetch.get(LONG.toSeconds(), TimeUnit.SECONDS);
        assertThat(got.statusCode()).as(new String(got.body())).isEqualTo(206);
        assertThat(sha256(blobFile("c", z))).isEqualTo(z.id());
        assertThat(a.metric("starling_attachment_chunk_bytes_sent_total"))
                .as("a sent what f's good chunks had not")
                .isEqualTo(size - (long) damaged * CHUNK);
        assertThat(c.metric("starling_attachment_chunks_rejected_total")).isEqualTo(1);
        assertThat(f.metric("starling_attachment_chunk_bytes_sent_total")).isGreaterThan((long) damaged * CHUNK);
    }

    // ---- helpers

    /** A file of {@code size} bytes drawn from a seeded generator (incompressible, like a photo). */
    private Path generate(String name, long seed, int size) throws IOException {
        Path file = dir.resolve(name);
        Random random = new Random(seed);
        byte[] buffer = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int done = 0; done < size; done += buffer.length) {
                random.nextBytes(buffer);
                out.write(buffer, 0, Math.min(buffer.length, size - done));
            }
        }
        return file;
    }

    /** Stores {@code file} as an attachment in the database of peer {@code name} (not running) and a task referencing it. */
    private AttachmentToken prepare(String name, Path file, String taskId) {
        try (Starling db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve(name)).build())) {
            AttachmentToken t = db.store()
                    .newAttachment(file, Map.of("name", file.getFileName().toString()));
            db.store().execute("INSERT INTO tasks DOCUMENTS (:doc)", Map.of("doc", Map.of("_id", taskId, "file", t)));
            return t;
        }
    }

    private Path blobFile(String peer, AttachmentToken t) {
        return dir.resolve(peer).resolve("attachments").resolve(t.id());
    }

    private Path partialFile(String peer, AttachmentToken t) {
        return dir.resolve(peer).resolve("attachments").resolve("partial").resolve(t.id());
    }

    private void awaitPartial(String peer, AttachmentToken t, long bytes) {
        Path p = partialFile(peer, t);
        Await.until(peer + " to hold " + bytes + " bytes of " + t.id(), LONG, () -> {
            try {
                return Files.size(p) >= bytes;
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(Files.exists(blobFile(peer, t))).as("caught before the end").isFalse();
    }

    private static long metric(PeerProcess p, String name) {
        try {
            return p.metric(name);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static HttpRequest request(PeerProcess p, AttachmentToken t, String range) {
        return HttpRequest.newBuilder(URI.create(p.url() + AttachmentEndpoints.PATH + "/" + t.id() + "?len=" + t.len()))
                .header("Range", range)
                .timeout(Duration.ofMinutes(5))
                .build();
    }

    private static HttpResponse<byte[]> get(PeerProcess p, AttachmentToken t, String range) throws Exception {
        return HTTP.send(request(p, t, range), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static CompletableFuture<HttpResponse<byte[]>> getAsync(PeerProcess p, AttachmentToken t, String range) {
        return HTTP.sendAsync(request(p, t, range), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] prefix(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) md.update(buffer, 0, n);
        }
        return HEX.formatHex(md.digest());
    }
}
