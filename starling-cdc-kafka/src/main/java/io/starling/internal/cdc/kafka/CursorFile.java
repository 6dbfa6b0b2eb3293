package io.starling.internal.cdc.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The sink's stored position: a small text file holding the change-feed cursor up to which Kafka acknowledged every
 * record, and the topics it was acknowledged for.
 *
 * <pre>
 * # starling kafka sink: every change up to this cursor is acknowledged by Kafka
 * cursor=1234
 * topics=topic:starling.changes
 * </pre>
 *
 * <p>Written whole to a temporary file beside it, forced to disk, then renamed over the old one (and the directory
 * forced), so that a crash at any moment leaves either the old position or the new one, never a torn file. Not
 * thread-safe: the sink's one thread reads and writes it.
 */
final class CursorFile {
    /** What a cursor file holds. */
    record Position(long cursor, String topics) {}

    private final Path file;

    CursorFile(Path file) {
        this.file = file.toAbsolutePath();
    }

    Path path() {
        return file;
    }

    /**
     * The stored position, or null when there is no file yet.
     *
     * @throws KafkaSinkException for a file that cannot be read or is not a cursor file (naming the file and line)
     */
    @Nullable
    Position load() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new KafkaSinkException("cannot read the Kafka sink's cursor file " + file + ": " + e, e);
        }
        Long cursor = null;
        String topics = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("cursor=")) {
                String v = line.substring("cursor=".length());
                try {
                    cursor = Long.parseLong(v);
                } catch (NumberFormatException e) {
                    cursor = -1L;
                }
                if (cursor < 0) throw bad(i, "the cursor '" + v + "' is not a number 0 or greater");
            } else if (line.startsWith("topics=")) {
                topics = line.substring("topics=".length());
            } else {
                throw bad(i, "expected cursor=N or topics=…, got '" + line + "'");
            }
        }
        if (cursor == null || topics == null) {
            throw new KafkaSinkException("the Kafka sink's cursor file " + file + " lacks a "
                    + (cursor == null ? "cursor=" : "topics=") + " line; delete it to send every document again");
        }
        return new Position(cursor, topics);
    }

    private KafkaSinkException bad(int line, String what) {
        return new KafkaSinkException("the Kafka sink's cursor file " + file + ", line " + (line + 1) + ": " + what
                + "; fix it, or delete it to send every document again");
    }

    /** Replaces the stored position, durably (see the class comment). */
    void save(Position position) {
        String text = "# starling kafka sink: every change up to this cursor is acknowledged by Kafka\n"
                + "cursor=" + position.cursor() + "\n"
                + "topics=" + position.topics() + "\n";
        Path dir = file.getParent();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            if (dir != null) Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            if (dir != null) forceDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Kafka sink's cursor file " + file + ": " + e, e);
        }
    }

    /** Makes the rename durable where the platform allows opening a directory (Linux, macOS); elsewhere a no-op. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory; its rename is durable once the file system's journal is
        }
    }
}
