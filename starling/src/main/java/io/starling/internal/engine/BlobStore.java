package io.starling.internal.engine;

import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.storage.SharedBlobs;
import io.starling.internal.storage.StorageException;
import io.starling.internal.sync.BlobMessage;
import io.starling.internal.sync.blob.BlobSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/*
 * Design note — blob files.
 *
 * Blobs live in the directory `attachments` beside the database, never in SQLite: a blob is written once and read in
 * chunks, which a file does better than rows, and a large one would bloat the WAL. Layout:
 *
 *   attachments/<id>            a complete blob whose SHA-256 is <id> (64 hex digits)
 *   attachments/<id>.sums       the SHA-256 of each 32 KiB chunk of it, 32 bytes each, in order
 *   attachments/partial/<id>    the verified prefix of a blob being fetched (whole chunks)
 *   attachments/partial/<id>.sums  the hashes of those chunks
 *   attachments/tmp/            files being written
 *
 * A complete blob is written to tmp/, forced to disk, and renamed: its sums first, then the content, so a file named by
 * an id is always whole and verified (a crash leaves at most a stray file in tmp/, deleted at the next open, or a
 * .sums without its blob, deleted by the collector). Identical content is stored once: a rename onto an existing id
 * is skipped. Nothing is ever held whole in memory: content is streamed through 64 KiB buffers.
 *
 * On a node of a shared storage (PostgreSQL), the storage's SharedBlobs are a second tier that every node sees: a
 * blob installed here (stored, or fetched from a peer) is copied there too, and a blob this node lacks is looked for
 * there before anything else and copied into the files (verified like any other content: streamed through put). The
 * files stay the working copy: chunks are always served from them.
 *
 * A partial blob grows by appending verified chunks in order; a resumed fetch re-reads it and keeps the prefix whose
 * chunks still match their sums (a torn write at a power loss loses only the chunks after it). When the last chunk
 * is held the whole content is hashed once more; only a match is renamed to its id.
 */

/** The attachment files of one store. Thread-safe (files are written under per-id locks by the caller's thread). */
final class BlobStore {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BlobStore.class);
    static final int CHUNK = BlobMessage.CHUNK_BYTES;
    private static final HexFormat HEX = HexFormat.of();

    private final Path dir;
    private final Path partialDir;
    private final Path tmpDir;
    private final AtomicLong tmpCounter = new AtomicLong();
    private final ConcurrentHashMap<String, Partial> partials = new ConcurrentHashMap<>();
    private final @Nullable SharedBlobs shared;

    BlobStore(Path databaseDirectory) {
        this(databaseDirectory, null);
    }

    /** @param shared the blobs every node of a shared storage sees, or null for a storage of one instance */
    BlobStore(Path databaseDirectory, @Nullable SharedBlobs shared) {
        this.shared = shared;
        this.dir = databaseDirectory.resolve("attachments");
        this.partialDir = dir.resolve("partial");
        this.tmpDir = dir.resolve("tmp");
    }

    Path directory() {
        return dir;
    }

    /** Deletes what an earlier process left in tmp/. */
    void cleanTemporaryFiles() {
        if (!Files.isDirectory(tmpDir)) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmpDir)) {
            for (Path p : ds) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw io("cannot clean " + tmpDir, e);
        }
    }

    // ---- complete blobs

    /**
     * Streams {@code in} into a new blob (or finds the same content held already) and returns its token. Content of
     * more than {@code maxBytes} is refused ({@link ErrorCode#ATTACHMENT_TOO_LARGE}) as soon as its next byte is
     * read; a refused or failed stream leaves nothing behind (its temporary files are deleted).
     */
    AttachmentToken put(InputStream in, java.util.Map<String, String> metadata, long maxBytes) {
        return put(in, metadata, maxBytes, true);
    }

    private AttachmentToken put(InputStream in, java.util.Map<String, String> metadata, long maxBytes, boolean share) {
        AttachmentToken probe = new AttachmentToken("0".repeat(64), 0, metadata); // checks the metadata first
        Path data = tmp();
        Path sums = tmp();
        MessageDigest whole = sha256();
        long length = 0;
        try (FileChannel out = FileChannel.open(data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                FileChannel sumsOut = FileChannel.open(sums, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[CHUNK];
            while (true) {
                int n = in.readNBytes(buf, 0, CHUNK);
                if (n == 0) break;
                whole.update(buf, 0, n);
                MessageDigest chunk = sha256();
                chunk.update(buf, 0, n);
                writeFully(out, ByteBuffer.wrap(buf, 0, n));
                writeFully(sumsOut, ByteBuffer.wrap(chunk.digest()));
                length += n;
                if (length > maxBytes) {
                    deleteQuietly(data);
                    deleteQuietly(sums);
                    throw new StarlingException(
                            ErrorCode.ATTACHMENT_TOO_LARGE,
                            "the attachment is larger than the limit of " + maxBytes
                                    + " bytes (StarlingConfig.Attachments.maxBytes, --attachment-max-bytes)");
                }
                if (n < CHUNK) break;
            }
            out.force(true);
            sumsOut.force(true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(data);
            deleteQuietly(sums);
            if (e instanceof RuntimeException r) throw r;
            throw io("cannot store the attachment in " + dir + ": " + e.getMessage(), e);
        }
        String id = HEX.formatHex(whole.digest());
        try {
            install(id, data, sums, share);
        } finally {
            deleteQuietly(data);
            deleteQuietly(sums);
        }
        return new AttachmentToken(id, length, probe.metadata());
    }

    private void install(String id, Path data, Path sums, boolean share) {
        Path target = dir.resolve(id);
        if (!Files.exists(target)) { // else the same content, stored once
            move(sums, dir.resolve(id + ".sums"));
            move(data, target);
            syncDirectory(dir);
        }
        if (share && shared != null) share(id, target);
    }

    /** Copies a blob installed here to the shared storage, for the other nodes. */
    private void share(String id, Path file) {
        SharedBlobs s = java.util.Objects.requireNonNull(shared);
        try (InputStream in = Files.newInputStream(file)) {
            if (s.has(id)) return;
            s.put(id, Files.size(file), in);
        } catch (IOException | StorageException e) {
            throw new StarlingException(
                    ErrorCode.STORE_IO,
                    "attachment " + id + " is stored on this node but not in the shared storage: " + e.getMessage(),
                    e);
        }
    }

    /**
     * Whether blob {@code id} is held here, after copying it from the shared storage if this node lacked it and the
     * shared storage holds it (streamed and verified; content that does not hash to {@code id} is refused). Blocks
     * while it copies.
     */
    boolean hasOrAdopt(String id) {
        if (has(id)) return true;
        SharedBlobs s = shared;
        if (s == null) return false;
        try (InputStream in = s.open(id)) {
            if (in == null) return false;
            AttachmentToken t = put(in, java.util.Map.of(), Long.MAX_VALUE, false);
            if (!t.id().equals(id)) {
                log.warn("the shared storage's copy of attachment {} hashes to {}: not used", id, t.id());
                return false;
            }
            return true;
        } catch (IOException | StorageException | StarlingException e) {
            log.warn("cannot copy attachment {} from the shared storage: {}", id, e.getMessage());
            return false;
        }
    }

    boolean has(String id) {
        return Files.isRegularFile(dir.resolve(id));
    }

    /** The file of a complete blob, or null. */
    @Nullable
    Path file(String id) {
        Path p = dir.resolve(id);
        return Files.isRegularFile(p) ? p : null;
    }

    /** Ids of the complete blobs. */
    List<String> ids() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (AttachmentToken.isId(name)) out.add(name);
            }
        } catch (IOException e) {
            throw io("cannot list " + dir, e);
        }
        return out;
    }

    /** When a complete blob was stored (its file's modification time), in epoch milliseconds; 0 if gone. */
    long storedAt(String id) {
        try {
            return Files.getLastModifiedTime(dir.resolve(id)).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Deletes a complete blob (the content first, so the id never names a blob without its sums), and its copy in the
     * shared storage: the collector's rules are the same on every node, since the documents are shared.
     */
    void delete(String id) {
        forgetReaders(id);
        try {
            Files.deleteIfExists(dir.resolve(id));
            Files.deleteIfExists(dir.resolve(id + ".sums"));
        } catch (IOException e) {
            throw io("cannot delete attachment " + id + " in " + dir, e);
        }
        if (shared != null) {
            try {
                shared.delete(id);
            } catch (StorageException e) {
                log.warn("cannot delete attachment {} from the shared storage: {}", id, e.getMessage());
            }
        }
    }

    // ---- serving chunks

    /** Leading chunks held verified: all of a complete blob, the prefix of a partial one, or -1. */
    long chunksHeld(String id, long length) {
        Path p = dir.resolve(id);
        if (Files.isRegularFile(p)) {
            try {
                return Files.size(p) == length ? BlobMessage.chunks(length) : -1;
            } catch (IOException e) {
                return -1;
            }
        }
        Partial part = partials.get(id);
        return part == null ? -1 : part.chunks();
    }

    /** Chunk {@code index} and its recorded hash, from the complete blob or the partial one; null when gone. */
    BlobSource.@Nullable HeldChunk read(String id, long length, long index) {
        Path data = dir.resolve(id);
        Path sums = dir.resolve(id + ".sums");
        int len = BlobMessage.chunkLength(length, index);
        if (!Files.isRegularFile(data)) {
            Partial part = partials.get(id);
            if (part == null) return null;
            try (FileChannel d = FileChannel.open(part.data, StandardOpenOption.READ);
                    FileChannel s = FileChannel.open(part.sums, StandardOpenOption.READ)) {
                return readChunk(d, s, len, index);
            } catch (IOException e) {
                return null; // gone, a short file or a read error: whoever asked tries elsewhere
            }
        }
        try {
            // a complete blob never changes: its files stay open for the next chunks (a few blobs at a time)
            return readChunk(reader(data), reader(sums), len, index);
        } catch (IOException e) {
            forgetReaders(id);
            return null;
        }
    }

    private static BlobSource.HeldChunk readChunk(FileChannel d, FileChannel s, int len, long index)
            throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(len);
        readFully(d, bytes, index * CHUNK);
        ByteBuffer hash = ByteBuffer.allocate(32);
        readFully(s, hash, index * 32);
        return new BlobSource.HeldChunk(hash.array(), bytes.array());
    }

    /** Open readers of complete blobs' files, least recently used first. */
    private final java.util.LinkedHashMap<Path, FileChannel> readers = new java.util.LinkedHashMap<>(16, 0.75f, true);

    private static final int READERS = 16;

    private synchronized FileChannel reader(Path file) throws IOException {
        FileChannel c = readers.get(file);
        if (c != null && c.isOpen()) return c;
        c = FileChannel.open(file, StandardOpenOption.READ);
        readers.put(file, c);
        if (readers.size() > READERS) {
            java.util.Iterator<java.util.Map.Entry<Path, FileChannel>> eldest =
                    readers.entrySet().iterator();
            closeQuietly(eldest.next().getValue());
            eldest.remove();
        }
        return c;
    }

    /** Closes every open reader (the instance is closing). */
    synchronized void closeReaders() {
        for (FileChannel c : readers.values()) closeQuietly(c);
        readers.clear();
    }

    /** Closes the readers of blob {@code id} (deleted, or unreadable). */
    private synchronized void forgetReaders(String id) {
        closeQuietly(readers.remove(dir.resolve(id)));
        closeQuietly(readers.remove(dir.resolve(id + ".sums")));
    }

    private static void closeQuietly(@Nullable FileChannel c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    // ---- partial blobs (fetches)

    /** Opens (or resumes) the partial blob of a fetch: its verified prefix is what {@link Partial#chunks()} says. */
    Partial openPartial(String id, long length) {
        return partials.compute(id, (k, existing) -> existing != null ? existing.retain() : new Partial(id, length));
    }

    /** The partial blob of {@code id} if a fetch holds one open. */
    @Nullable
    Partial partial(String id) {
        return partials.get(id);
    }

    /** A blob being fetched: appended one verified chunk at a time, renamed to its id once whole and verified. */
    final class Partial {
        final String id;
        final long length;
        final Path data;
        final Path sums;
        private final MessageDigest whole = sha256();
        private volatile long chunks;
        private @Nullable FileChannel dataOut;
        private @Nullable FileChannel sumsOut;
        private int users = 1;

        Partial(String id, long length) {
            this.id = id;
            this.length = length;
            this.data = partialDir.resolve(id);
            this.sums = partialDir.resolve(id + ".sums");
            try {
                Files.createDirectories(partialDir);
                chunks = recover();
            } catch (IOException e) {
                throw io("cannot open the partial attachment " + data + ": " + e.getMessage(), e);
            }
        }

        synchronized Partial retain() {
            users++;
            return this;
        }

        /** Re-reads what an earlier fetch left and keeps the prefix whose chunks match their sums. */
        private long recover() throws IOException {
            if (!Files.exists(data) || !Files.exists(sums)) {
                Files.deleteIfExists(data);
                Files.deleteIfExists(sums);
                return 0;
            }
            long total = BlobMessage.chunks(length);
            long good = 0;
            try (FileChannel d = FileChannel.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    FileChannel s = FileChannel.open(sums, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                long dataChunks = d.size() >= length ? total : d.size() / CHUNK;
                long have = Math.min(dataChunks, s.size() / 32);
                byte[] hash = new byte[32];
                for (long i = 0; i < have; i++) {
                    int len = BlobMessage.chunkLength(length, i);
                    ByteBuffer b = ByteBuffer.allocate(len);
                    if (!tryRead(d, b, i * CHUNK)) break;
                    ByteBuffer h = ByteBuffer.wrap(hash);
                    if (!tryRead(s, h, i * 32)) break;
                    if (!MessageDigest.isEqual(sha256().digest(b.array()), hash)) break;
                    whole.update(b.array());
                    good = i + 1;
                }
                d.truncate(Math.min(d.size(), good * CHUNK));
                s.truncate(good * 32);
            }
            return good;
        }

        long chunks() {
            return chunks;
        }

        /** Appends verified chunk {@code index}, which must be the next one. */
        synchronized void append(long index, byte[] hash, byte[] bytes) {
            if (index != chunks)
                throw new IllegalStateException("chunk " + index + " is not the next (" + chunks + ")");
            try {
                // kept open while the fetch runs: one open per fetch, not two per chunk
                FileChannel d = dataOut, s = sumsOut;
                if (d == null || s == null) {
                    closeChannels();
                    d = dataOut = FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    s = sumsOut = FileChannel.open(sums, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                }
                // the hash after the data: a sum never vouches for bytes not written yet
                writeFully(d, ByteBuffer.wrap(bytes), index * CHUNK);
                writeFully(s, ByteBuffer.wrap(hash), index * 32);
            } catch (IOException e) {
                closeChannels();
                throw io("cannot write the partial attachment " + data + ": " + e.getMessage(), e);
            }
            whole.update(bytes);
            chunks = index + 1;
        }

        /**
         * Every chunk is held: checks the whole SHA-256 and installs the blob under its id. On a mismatch the partial
         * files are deleted and false returned (the chunks matched the sums some peer sent, but not the content).
         */
        synchronized boolean finish() {
            closeChannels();
            String actual = HEX.formatHex(whole.digest());
            try {
                if (!actual.equals(id)) {
                    Files.deleteIfExists(data);
                    Files.deleteIfExists(sums);
                    return false;
                }
                if (!Files.exists(data)) Files.createFile(data); // an empty blob has no chunk
                if (!Files.exists(sums)) Files.createFile(sums);
                try (FileChannel d = FileChannel.open(data, StandardOpenOption.WRITE);
                        FileChannel s = FileChannel.open(sums, StandardOpenOption.WRITE)) {
                    d.force(true);
                    s.force(true);
                }
                install(id, data, sums, false);
                Files.deleteIfExists(data);
                Files.deleteIfExists(sums);
            } catch (IOException e) {
                throw io("cannot install attachment " + id + " in " + dir + ": " + e.getMessage(), e);
            }
            if (shared != null) {
                try {
                    share(id, dir.resolve(id));
                } catch (StarlingException e) {
                    // the fetch succeeded here; the other nodes fetch it from a peer as before
                    log.warn("{}", e.getMessage());
                }
            }
            return true;
        }

        private void closeChannels() {
            // what was written is written; the next open re-reads and verifies it
            closeQuietly(dataOut);
            closeQuietly(sumsOut);
            dataOut = null;
            sumsOut = null;
        }

        /** The fetch using it ended; the files stay for a later fetch to resume from. */
        void release() {
            synchronized (this) {
                if (--users > 0) return;
                closeChannels();
            }
            partials.remove(id, this);
        }
    }

    // ---- helpers

    private Path tmp() {
        try {
            Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw io("cannot create " + tmpDir + ": " + e.getMessage(), e);
        }
        return tmpDir.resolve(ProcessHandle.current().pid() + "-" + tmpCounter.incrementAndGet());
    }

    private static void move(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
            try {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw io("cannot rename " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    private static void syncDirectory(Path d) {
        try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException | UncheckedIOException e) {
            // not every platform opens directories (Windows); the rename is still atomic there
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static void writeFully(FileChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) c.write(b);
    }

    private static void writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) p += c.write(b, p);
    }

    private static void readFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        if (!tryRead(c, b, position)) throw new IOException("short file");
    }

    private static boolean tryRead(FileChannel c, ByteBuffer b, long position) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int n = c.read(b, p);
            if (n < 0) return false;
            p += n;
        }
        return true;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a stray temporary file; cleaned at the next open
        }
    }

    static StarlingException io(String message, Exception cause) {
        return new StarlingException(ErrorCode.STORE_IO, message, cause);
    }
}
