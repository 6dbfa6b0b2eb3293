package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.postgres.PostgresStorage;
import io.starling.internal.storage.postgres.TestPostgres;

/**
 * The storage contract over {@link PostgresStorage}, each test on a fresh schema of the one test server
 * ({@link TestPostgres}). It lives in the contract's package because the suite is package-private.
 */
final class PostgresStorageContractTest extends DocumentStorageContractTest {
    @Override
    protected DocumentStorage create() {
        return PostgresStorage.open(TestPostgres.newSchemaUrl(), PostgresStorage.Options.defaults());
    }

    @Override
    protected boolean testsStatesInTheStore() {
        return true;
    }

    @Override
    protected boolean testsEveryRunInTheStore() {
        return true;
    }

    @Override
    protected void assertReleased(DocumentStorage closed) {
        assertThat(((PostgresStorage) closed).openConnectionCount()).isZero();
    }
}
