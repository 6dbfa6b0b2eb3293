package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.storage.SharedBlobs;
import io.starling.internal.storage.StorageException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The blobs the nodes of one PostgreSQL database share ({@link PostgresBlobs}), seen from two storages at once. */
class PostgresBlobsTest {
    private static final String ID = "ab".repeat(32);

    private static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] read(SharedBlobs blobs, String id) throws Exception {
        try (InputStream in = blobs.open(id)) {
            assertThat(in).as("blob " + id).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void aBlobStoredThroughOneStorageReadsBackThroughAnotherInChunks() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresStorage one = PostgresStorage.open(url, PostgresStorage.Options.defaults());
                PostgresStorage two = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            // several chunks and a short last one, one exact chunk, and nothing
            for (int size : List.of(3 * PostgresBlobs.CHUNK + 17, PostgresBlobs.CHUNK, 0)) {
                String id = Integer.toHexString(size).repeat(64).substring(0, 64);
                byte[] data = random(size, size);
                assertThat(two.sharedBlobs().has(id)).isFalse();
                assertThat(two.sharedBlobs().open(id)).isNull();
                one.sharedBlobs().put(id, size, new ByteArrayInputStream(data));
                assertThat(two.sharedBlobs().has(id)).isTrue();
                assertThat(read(two.sharedBlobs(), id)).isEqualTo(data);
                two.sharedBlobs().delete(id);
                assertThat(one.sharedBlobs().has(id)).isFalse();
                assertThat(one.sharedBlobs().open(id)).isNull();
            }
        }
    }

    @Test
    void aStreamThatEndsEarlyLeavesNothingAndTheSameBlobStoredTwiceIsKeptOnce() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        try (PostgresStorage one = PostgresStorage.open(url, PostgresStorage.Options.defaults());
                PostgresStorage two = PostgresStorage.open(url, PostgresStorage.Options.defaults())) {
            byte[] data = random(1, 2 * PostgresBlobs.CHUNK);
            assertThatThrownBy(() -> one.sharedBlobs().put(ID, data.length + 1L, new ByteArrayInputStream(data)))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("ended after " + data.length);
            assertThat(two.sharedBlobs().has(ID)).isFalse();

            // two nodes store it at once: both succeed, one copy
            List<CompletableFuture<Void>> puts = new ArrayList<>();
            for (PostgresStorage s : List.of(one, two)) {
                puts.add(CompletableFuture.runAsync(
                        () -> s.sharedBlobs().put(ID, data.length, new ByteArrayInputStream(data))));
            }
            for (CompletableFuture<Void> p : puts) p.get();
            assertThat(read(one.sharedBlobs(), ID)).isEqualTo(data);
        }
    }
}
