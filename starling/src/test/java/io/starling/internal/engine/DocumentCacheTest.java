package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.core.Value;
import io.starling.internal.storage.InMemoryStorage;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DocumentCacheTest {

    @Test
    void readsShareDecodedDocumentsUntilTheRowChanges() {
        InMemoryStorage storage = new InMemoryStorage();
        try (DefaultStarling db =
                DefaultStarling.open(StarlingConfig.builder().build(), Path.of("memory"), storage, Clock.systemUTC())) {
            DefaultStore store = db.defaultStore();
            store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 'v': 'a'}), ({'_id': 2, 'v': 'b'})");
            Value.Obj first = read(storage, store, 1);
            assertThat(read(storage, store, 1)).isSameAs(first);
            store.execute("UPDATE c SET v = 'z' WHERE _id = 1");
            Value.Obj changed = read(storage, store, 1);
            assertThat(changed).isNotSameAs(first);
            assertThat(changed.get("v")).isEqualTo(Value.of("z"));
            // a read inside a write transaction neither uses nor fills the cache
            assertThatNoCacheInWrites(store);
        }
    }

    private static Value.Obj read(InMemoryStorage storage, DefaultStore store, int id) {
        return storage.read(tx -> store.runner().source(tx).get("c", Value.of(id)));
    }

    private static void assertThatNoCacheInWrites(DefaultStore store) {
        int before = store.cache().size();
        store.transaction(tx -> tx.execute("SELECT * FROM c WHERE _id = 2"));
        assertThat(store.cache().size()).isEqualTo(before);
        store.execute("SELECT * FROM c WHERE _id = 2");
        assertThat(store.cache().size()).isEqualTo(before + 1);
    }

    @Test
    void collectedDocumentsLeaveTheCache() {
        DocumentCache cache = new DocumentCache();
        cache.put("c", new byte[] {1}, 7, new Value.Obj(Map.of("v", Value.of(1))));
        assertThat(cache.get("c", new byte[] {1}, 8)).as("another version").isNull();
        for (int i = 0; i < 20 && cache.size() > 0; i++) System.gc(); // the document is unreachable
        assertThat(cache.size()).isZero();
    }
}
