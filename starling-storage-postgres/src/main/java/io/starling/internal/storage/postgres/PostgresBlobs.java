package io.starling.internal.storage.postgres;

import io.starling.internal.storage.SharedBlobs;
import io.starling.internal.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/*
 * Design note — blobs in PostgreSQL.
 *
 * starling_blobs holds one row per blob (id, length); starling_blob_chunks its content in rows of CHUNK bytes
 * (id, idx, data). A blob is written in one transaction — its row first, then the chunks in batches — so another node
 * sees it whole or not at all, and two nodes storing the same blob at once meet on the blob row's primary key: the
 * second waits for the first and then finds it held. It is read one chunk row per query, so neither side holds more
 * than a few chunks in memory. Plain tables and bytea: PostgreSQL, CockroachDB and YugabyteDB take it (large objects
 * would tie it to PostgreSQL).
 */

/** {@link SharedBlobs} in the tables of a {@link PostgresStorage}. Thread-safe (a pooled connection per call). */
final class PostgresBlobs implements SharedBlobs {
    /** Bytes in one chunk row. */
    static final int CHUNK = 256 * 1024;

    private static final int BATCH = 8;

    private final DataSource pool;
    private final String where;

    PostgresBlobs(DataSource pool, String where) {
        this.pool = pool;
        this.where = where;
    }

    @Override
    public boolean has(String id) {
        try (Connection c = pool.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT 1 FROM starling_blobs WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                boolean found = r.next();
                c.rollback();
                return found;
            }
        } catch (SQLException e) {
            throw PostgresStorage.translate(e, "looking for attachment " + id + " in " + where);
        }
    }

    @Override
    public void put(String id, long length, InputStream in) {
        try (Connection c = pool.getConnection()) {
            try {
                try (PreparedStatement s = c.prepareStatement(
                        "INSERT INTO starling_blobs (id, len) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")) {
                    s.setString(1, id);
                    s.setLong(2, length);
                    if (s.executeUpdate() == 0) { // held already (another node stored it first)
                        c.rollback();
                        return;
                    }
                }
                try (PreparedStatement s =
                        c.prepareStatement("INSERT INTO starling_blob_chunks (id, idx, data) VALUES (?, ?, ?)")) {
                    long done = 0;
                    long idx = 0;
                    int batched = 0;
                    while (done < length) {
                        int n = (int) Math.min(CHUNK, length - done);
                        byte[] chunk = in.readNBytes(n);
                        if (chunk.length < n) {
                            throw new IOException(
                                    "the blob ended after " + (done + chunk.length) + " of " + length + " bytes");
                        }
                        s.setString(1, id);
                        s.setLong(2, idx++);
                        s.setBytes(3, chunk);
                        s.addBatch();
                        done += n;
                        if (++batched == BATCH) {
                            s.executeBatch();
                            batched = 0;
                        }
                    }
                    if (batched > 0) s.executeBatch();
                }
                c.commit();
            } catch (SQLException | IOException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw PostgresStorage.translate(e, "storing attachment " + id + " in " + where);
        } catch (IOException e) {
            throw new StorageException(
                    StorageException.Code.IO,
                    "cannot store attachment " + id + " in " + where + ": " + e.getMessage(),
                    e);
        }
    }

    @Override
    public @Nullable InputStream open(String id) {
        long length;
        try (Connection c = pool.getConnection();
                PreparedStatement s = c.prepareStatement("SELECT len FROM starling_blobs WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    c.rollback();
                    return null;
                }
                length = r.getLong(1);
                c.rollback();
            }
        } catch (SQLException e) {
            throw PostgresStorage.translate(e, "opening attachment " + id + " in " + where);
        }
        return new ChunkStream(id, length);
    }

    @Override
    public void delete(String id) {
        try (Connection c = pool.getConnection()) {
            try (PreparedStatement blob = c.prepareStatement("DELETE FROM starling_blobs WHERE id = ?");
                    PreparedStatement chunks = c.prepareStatement("DELETE FROM starling_blob_chunks WHERE id = ?")) {
                blob.setString(1, id);
                blob.executeUpdate();
                chunks.setString(1, id);
                chunks.executeUpdate();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw PostgresStorage.translate(e, "deleting attachment " + id + " in " + where);
        }
    }

    /** A blob's chunk rows, read one query at a time as the reader needs them. */
    private final class ChunkStream extends InputStream {
        private final String id;
        private final long length;
        private long next;
        private byte[] chunk = new byte[0];
        private int position;

        ChunkStream(String id, long length) {
            this.id = id;
            this.length = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) return 0;
            if (position == chunk.length) {
                if (next * CHUNK >= length) return -1;
                chunk = fetch(next++);
                position = 0;
            }
            int n = Math.min(len, chunk.length - position);
            System.arraycopy(chunk, position, b, off, n);
            position += n;
            return n;
        }

        private byte[] fetch(long idx) throws IOException {
            try (Connection c = pool.getConnection();
                    PreparedStatement s =
                            c.prepareStatement("SELECT data FROM starling_blob_chunks WHERE id = ? AND idx = ?")) {
                s.setString(1, id);
                s.setLong(2, idx);
                try (ResultSet r = s.executeQuery()) {
                    byte[] data = r.next() ? r.getBytes(1) : null;
                    c.rollback();
                    if (data == null || data.length == 0) {
                        throw new IOException("chunk " + idx + " of attachment " + id + " is missing in " + where
                                + " (deleted meanwhile?)");
                    }
                    return data;
                }
            } catch (SQLException e) {
                throw new IOException("cannot read attachment " + id + " in " + where + ": " + e.getMessage(), e);
            }
        }
    }
}
