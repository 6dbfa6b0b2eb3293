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
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random histories of transactions (put, insertIfAbsent, remove, putMeta, index entry put/remove/drop, some rolled
 * back, for SQLite some followed by a reopen) checked against a plain {@link TreeMap} model after every transaction
 * and, inside transactions, at random points (full and bounded index scans in both directions included). jqwik prints the seed of every run, and a failure names it with the command that replays it ({@code -Dstarling.seed}, docs/TESTING.md).
 */
class StorageModelPropertyTest {

    /** Few keys, so that operations collide: ids chosen to exercise unsigned order and prefixes. */
    static final List<byte[]> IDS = List.of(
            new byte[0],
            new byte[] {0},
            new byte[] {0, 0},
            new byte[] {1},
            new byte[] {0x7f},
            new byte[] {(byte) 0x80},
            new byte[] {(byte) 0xff},
            new byte[] {(byte) 0xff, 0});
    /** Include a supplementary character: it sorts differently by UTF-16 unit and by code point. */
    static final List<String> COLLECTIONS = List.of("a", "b", "\uFFFD", "\uD834\uDD1E");

    static final List<String> META_KEYS = List.of("site", "hlc");
    /** Index names that are prefixes of each other: the storage must treat names as exact. */
    static final List<String> INDEXES = List.of("a/x", "a/xy", "b/x");

    sealed interface Op
            permits Put, Insert, Remove, PutMeta, Verify, PutEntry, PutEntries, RemoveEntry, DropIndex, ScanIndex {}

    record Put(String collection, int id, boolean live, int state) implements Op {}

    record Insert(String collection, int id, boolean live, int state) implements Op {}

    record Remove(String collection, int id) implements Op {}

    record PutMeta(String key, int value) implements Op {}

    /** Compares the transaction's view with the model in the middle of a write. */
    record Verify() implements Op {}

    /** Key and id are positions in {@link #IDS}. */
    record PutEntry(String index, int key, int id) implements Op {}

    /** Several keys for one id in one putIndexEntries call (duplicates included). */
    record PutEntries(String index, List<Integer> keys, int id) implements Op {}

    record RemoveEntry(String index, int key, int id) implements Op {}

    record DropIndex(String index) implements Op {}

    /** A bounded scan inside the write; bounds are positions in {@link #IDS}, -1 for unbounded. */
    record ScanIndex(String index, int from, int to, boolean reverse, int limit) implements Op {}

    record Tx(List<Op> ops, boolean rollback, boolean reopenAfter) {}

    @Provide
    Arbitrary<List<Tx>> histories() {
        Arbitrary<String> collection = Arbitraries.of(COLLECTIONS);
        Arbitrary<Integer> id = Arbitraries.integers().between(0, IDS.size() - 1);
        Arbitrary<Integer> state = Arbitraries.integers().between(0, 999);
        Arbitrary<Boolean> live = Arbitraries.integers().between(0, 3).map(i -> i != 0);
        Arbitrary<String> index = Arbitraries.of(INDEXES);
        Arbitrary<Integer> bound = Arbitraries.integers().between(-1, IDS.size() - 1);
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                Tuple.of(5, Combinators.combine(collection, id, live, state).as(Put::new)),
                Tuple.of(4, Combinators.combine(collection, id, live, state).as(Insert::new)),
                Tuple.of(3, Combinators.combine(collection, id).as(Remove::new)),
                Tuple.of(
                        1, Combinators.combine(Arbitraries.of(META_KEYS), state).as(PutMeta::new)),
                Tuple.of(1, Arbitraries.just(new Verify())),
                Tuple.of(6, Combinators.combine(index, id, id).as(PutEntry::new)),
                Tuple.of(
                        2,
                        Combinators.combine(index, id.list().ofMaxSize(3), id).as(PutEntries::new)),
                Tuple.of(3, Combinators.combine(index, id, id).as(RemoveEntry::new)),
                Tuple.of(1, index.map(DropIndex::new)),
                Tuple.of(
                        2,
                        Combinators.combine(
                                        index,
                                        bound,
                                        bound,
                                        Arbitraries.of(true, false),
                                        Arbitraries.integers().between(0, 5))
                                .as(ScanIndex::new)));
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
        /** Index entries as [key, id] pairs, by unsigned key then unsigned id. */
        Map<String, TreeSet<byte[][]>> indexes = new HashMap<>();

        long lastSequence;

        static final Comparator<byte[][]> ENTRY_ORDER = (a, b) -> {
            int c = Arrays.compareUnsigned(a[0], b[0]);
            return c != 0 ? c : Arrays.compareUnsigned(a[1], b[1]);
        };

        Model copy() {
            Model m = new Model();
            rows.forEach((c, byId) -> m.rows.put(c, new TreeMap<>(byId)));
            m.meta.putAll(meta);
            indexes.forEach((name, entries) -> m.indexes.put(name, new TreeSet<>(entries)));
            m.lastSequence = lastSequence;
            return m;
        }

        void restore(Model saved) {
            rows = saved.rows;
            meta = saved.meta;
            indexes = saved.indexes;
            lastSequence = saved.lastSequence;
        }

        private TreeSet<byte[][]> index(String name) {
            return indexes.computeIfAbsent(name, k -> new TreeSet<>(ENTRY_ORDER));
        }

        /** The model's answer to a scan, as "key/id" hex strings. */
        List<String> scan(String name, byte[] from, byte[] to, boolean reverse, int limit) {
            List<String> out = new ArrayList<>();
            List<byte[][]> entries = new ArrayList<>(index(name));
            if (reverse) Collections.reverse(entries);
            for (byte[][] e : entries) {
                if (out.size() == limit) break;
                if (from != null && Arrays.compareUnsigned(e[0], from) < 0) continue;
                if (to != null && Arrays.compareUnsigned(e[0], to) >= 0) continue;
                out.add(DocumentStorageContractTest.hex(e[0]) + "/" + DocumentStorageContractTest.hex(e[1]));
            }
            return out;
        }

        static List<String> scan(ReadTx r, String name, byte[] from, byte[] to, boolean reverse, int limit) {
            List<String> out = new ArrayList<>();
            if (limit == 0) return out;
            r.scanIndex(name, from, to, reverse, (key, id) -> {
                out.add(DocumentStorageContractTest.hex(key) + "/" + DocumentStorageContractTest.hex(id));
                return out.size() < limit;
            });
            return out;
        }

        private static byte[] bound(int i) {
            return i < 0 ? null : IDS.get(i);
        }

        private TreeMap<byte[], Row> collection(String name) {
            return rows.computeIfAbsent(
                    name.getBytes(StandardCharsets.UTF_8), k -> new TreeMap<>(Arrays::compareUnsigned));
        }

        static byte[] state(int value) {
            return ("state-" + value).getBytes(StandardCharsets.UTF_8);
        }

        void apply(WriteTx w, Op op) {
            if (op instanceof Put p) {
                lastSequence++;
                collection(p.collection())
                        .put(
                                IDS.get(p.id()),
                                new Row(p.collection(), IDS.get(p.id()), lastSequence, p.live(), state(p.state())));
                assertThat(w.put(p.collection(), IDS.get(p.id()), p.live(), state(p.state())))
                        .isEqualTo(lastSequence);
            } else if (op instanceof Insert i) {
                long expected = -1;
                if (!collection(i.collection()).containsKey(IDS.get(i.id()))) {
                    expected = ++lastSequence;
                    collection(i.collection())
                            .put(
                                    IDS.get(i.id()),
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
            } else if (op instanceof PutEntry e) {
                index(e.index()).add(new byte[][] {IDS.get(e.key()), IDS.get(e.id())});
                w.putIndexEntry(e.index(), IDS.get(e.key()), IDS.get(e.id()));
            } else if (op instanceof PutEntries e) {
                List<byte[]> keys = new ArrayList<>();
                List<byte[]> ids = new ArrayList<>();
                for (int k : e.keys()) {
                    index(e.index()).add(new byte[][] {IDS.get(k), IDS.get(e.id())});
                    keys.add(IDS.get(k));
                    ids.add(IDS.get(e.id()));
                }
                w.putIndexEntries(e.index(), keys, ids);
            } else if (op instanceof RemoveEntry e) {
                index(e.index()).remove(new byte[][] {IDS.get(e.key()), IDS.get(e.id())});
                w.removeIndexEntry(e.index(), IDS.get(e.key()), IDS.get(e.id()));
            } else if (op instanceof DropIndex d) {
                indexes.remove(d.index());
                w.dropIndex(d.index());
            } else if (op instanceof ScanIndex q) {
                assertThat(scan(w, q.index(), bound(q.from()), bound(q.to()), q.reverse(), q.limit()))
                        .as("%s", q)
                        .containsExactlyElementsOf(
                                scan(q.index(), bound(q.from()), bound(q.to()), q.reverse(), q.limit()));
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
            for (String name : INDEXES) {
                for (boolean reverse : List.of(false, true)) {
                    assertThat(scan(r, name, null, null, reverse, Integer.MAX_VALUE))
                            .as("index %s%s", name, reverse ? " reversed" : "")
                            .containsExactlyElementsOf(scan(name, null, null, reverse, Integer.MAX_VALUE));
                    // a bounded scan: from {00} (inclusive) to {7f} (exclusive), with {00 00} and {01} inside
                    assertThat(scan(r, name, IDS.get(1), IDS.get(4), reverse, Integer.MAX_VALUE))
                            .containsExactlyElementsOf(scan(name, IDS.get(1), IDS.get(4), reverse, Integer.MAX_VALUE));
                }
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
