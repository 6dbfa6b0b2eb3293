package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentFetcher;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.sync.BlobMessage;
import io.starling.testsupport.Await;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attachments on real stores (SQLite, files) over the in-memory transport: the API, storage, transfer and GC. */
class AttachmentTest {
    @TempDir
    Path tmp;

    final List<DefaultStarling> peers = new ArrayList<>();
    final List<InMemoryTransport.Link> links = new ArrayList<>();
    int opened;

    DefaultStarling peer(StarlingConfig.Attachments settings) {
        DefaultStarling p = (DefaultStarling) Starling.open(StarlingConfig.builder()
                .databaseDirectory(tmp.resolve("peer" + (opened++)))
                .appId("attachments")
                .durability(StarlingConfig.Durability.NORMAL)
                .attachments(settings)
                .build());
        peers.add(p);
        return p;
    }

    DefaultStarling peer() {
        return peer(StarlingConfig.Attachments.defaults());
    }

    InMemoryTransport.Link link(DefaultStarling a, DefaultStarling b) {
        InMemoryTransport.Link l = InMemoryTransport.connect(a, b);
        links.add(l);
        Await.until(
                "the session is established",
                Duration.ofSeconds(30),
                () -> a.sync().peers().stream()
                        .anyMatch(s -> s.peerId() == b.config().siteId().getAsLong()));
        return l;
    }

    @AfterEach
    void closeAll() {
        links.forEach(InMemoryTransport.Link::close);
        peers.forEach(DefaultStarling::close);
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("starling-attachments") && t.isAlive());
    }

    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A listener that records what it hears. */
    static final class Recorder implements AttachmentFetchListener {
        final CompletableFuture<Attachment> result = new CompletableFuture<>();
        final List<long[]> progress = new CopyOnWriteArrayList<>();
        volatile ErrorCode code;

        @Override
        public void progress(long done, long total) {
            progress.add(new long[] {done, total});
        }

        @Override
        public void completed(Attachment attachment) {
            result.complete(attachment);
        }

        @Override
        public void failed(ErrorCode code, String reason) {
            this.code = code;
            result.completeExceptionally(new StarlingException(code, reason));
        }

        Attachment await() throws Exception {
            return result.get(60, TimeUnit.SECONDS);
        }

        String failure() {
            try {
                result.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause().getMessage();
            } catch (Exception e) {
                throw new AssertionError("no answer in 60 s", e);
            }
            throw new AssertionError("the fetch completed");
        }
    }

    // ---- API and storage

    @Test
    void aTokenIsTheSha256OfTheContentAndIdenticalContentIsStoredOnce() throws Exception {
        DefaultStarling a = peer();
        byte[] data = random(1, 100_000);
        Path file = tmp.resolve("photo.jpg");
        Files.write(file, data);

        AttachmentToken fromBytes = a.store().newAttachment(data, Map.of("name", "photo.jpg"));
        AttachmentToken fromFile = a.store().newAttachment(file, Map.of("name", "photo.jpg"));
        AttachmentToken fromStream = a.store().newAttachment(new ByteArrayInputStream(data), Map.of());

        assertThat(fromBytes.id())
                .isEqualTo(sha256(data))
                .isEqualTo(fromFile.id())
                .isEqualTo(fromStream.id());
        assertThat(fromBytes.len()).isEqualTo(100_000);
        assertThat(fromBytes.metadata()).containsEntry("name", "photo.jpg");
        assertThat(fromStream.metadata()).isEmpty();
        Path dir = tmp.resolve("peer0").resolve("attachments");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(AttachmentToken::isId))
                    .containsExactly(fromBytes.id());
        }
        try (var files = Files.list(dir.resolve("tmp"))) {
            assertThat(files).isEmpty(); // nothing left half-written
        }
    }

    @Test
    void anEmptyAttachmentIsValid() throws Exception {
        DefaultStarling a = peer();
        AttachmentToken t = a.store().newAttachment(new byte[0], Map.of());
        assertThat(t.id()).isEqualTo(sha256(new byte[0]));
        Recorder r = new Recorder();
        a.store().fetchAttachment(t, r);
        assertThat(r.await().data()).isEmpty();
    }

    @Test
    void aTokenGoesIntoADocumentAsAnArgumentAndComesBackOutOfResults() {
        DefaultStarling a = peer();
        AttachmentToken t = a.store().newAttachment("hello".getBytes(), Map.of("type", "text/plain"));
        a.store().execute("INSERT INTO notes DOCUMENTS (:doc)", Map.of("doc", Map.of("_id", "n1", "file", t)));
        a.store()
                .execute(
                        "INSERT INTO notes DOCUMENTS (:doc)",
                        Map.of("doc", Map.of("_id", "n2", "files", List.of(AttachmentTokens.jsonShape(t)))));

        Map<String, Object> n1 = a.store()
                .execute("SELECT * FROM notes WHERE _id = 'n1'")
                .items()
                .get(0)
                .value();
        assertThat(n1.get("file")).isEqualTo(t);
        Map<String, Object> n2 = a.store()
                .execute("SELECT * FROM notes WHERE _id = 'n2'")
                .items()
                .get(0)
                .value();
        assertThat(n2.get("files")).isEqualTo(List.of(t));
        assertThat(a.store()
                        .execute("SELECT * FROM notes WHERE _id = 'n1'")
                        .items()
                        .get(0)
                        .json())
                .contains("\"file\":{\"_attachment\":{\"id\":\"" + t.id()
                        + "\",\"len\":5,\"metadata\":{\"type\":\"text/plain\"}}}");
    }

    @Test
    void aMalformedTokenInAnArgumentIsRefusedNamingTheArgument() {
        DefaultStarling a = peer();
        assertThatThrownBy(() -> a.store()
                        .execute(
                                "INSERT INTO notes DOCUMENTS (:doc)",
                                Map.of(
                                        "doc",
                                        Map.of("_id", 1, "f", Map.of("_attachment", Map.of("id", "xyz", "len", 1))))))
                .isInstanceOf(StarlingException.class)
                .hasMessageContaining("argument :doc")
                .hasMessageContaining("64 lowercase hex digits");
        assertThatThrownBy(() -> new AttachmentToken("ab", 1, Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AttachmentToken(
                        "0".repeat(64), 1, Map.of("k", "v".repeat(AttachmentToken.MAX_METADATA_BYTES))))
                .hasMessageContaining("metadata takes at most");
    }

    @Test
    void aHeldAttachmentReadsAsBytesStreamOrCopy() throws Exception {
        DefaultStarling a = peer();
        byte[] data = random(2, 70_000);
        AttachmentToken t = a.store().newAttachment(data, Map.of());
        Recorder r = new Recorder();
        AttachmentFetcher f = a.store().fetchAttachment(t, r);
        Attachment got = r.await();
        assertThat(f.isDone()).isTrue();
        assertThat(got.data()).isEqualTo(data);
        try (InputStream in = got.inputStream()) {
            assertThat(in.readAllBytes()).isEqualTo(data);
        }
        Path target = tmp.resolve("out/copy.bin");
        got.copyTo(target);
        assertThat(Files.readAllBytes(target)).isEqualTo(data);
        assertThat(a.store().attachmentFetchers()).isEmpty();
    }

    @Test
    void aMissingFileIsAClearError() {
        DefaultStarling a = peer();
        assertThatThrownBy(() -> a.store().newAttachment(tmp.resolve("nope.bin"), Map.of()))
                .isInstanceOf(StarlingException.class)
                .hasMessageContaining("nope.bin")
                .hasMessageContaining("no such file")
                .satisfies(e -> assertThat(((StarlingException) e).errorCode()).isEqualTo(ErrorCode.STORE_IO));
    }

    // ---- transfer

    @Test
    void aPeerFetchesABlobFromAnotherWithProgressAndVerification() throws Exception {
        DefaultStarling a = peer();
        DefaultStarling b = peer();
        link(a, b);
        byte[] data = random(3, 1_000_000);
        AttachmentToken t = a.store().newAttachment(data, Map.of());
        Recorder r = new Recorder();
        b.store().fetchAttachment(t, r);
        assertThat(r.await().data()).isEqualTo(data);
        assertThat(r.progress).isNotEmpty();
        assertThat(r.progress.get(r.progress.size() - 1)).containsExactly(1_000_000, 1_000_000);
        assertThat(r.progress).allSatisfy(p -> assertThat(p[1]).isEqualTo(1_000_000));
    }

    @Test
    void fetchesGoOnOverTheOlderSessionWhenADuplicateSessionWithThePeerCloses() throws Exception {
        DefaultStarling a = peer();
        DefaultStarling b = peer();
        InMemoryTransport.Link first = link(a, b);
        Await.until(
                "the first session established on both sides",
                Duration.ofSeconds(30),
                () -> a.sync().peers().size() == 1 && b.sync().peers().size() == 1);
        // a second session with the same peer, established and then closed by the duplicate rule: both sides had it
        // established for a while, and the attachment layer must not forget the first session when it ends
        InMemoryTransport.Link second = link(a, b);
        Await.until("the newer session closes as a duplicate", Duration.ofSeconds(30), second::isClosed);
        assertThat(second.endReasons()).contains(io.starling.internal.sync.SyncSession.DUPLICATE);
        assertThat(first.isClosed()).isFalse();

        byte[] fromA = random(21, 300_000);
        byte[] fromB = random(22, 200_000);
        AttachmentToken ta = a.store().newAttachment(fromA, Map.of());
        AttachmentToken tb = b.store().newAttachment(fromB, Map.of());
        Recorder atB = new Recorder();
        Recorder atA = new Recorder();
        b.store().fetchAttachment(ta, atB);
        a.store().fetchAttachment(tb, atA);
        assertThat(atB.await().data()).isEqualTo(fromA);
        assertThat(atA.await().data()).isEqualTo(fromB);
    }

    @Test
    void aBlobCrossesAPeerThatNeverAskedForIt() throws Exception {
        DefaultStarling a = peer();
        DefaultStarling b = peer();
        DefaultStarling c = peer();
        link(a, b);
        link(b, c);
        byte[] data = random(4, 3_000_000);
        AttachmentToken t = a.store().newAttachment(data, Map.of());
        Recorder r = new Recorder();
        c.store().fetchAttachment(t, r);
        assertThat(r.await().data()).isEqualTo(data);
        assertThat(b.attachmentRelays()).isEqualTo(1);
    }

    @Test
    void aFetchWithNoPeerHoldingTheBlobFailsAfterTheTimeoutSayingWhy() {
        DefaultStarling a = peer(new StarlingConfig.Attachments(4, Duration.ofMillis(500), 0, Duration.ofHours(1)));
        DefaultStarling b = peer(new StarlingConfig.Attachments(4, Duration.ofMillis(500), 0, Duration.ofHours(1)));
        link(a, b);
        Recorder r = new Recorder();
        a.store().fetchAttachment(new AttachmentToken("ab".repeat(32), 10, Map.of()), r);
        assertThat(r.failure()).contains("not held here");
        assertThat(r.code).isEqualTo(ErrorCode.ATTACHMENT_UNAVAILABLE);

        Recorder alone = new Recorder();
        peer(new StarlingConfig.Attachments(4, Duration.ofMillis(300), 0, Duration.ofHours(1)))
                .store()
                .fetchAttachment(new AttachmentToken("cd".repeat(32), 10, Map.of()), alone);
        assertThat(alone.failure()).contains("no connected peer holds it");
    }

    @Test
    void aCancelledFetchEndsWithCancelledAndLeavesTheList() {
        DefaultStarling a = peer();
        Recorder r = new Recorder();
        AttachmentFetcher f = a.store().fetchAttachment(new AttachmentToken("ef".repeat(32), 10, Map.of()), r);
        Await.until(
                "the fetch is listed",
                Duration.ofSeconds(10),
                () -> !a.store().attachmentFetchers().isEmpty());
        f.cancel();
        assertThat(r.failure()).contains("cancelled");
        assertThat(r.code).isEqualTo(ErrorCode.ATTACHMENT_CANCELLED);
        assertThat(a.store().attachmentFetchers()).isEmpty();
        f.close(); // idempotent
    }

    @Test
    void aDamagedChunkIsDetectedAndFetchedFromAnotherPeer() throws Exception {
        DefaultStarling good = peer();
        DefaultStarling bad = peer();
        DefaultStarling c = peer();
        byte[] data = random(5, 500_000);
        AttachmentToken t = good.store().newAttachment(data, Map.of());
        assertThat(bad.store().newAttachment(data, Map.of())).isEqualTo(t);
        // the faulty peer's disk flips a byte in chunk 3; its recorded chunk hashes are intact
        Path damaged = tmp.resolve("peer1/attachments").resolve(t.id());
        byte[] onDisk = Files.readAllBytes(damaged);
        onDisk[3 * BlobMessage.CHUNK_BYTES + 17] ^= 0x40;
        Files.write(damaged, onDisk);
        link(bad, c); // the faulty peer is asked first and has the whole blob
        link(good, c);
        Recorder r = new Recorder();
        c.store().fetchAttachment(t, r);
        assertThat(r.await().data()).isEqualTo(data);
    }

    @Test
    void aFetchCutHalfwayResumesFromItsVerifiedPrefix() throws Exception {
        DefaultStarling a =
                peer(new StarlingConfig.Attachments(4, Duration.ofSeconds(30), 2_000_000, Duration.ofHours(1)));
        DefaultStarling b = peer();
        InMemoryTransport.Link l = link(a, b);
        int n = 4_000_000;
        byte[] data = random(6, n);
        AttachmentToken t = a.store().newAttachment(data, Map.of());
        Recorder first = new Recorder();
        AttachmentFetcher f = b.store().fetchAttachment(t, first);
        Await.until("a third arrived", Duration.ofSeconds(60), () -> f.bytesDone() > n / 3);
        l.close();
        long held = Await.value("the fetch settles", Duration.ofSeconds(10), f::bytesDone, v -> true);
        f.cancel();
        Recorder second = new Recorder();
        link(a, b);
        b.store().fetchAttachment(t, second);
        assertThat(second.await().data()).isEqualTo(data);
        // the second session served only what was not held yet
        assertThat(second.progress.get(0)[0]).isGreaterThanOrEqualTo(held);
        assertThat(a.attachmentBytesServed()).isLessThanOrEqualTo(n - held + BlobMessage.CHUNK_BYTES);
    }

    // ---- garbage collection

    @Test
    void anUnreferencedBlobIsCollectedAfterTheGracePeriodAndAReferencedOneNever() throws Exception {
        DefaultStarling a = peer(new StarlingConfig.Attachments(4, Duration.ofSeconds(30), 0, Duration.ZERO));
        AttachmentToken kept = a.store().newAttachment(random(7, 1000), Map.of());
        AttachmentToken dropped = a.store().newAttachment(random(8, 1000), Map.of());
        AttachmentToken deleted = a.store().newAttachment(random(9, 1000), Map.of());
        a.store().execute("INSERT INTO d DOCUMENTS (:doc)", Map.of("doc", Map.of("_id", 1, "f", kept)));
        a.store().execute("INSERT INTO d DOCUMENTS (:doc)", Map.of("doc", Map.of("_id", 2, "f", dropped)));
        a.store().execute("INSERT INTO d DOCUMENTS (:doc)", Map.of("doc", Map.of("_id", 3, "f", deleted)));
        assertThat(a.collectAttachments()).isEmpty();
        a.store().execute("UPDATE d SET f = 'none' WHERE _id = 2");
        a.store().execute("DELETE FROM d WHERE _id = 3");
        assertThat(a.collectAttachments()).containsExactlyInAnyOrder(dropped.id(), deleted.id());
        assertThat(a.collectAttachments()).isEmpty();
        Recorder r = new Recorder();
        a.store().fetchAttachment(kept, r);
        assertThat(r.await().data()).hasSize(1000);
    }

    @Test
    void aNewBlobIsKeptForTheGracePeriodBeforeAnyDocumentReferencesIt() {
        DefaultStarling a = peer(new StarlingConfig.Attachments(4, Duration.ofSeconds(30), 0, Duration.ofHours(1)));
        a.store().newAttachment(random(10, 1000), Map.of());
        assertThat(a.collectAttachments()).isEmpty();
    }

    static byte[] readAll(Path p) throws IOException {
        return Files.readAllBytes(p);
    }
}
