package io.starling.internal.storage;

/** The contract over {@link InMemoryStorage}. */
final class InMemoryStorageContractTest extends DocumentStorageContractTest {
    @Override
    protected DocumentStorage create() {
        return new InMemoryStorage();
    }

    @Override
    protected void assertReleased(DocumentStorage closed) {
        // holds no resources beyond the heap
    }
}
