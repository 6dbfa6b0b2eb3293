package io.starling.internal.cdc.kafka;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link KafkaChangeSink} keeps its position, and whether it may send: a file for one node ({@link
 * #inFile}), or a lease in a database that several server nodes share, so that one node at a time runs the sink and
 * another takes over, from the position stored last, when the holder dies.
 *
 * <p>Contract for a shared implementation: {@link #claim} succeeds for one caller at a time, and lasts {@link
 * #leaseTime} from the moment it was asked for (it must not last less, whatever the clocks say); {@link #save} stores
 * only while the caller holds the claim. The sink renews the claim at a third of the lease time and stops sending
 * before the lease could have run out. Called on the sink's thread only.
 */
public interface SinkPosition {

    /** A stored position: every change up to {@code cursor} was acknowledged by Kafka for {@code topics}. */
    record Stored(long cursor, String topics) {}

    /** The outcome of a {@link #claim}: whether the caller may send, and the stored position (null for none). */
    record Claim(boolean held, @Nullable Stored position) {}

    /** Takes or renews the right to send. */
    Claim claim();

    /**
     * Stores the position (renewing the claim).
     *
     * @return false when the caller no longer holds the claim: nothing was stored, and it must stop sending
     */
    boolean save(Stored position);

    /** Gives the claim up, so that another node may take over at once. */
    void release();

    /** How long a claim lasts unless renewed; {@code null} for a position that needs no claim (one node). */
    @Nullable
    Duration leaseTime();

    /** Where the position is kept, for messages. */
    String describe();

    /** The position in a file ({@code null}: in memory only); always held. */
    static SinkPosition inFile(java.nio.file.@Nullable Path file) {
        CursorFile cursorFile = file == null ? null : new CursorFile(file);
        return new SinkPosition() {
            @Override
            public Claim claim() {
                if (cursorFile == null) return new Claim(true, null);
                CursorFile.Position p = cursorFile.load();
                return new Claim(true, p == null ? null : new Stored(p.cursor(), p.topics()));
            }

            @Override
            public boolean save(Stored position) {
                if (cursorFile != null) cursorFile.save(new CursorFile.Position(position.cursor(), position.topics()));
                return true;
            }

            @Override
            public void release() {}

            @Override
            public @Nullable Duration leaseTime() {
                return null;
            }

            @Override
            public String describe() {
                return cursorFile == null ? "memory only" : cursorFile.path().toString();
            }
        };
    }
}
