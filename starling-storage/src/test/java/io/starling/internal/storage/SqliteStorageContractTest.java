package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The contract over {@link SqliteStorage}, with default options. */
final class SqliteStorageContractTest extends DocumentStorageContractTest {
    @TempDir
    Path directory;

    @Override
    protected DocumentStorage create() {
        return SqliteStorage.open(directory.resolve("db"), SqliteStorage.Options.defaults());
    }

    @Override
    protected boolean testsStatesInTheStore() {
        return true;
    }

    @Override
    protected void assertReleased(DocumentStorage closed) {
        assertThat(((SqliteStorage) closed).openConnectionCount()).isZero();
        // the lock is free again: the directory can be opened (and closed) at once
        SqliteStorage.open(directory.resolve("db"), SqliteStorage.Options.defaults())
                .close();
    }
}
