package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.storage.DocumentStorage.ReadTx;
import io.starling.internal.storage.DocumentStorage.Row;
import io.starling.internal.storage.DocumentStorage.WriteTx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random histories of transactions (put, insertIfAbsent, remove, putMeta, some rolled back, for SQLite some
 * followed by a reopen) checked against a plain {@link TreeMap} model after every transaction and, inside
 * transactions, at random points. jqwik prints the seed of every run; rerun one with {@code @Property(seed = "...")}.
 */
class StorageModelPropertyTest {

    /** Few keys, so that operations collide: ids chosen to exercise unsigned order and prefixes. */
    static final List<byte[]> IDS = List.of(new byte[0], new byte[] {0}, new byte[] {0, 0}, new byte[] {1},
            new byte[] {0x7f}, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xff}, new byte[] {(byte) 0xff, 0});
    /** Include a supplementary character: it sorts differently by UTF-16 unit and by code point. */
    static final List<String> COLLECTIONS = List.of("a", "b", "\uFFFD", "\uD834\uDD1E");
    static final List<String> META_KEYS = List.of("site", "hlc");

    sealed interface Op permits Put, Insert, Remove, PutMeta, Verify {}

    record Put(String collection, int id, boolean live, int state) implements Op {}

    record Insert(String collection, int id, boolean live, int state) implements Op {}

    record Remove(String collection, int id) implements Op {}

    record PutMeta(String key, int value) implements Op {}

    /** Compares the transaction's view with the model in the middle of a write. */
    record Verify() implements Op {}

    record Tx(List<Op> ops, boolean rollback, boolean reopenAfter) {}

    @Provide
    Arbitrary<List<Tx>> histories() {
        Arbitrary<String> collection = Arbitraries.of(COLLECTIONS);
        Arbitrary<Integer> id = Arbitraries.integers().between(0, IDS.size() - 1);
        Arbitrary<Integer> state = Arbitraries.integers().between(0, 999);
        Arbitrary<Boolean> live = Arbitraries.integers().between(0, 3).map(i -> i != 0);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(5, Combinators.combine(collection, id, live, state).as(Put::new)),
                Tuple.of(4, Combinators.combine(collection, id, live, state).as(Insert::new)),
                Tuple.of(3, Combinators.combine(collection, id).as(Remove::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.of(META_KEYS), state).as(PutMeta::new)),
                Tuple.of(1, Arbitraries.just(new Verify())));
        Arbitrary<Tx> tx = Combinators.combine(
                        op.list().ofMaxSize(8),
                        Arbitraries.integers().between(0, 4).map(i -> i == 0),
                        Arbitraries.integers().between(0, 9).map(i -> i == 0))
                .as(Tx::new);
        return tx.list().ofMinSize(1).ofMaxSize(15);
    }

    @Property(tries = 300)
    void inMemoryStorageMatchesTheModel(@ForAll("histories") List<Tx> history) {
        try (DocumentStorage storage = new InMemoryStorage()) {
            Model model = new Model();
            for (Tx tx : history) {
                apply(storage, model, tx);
                storage.read(r -> model.verify(r));
            }
        }
    }

    @Property(tries = 100)
    void sqliteStorageMatchesTheModel(@ForAll("histories") List<Tx> history) throws IOException {
        Path dir = Files.createTempDirectory("starling-model-");
        SqliteStorage storage = SqliteStorage.open(dir, SqliteStorage.Options.defaults());
        try {
            Model model = new Model();
            for (Tx tx : history) {
                apply(storage, model, tx);
                if (tx.reopenAfter()) {
                    storage.close();
                    storage = SqliteStorage.open(dir, SqliteStorage.Options.defaults());
                }
                storage.read(r -> model.verify(r));
            }
        } finally {
            storage.close();
            assertThat(storage.openConnectionCount()).isZero();
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    static final class Rollback extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static void apply(DocumentStorage storage, Model model, Tx tx) {
        Model before = model.copy();
        try {
            storage.write(w -> {
                for (Op op : tx.ops()) {
                    model.apply(w, op);
                }
                if (tx.rollback()) {
                    throw new Rollback();
                }
                return null;
            });
            assertThat(tx.rollback()).isFalse();
        } catch (Rollback expected) {
            model.restore(before);
        }
    }

    /** The reference: what the store must contain, kept with the plainest collections. */
    static final class Model {
        /** Collections by the byte order of their UTF-8 form, ids by unsigned byte order. */
        TreeMap<byte[], TreeMap<byte[], Row>> rows = new TreeMap<>(Arrays::compareUnsigned);
        Map<String, byte[]> meta = new HashMap<>();
        long lastSequence;

        Model copy() {
            Model m = new Model();
            rows.forEach((c, byId) -> m.rows.put(c, new TreeMap<>(byId)));
            m.meta.putAll(meta);
            m.lastSequence = lastSequence;
            return m;
        }

        void restore(Model saved) {
            rows = saved.rows;
            meta = saved.meta;
            lastSequence = saved.lastSequence;
        }

        private TreeMap<byte[], Row> collection(String name) {
            return rows.computeIfAbsent(name.getBytes(StandardCharsets.UTF_8), k -> new TreeMap<>(Arrays::compareUnsigned));
        }

        static byte[] state(int value) {
            return ("state-" + value).getBytes(StandardCharsets.UTF_8);
        }

        void apply(WriteTx w, Op op) {
            if (op instanceof Put p) {
                lastSequence++;
                collection(p.collection()).put(IDS.get(p.id()),
                        new Row(p.collection(), IDS.get(p.id()), lastSequence, p.live(), state(p.state())));
                assertThat(w.put(p.collection(), IDS.get(p.id()), p.live(), state(p.state()))).isEqualTo(lastSequence);
            } else if (op instanceof Insert i) {
                long expected = -1;
                if (!collection(i.collection()).containsKey(IDS.get(i.id()))) {
                    expected = ++lastSequence;
                    collection(i.collection()).put(IDS.get(i.id()),
                            new Row(i.collection(), IDS.get(i.id()), lastSequence, i.live(), state(i.state())));
                }
                assertThat(w.insertIfAbsent(i.collection(), IDS.get(i.id()), i.live(), state(i.state())))
                        .isEqualTo(expected);
            } else if (op instanceof Remove r) {
                boolean existed = collection(r.collection()).remove(IDS.get(r.id())) != null;
                assertThat(w.remove(r.collection(), IDS.get(r.id()))).isEqualTo(existed);
            } else if (op instanceof PutMeta m) {
                meta.put(m.key(), state(m.value()));
                w.putMeta(m.key(), state(m.value()));
            } else {
                verify(w);
            }
        }

        /** Compares everything the read API can observe. Returns null to fit read(). */
        Void verify(ReadTx r) {
            assertThat(r.lastSequence()).isEqualTo(lastSequence);
            List<String> collections = new ArrayList<>();
            List<Row> all = new ArrayList<>();
            rows.forEach((name, byId) -> {
                if (!byId.isEmpty()) {
                    collections.add(new String(name, StandardCharsets.UTF_8));
                    all.addAll(byId.values());
                }
            });
            assertThat(r.collections()).containsExactlyElementsOf(collections);
            for (String c : COLLECTIONS) {
                List<Row> expected = new ArrayList<>(collection(c).values());
                assertSame(DocumentStorageContractTest.scan(r, c, false), expected);
                expected.removeIf(row -> !row.live());
                assertSame(DocumentStorageContractTest.scan(r, c, true), expected);
                assertThat(r.countLive(c)).isEqualTo(expected.size());
            }
            all.sort(Comparator.comparingLong(Row::sequence));
            assertSame(DocumentStorageContractTest.changes(r, 0, Integer.MAX_VALUE), all);
            if (all.size() > 2) {
                long after = all.get(1).sequence();
                assertSame(DocumentStorageContractTest.changes(r, after, 2), all.subList(2, Math.min(4, all.size())));
            }
            for (String key : META_KEYS) {
                assertThat(r.meta(key)).isEqualTo(meta.get(key));
            }
            return null;
        }

        private static void assertSame(List<Row> actual, List<Row> expected) {
            assertThat(actual).hasSameSizeAs(expected);
            for (int i = 0; i < expected.size(); i++) {
                Row a = actual.get(i);
                Row e = expected.get(i);
                assertThat(a.collection()).isEqualTo(e.collection());
                assertThat(a.id()).isEqualTo(e.id());
                assertThat(a.sequence()).isEqualTo(e.sequence());
                assertThat(a.live()).isEqualTo(e.live());
                assertThat(a.state()).isEqualTo(e.state());
            }
        }
    }
}
