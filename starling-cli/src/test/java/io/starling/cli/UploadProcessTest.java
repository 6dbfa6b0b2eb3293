package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large {@code POST /api/v1/attachments} into a real {@code starling peer} whose heap is far smaller than the
 * upload: the body streams to the blob store, so it is stored whole and verified where holding it in memory would fail
 * with an OutOfMemoryError. The client streams it too, generated from a seed, never whole in this JVM either.
 */
class UploadProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    /** 96 MB into a 48 MB heap. */
    @Test
    void anUploadLargerThanThePeersHeapIsStoredWhole() throws Exception {
        uploadInto("48m", 96_000_000L);
    }

    /** 200 MB into a 48 MB heap. */
    @Test
    @Tag("slow")
    void aLargeUploadIsStoredWhole() throws Exception {
        uploadInto("48m", 200_000_000L);
    }

    private void uploadInto(String heap, long size) throws Exception {
        try (PeerProcess p = PeerProcess.startWithHeap(dir, "p", heap)) {
            Generated body = new Generated(42, size);
            HttpResponse<String> r = HTTP.send(
                    HttpRequest.newBuilder(URI.create(p.url() + "/api/v1/attachments?name=big.bin"))
                            .header("Content-Type", "application/octet-stream")
                            .timeout(Duration.ofMinutes(5))
                            .POST(HttpRequest.BodyPublishers.fromPublisher(
                                    HttpRequest.BodyPublishers.ofInputStream(() -> body), size))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body() + "\n" + p.stderr()).isEqualTo(201);
            JsonNode token = JSON.readTree(r.body()).path("_attachment");
            String id = body.sha256();
            assertThat(token.path("id").asText()).isEqualTo(id);
            assertThat(token.path("len").asLong()).isEqualTo(size);

            Path blob = dir.resolve("p").resolve("attachments").resolve(id);
            assertThat(Files.size(blob)).isEqualTo(size);
            try (InputStream in = Files.newInputStream(blob)) {
                assertThat(HttpApiUploadTest.sha256(in)).isEqualTo(id);
            }
            assertThat(p.stderr()).doesNotContain("OutOfMemoryError");
            // the peer goes on serving: the blob's last bytes by a Range request
            HttpResponse<byte[]> tail = HTTP.send(
                    HttpRequest.newBuilder(URI.create(p.url() + "/api/v1/attachments/" + id))
                            .header("Range", "bytes=-16")
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(tail.statusCode()).isEqualTo(206);
            assertThat(tail.body()).hasSize(16);
        }
    }

    /** {@code size} bytes from a seeded generator, hashed as they are read. */
    private static final class Generated extends InputStream {
        private final Random random;
        private final MessageDigest md;
        private final byte[] block = new byte[64 * 1024];
        private long left;
        private int position = block.length;

        Generated(long seed, long size) throws Exception {
            this.random = new Random(seed);
            this.md = MessageDigest.getInstance("SHA-256");
            this.left = size;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (left == 0) return -1;
            if (position == block.length) {
                random.nextBytes(block);
                position = 0;
            }
            int n = (int) Math.min(Math.min(len, block.length - position), left);
            System.arraycopy(block, position, b, off, n);
            md.update(block, position, n);
            position += n;
            left -= n;
            return n;
        }

        String sha256() {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
