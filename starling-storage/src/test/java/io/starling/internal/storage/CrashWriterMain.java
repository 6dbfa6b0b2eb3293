package io.starling.internal.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child process for the SIGKILL durability test: opens the storage in {@code args[0]} with durability
 * {@code args[1]} and, from counter {@code args[2]} on, commits one small transaction after another, forever. Each
 * transaction inserts document {@code n} of collection {@value #DOCS} and sets the row {@value #COUNTER} to
 * {@code n}; once {@code write()} has returned it prints {@code ACK <n> <sequence> END}. The parent kills it at a
 * moment of its choosing.
 */
public final class CrashWriterMain {
    static final String DOCS = "docs";
    static final String COUNTER = "counter";
    static final int STATE_SIZE = 200;

    private CrashWriterMain() {}

    public static void main(String[] args) {
        SqliteStorage storage = SqliteStorage.open(
                Path.of(args[0]),
                SqliteStorage.Options.defaults().withDurability(SqliteStorage.Durability.valueOf(args[1])));
        for (long n = Long.parseLong(args[2]); ; n++) {
            long counter = n;
            long seq = storage.write(tx -> {
                if (tx.insertIfAbsent(DOCS, id(counter), true, state(counter)) < 0) {
                    throw new IllegalStateException("document " + counter + " already exists");
                }
                tx.put(
                        COUNTER,
                        id(0),
                        true,
                        ByteBuffer.allocate(8).putLong(counter).array());
                return tx.lastSequence();
            });
            System.out.println("ACK " + n + " " + seq + " END");
            System.out.flush();
        }
    }

    static byte[] id(long n) {
        return Long.toString(n).getBytes(StandardCharsets.UTF_8);
    }

    /** The exact bytes document {@code n} holds: checked byte for byte after every crash. */
    static byte[] state(long n) {
        byte[] state = new byte[STATE_SIZE];
        ByteBuffer.wrap(state).putLong(n);
        for (int i = 8; i < state.length; i++) {
            state[i] = (byte) (n * 31 + i);
        }
        return state;
    }
}
