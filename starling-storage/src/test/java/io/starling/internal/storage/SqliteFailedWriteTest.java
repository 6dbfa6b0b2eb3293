package io.starling.internal.storage;

import static io.starling.internal.storage.DocumentStorageContractTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.storage.SqliteStorage.Options;
import java.nio.file.Path;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A write transaction that fails, however it fails, leaves the writer usable: disk full (made deterministic with
 * {@code PRAGMA max_page_count}), a failed COMMIT, a connection that broke under the transaction, a callback that
 * swallowed a storage failure. And the storage says why writes fail until one succeeds again.
 */
final class SqliteFailedWriteTest {
    @TempDir
    Path tmp;

    private final List<SqliteStorage> opened = new ArrayList<>();

    private SqliteStorage open() {
        SqliteStorage storage = SqliteStorage.open(tmp.resolve("db"), Options.defaults());
        opened.add(storage);
        return storage;
    }

    @AfterEach
    void closeEverything() {
        for (SqliteStorage storage : opened) {
            storage.close();
            assertThat(storage.openConnectionCount()).isZero();
        }
    }

    private static StorageException.Code code(Throwable t) {
        return ((StorageException) t).code();
    }

    private static void put(SqliteStorage storage, String id, int bytes) {
        storage.write(tx -> tx.put("c", utf8(id), true, new byte[bytes]));
    }

    /** Writes 3 KB rows until the capped file is full; returns how many were written. */
    private static int fill(SqliteStorage storage) {
        for (int i = 0; i < 1000; i++) {
            try {
                put(storage, "fill-" + i, 3000);
            } catch (StorageException e) {
                assertThat(e.code()).as(e.toString()).isEqualTo(StorageException.Code.FULL);
                return i;
            }
        }
        throw new AssertionError("the capped database never became full");
    }

    private static long lastSequence(SqliteStorage storage) {
        return storage.read(DocumentStorage.ReadTx::lastSequence);
    }

    private static DocumentStorage.Row get(SqliteStorage storage, String id) {
        return storage.read(tx -> tx.get("c", utf8(id)));
    }

    private static long rows(SqliteStorage storage) {
        return storage.read(tx -> tx.countLive("c"));
    }

    /** Runs raw SQL on the transaction's connection, as a bug or another layer could. */
    private static void sql(DocumentStorage.WriteTx tx, String... statements) {
        try (Statement s = ((SqliteTransaction) tx).session().connection().createStatement()) {
            for (String statement : statements) s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void closeConnection(DocumentStorage.WriteTx tx) {
        try {
            ((SqliteTransaction) tx).session().connection().close();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFullDiskFailsEveryWriteWithFullUntilSpaceIsFreedThenWritesResumeWithoutRestart() {
        SqliteStorage storage = open();
        put(storage, "before", 10);
        assertThat(storage.writeFailure()).isNull();
        storage.setMaxPageCountForTesting(storage.pageCountForTesting() + 4);

        int written = fill(storage);
        long sequence = lastSequence(storage);
        StorageException failure = storage.writeFailure();
        assertThat(failure).isNotNull();
        assertThat(failure.code()).isEqualTo(StorageException.Code.FULL);
        assertThat(failure).hasMessageContaining("no space left").hasMessageContaining("starling.db");

        // every later write fails the same way (not with a transaction-state error), small ones too
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> put(storage, "more", 3000))
                    .isInstanceOf(StorageException.class)
                    .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.FULL))
                    .hasMessageNotContaining("within a transaction")
                    .hasMessageNotContaining("not executing");
        }
        // reads go on, and see exactly what committed
        assertThat(rows(storage)).isEqualTo(written + 1);

        // a commit that wrote nothing proves nothing about space: still failing
        storage.write(tx -> tx.get("c", utf8("before")));
        assertThat(storage.writeFailure()).isNotNull();

        storage.setMaxPageCountForTesting(0); // space freed
        put(storage, "after", 3000);
        assertThat(storage.writeFailure()).isNull();
        assertThat(rows(storage)).isEqualTo(written + 2);
        assertThat(lastSequence(storage)).isEqualTo(sequence + 1);
        assertThat(storage.openConnectionCount()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void batchesAndIndexEntriesFailCleanlyWhenFullToo() {
        SqliteStorage storage = open();
        storage.setMaxPageCountForTesting(storage.pageCountForTesting() + 3);
        List<byte[]> ids = new ArrayList<>();
        List<byte[]> states = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ids.add(utf8("batch-" + i));
            states.add(new byte[1000]);
        }
        assertThatThrownBy(() -> storage.write(tx -> tx.insertAllIfAbsent("c", ids, true, states)))
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.FULL));
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.putIndexEntries("c/i", states, ids);
                    return null;
                }))
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.FULL));
        assertThat(rows(storage)).isZero();

        storage.setMaxPageCountForTesting(0);
        storage.write(tx -> tx.insertAllIfAbsent("c", ids, true, states));
        storage.write(tx -> {
            tx.putIndexEntries("c/i", states.subList(0, 1), ids.subList(0, 1));
            return null;
        });
        assertThat(rows(storage)).isEqualTo(50);
    }

    @Test
    void aCallbackThatSwallowsAStorageFailureCommitsNothingAndGetsTheFailure() {
        SqliteStorage storage = open();
        put(storage, "kept", 10);
        storage.setMaxPageCountForTesting(storage.pageCountForTesting() + 2);
        AtomicReference<StorageException> swallowed = new AtomicReference<>();
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.put("c", utf8("small"), true, new byte[10]);
                    try {
                        for (int i = 0; i < 100; i++) tx.put("c", utf8("big-" + i), true, new byte[3000]);
                    } catch (StorageException e) {
                        swallowed.set(e);
                    }
                    // whatever SQLite rolled back by itself, a statement now must not run (it would commit alone)
                    assertThatThrownBy(() -> tx.put("c", utf8("late"), true, new byte[1]))
                            .isInstanceOf(StorageException.class)
                            .hasMessageContaining("can only roll back");
                    return null;
                }))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("nothing was committed")
                .satisfies(e -> assertThat(code(e)).isEqualTo(StorageException.Code.FULL));
        assertThat(swallowed.get()).isNotNull();
        assertThat(get(storage, "small")).isNull();
        assertThat(get(storage, "late")).isNull();
        assertThat(rows(storage)).isEqualTo(1);
        storage.setMaxPageCountForTesting(0);
        put(storage, "next", 10);
        assertThat(rows(storage)).isEqualTo(2);
    }

    @Test
    void aFailedCommitIsRolledBackAndTheNextWriteWorks() {
        SqliteStorage storage = open();
        storage.writerPragma("foreign_keys = ON");
        storage.write(tx -> {
            sql(
                    tx,
                    "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
                    "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER"
                            + " REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
            return null;
        });
        // a deferred foreign key fails at COMMIT, and SQLite then keeps the transaction open
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.put("c", utf8("doomed"), true, new byte[10]);
                    sql(tx, "INSERT INTO child VALUES (1, 99)");
                    return null;
                }))
                .isInstanceOf(StorageException.class)
                .hasMessageContaining("COMMIT");
        assertThat(storage.writeFailure())
                .as("a constraint is not a condition of the disk")
                .isNull();
        put(storage, "next", 10);
        assertThat(get(storage, "doomed")).isNull();
        assertThat(rows(storage)).isEqualTo(1);
    }

    @Test
    void aWriterConnectionThatBrokeIsReplacedByTheNextWrite() {
        SqliteStorage storage = open();
        put(storage, "first", 10);
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.put("c", utf8("lost"), true, new byte[10]);
                    closeConnection(tx); // ROLLBACK will fail too
                    tx.put("c", utf8("more"), true, new byte[10]);
                    return null;
                }))
                .isInstanceOf(StorageException.class);
        put(storage, "second", 10);
        assertThat(rows(storage)).isEqualTo(2);
        assertThat(get(storage, "lost")).isNull();
    }

    @Test
    void whatCommittedBeforeTheDiskFilledSurvivesCloseAndReopen() {
        SqliteStorage storage = open();
        storage.setMaxPageCountForTesting(storage.pageCountForTesting() + 4);
        int written = fill(storage);
        storage.close();
        SqliteStorage again = open();
        assertThat(rows(again)).isEqualTo(written);
        assertThat(again.writeFailure()).isNull();
        put(again, "after", 3000);
    }

    @Test
    void sqliteFullMapsToFull() {
        StorageException full = SqliteSession.failure(
                Path.of("x.db"), "put", new org.sqlite.SQLiteException("m", org.sqlite.SQLiteErrorCode.SQLITE_FULL));
        assertThat(full.code()).isEqualTo(StorageException.Code.FULL);
        assertThat(full).hasMessage("no space left to write database file x.db (put); free some disk space: m");
    }
}
