package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.storage.DocumentStorage.ReadTx;
import io.starling.internal.storage.DocumentStorage.Row;
import io.starling.internal.storage.DocumentStorage.WriteTx;
import io.starling.testsupport.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link DocumentStorage} contract, run over every implementation by a subclass per implementation. Each test
 * gets a fresh store; teardown closes it and checks that nothing leaked.
 */
abstract class DocumentStorageContractTest {
    static final Duration DEADLINE = Duration.ofSeconds(30);

    protected DocumentStorage storage;
    private ExecutorService executor;

    /** A new, empty store. */
    protected abstract DocumentStorage create();

    /** Asserts that a closed store holds no connections, files or threads. */
    protected abstract void assertReleased(DocumentStorage closed);

    /** Whether {@link ReadTx#scanStates(String, List, Runnable, DocumentStorage.StateVisitor)} leaves out what it may. */
    protected boolean testsStatesInTheStore() {
        return false;
    }

    /** Whether that scan, given several runs, leaves out the states that lack any one of them (not only the longest). */
    protected boolean testsEveryRunInTheStore() {
        return false;
    }

    @BeforeEach
    void openStorage() {
        executor = Executors.newCachedThreadPool();
        storage = create();
    }

    @AfterEach
    void closeStorage() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(DEADLINE.toSeconds(), TimeUnit.SECONDS))
                .isTrue();
        if (storage != null) {
            storage.close();
            assertReleased(storage);
        }
    }

    static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<Row> scan(ReadTx tx, String collection, boolean liveOnly) {
        List<Row> rows = new ArrayList<>();
        tx.scan(collection, liveOnly, rows::add);
        return rows;
    }

    static List<Row> changes(ReadTx tx, long after, int limit) {
        List<Row> rows = new ArrayList<>();
        tx.changesSince(after, limit, rows::add);
        return rows;
    }

    static List<String> ids(List<Row> rows) {
        List<String> ids = new ArrayList<>();
        for (Row r : rows) {
            ids.add(new String(r.id(), StandardCharsets.UTF_8));
        }
        return ids;
    }

    static List<Long> sequences(List<Row> rows) {
        List<Long> seqs = new ArrayList<>();
        for (Row r : rows) {
            seqs.add(r.sequence());
        }
        return seqs;
    }

    long put(String collection, String id, String state) {
        return storage.write(tx -> tx.put(collection, utf8(id), true, utf8(state)));
    }

    static <T> T get(Future<T> future) throws Exception {
        return future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---- basics

    @Test
    void newStoreIsEmpty() {
        storage.read(tx -> {
            assertThat(tx.lastSequence()).isZero();
            assertThat(tx.collections()).isEmpty();
            assertThat(tx.get("c", utf8("a"))).isNull();
            assertThat(tx.countLive("c")).isZero();
            assertThat(tx.meta("k")).isNull();
            assertThat(scan(tx, "c", false)).isEmpty();
            assertThat(changes(tx, 0, 100)).isEmpty();
            return null;
        });
    }

    @Test
    void putStoresARowAndReplacesItWithTheNextSequence() {
        assertThat(storage.<Long>write(tx -> tx.put("c", utf8("a"), true, utf8("v1"))))
                .isEqualTo(1);
        assertThat(storage.<Long>write(tx -> tx.put("c", utf8("b"), true, utf8("v1"))))
                .isEqualTo(2);
        assertThat(storage.<Long>write(tx -> tx.put("c", utf8("a"), false, utf8("v2"))))
                .isEqualTo(3);

        storage.read(tx -> {
            Row a = tx.get("c", utf8("a"));
            assertThat(a.collection()).isEqualTo("c");
            assertThat(a.id()).isEqualTo(utf8("a"));
            assertThat(a.sequence()).isEqualTo(3);
            assertThat(a.live()).isFalse();
            assertThat(a.state()).isEqualTo(utf8("v2"));
            assertThat(tx.lastSequence()).isEqualTo(3);
            // the replaced row moved to the end of the change order and left no trace at its old number
            assertThat(sequences(changes(tx, 0, 10))).containsExactly(2L, 3L);
            assertThat(ids(changes(tx, 0, 10))).containsExactly("b", "a");
            return null;
        });
    }

    @Test
    void insertIfAbsentInsertsOnlyOnceAndSpendsNoSequenceWhenPresent() {
        storage.write(tx -> {
            assertThat(tx.insertIfAbsent("c", utf8("a"), true, utf8("first"))).isEqualTo(1);
            assertThat(tx.insertIfAbsent("c", utf8("a"), true, utf8("second"))).isEqualTo(-1);
            assertThat(tx.lastSequence()).isEqualTo(1);
            assertThat(tx.insertIfAbsent("c", utf8("b"), false, utf8("tomb"))).isEqualTo(2);
            // a tombstone is a row too
            assertThat(tx.insertIfAbsent("c", utf8("b"), true, utf8("revive"))).isEqualTo(-1);
            return null;
        });
        assertThat(storage.<Long>write(tx -> tx.insertIfAbsent("c", utf8("a"), true, utf8("third"))))
                .isEqualTo(-1);
        assertThat(storage.<Long>write(tx -> tx.insertIfAbsent("d", utf8("a"), true, utf8("other"))))
                .isEqualTo(3);
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("a")).state()).isEqualTo(utf8("first"));
            assertThat(tx.get("c", utf8("b")).live()).isFalse();
            assertThat(tx.lastSequence()).isEqualTo(3);
            return null;
        });
    }

    @Test
    void scanAfterResumesAfterAnId() {
        put("c", "a", "1");
        put("c", "b", "2");
        put("c", "d", "4");
        put("e", "a", "9");
        storage.write(tx -> tx.put("c", utf8("c"), false, utf8("tomb")));
        java.util.List<String> ids = new java.util.ArrayList<>();
        storage.read(tx -> {
            tx.scanAfter(
                    "c", utf8("a"), false, r -> ids.add(new String(r.id(), java.nio.charset.StandardCharsets.UTF_8)));
            tx.scanAfter(
                    "c",
                    utf8("bb"),
                    true,
                    r -> ids.add("live " + new String(r.id(), java.nio.charset.StandardCharsets.UTF_8)));
            tx.scanAfter(
                    "c",
                    null,
                    true,
                    r -> ids.add("all " + new String(r.id(), java.nio.charset.StandardCharsets.UTF_8)));
            return null;
        });
        assertThat(ids).containsExactly("b", "c", "d", "live d", "all a", "all b", "all d");
    }

    @Test
    void rowsWrittenByOneTransactionShareAGroup() {
        storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("1"));
            tx.insertIfAbsent("c", utf8("b"), true, utf8("2"));
            tx.insertAllIfAbsent("d", java.util.List.of(utf8("x")), true, java.util.List.of(utf8("3")));
            return null;
        });
        storage.write(tx -> tx.put("c", utf8("a"), false, utf8("gone")));
        java.util.List<DocumentStorage.Row> rows = new java.util.ArrayList<>();
        storage.read(tx -> {
            tx.changesSince(0, 100, rows::add);
            return null;
        });
        assertThat(rows).extracting(DocumentStorage.Row::sequence).containsExactly(2L, 3L, 4L);
        assertThat(rows).extracting(DocumentStorage.Row::group).containsExactly(1L, 1L, 4L);
    }

    @Test
    void insertAllIfAbsentSkipsExistingAndRepeatedIds() {
        put("c", "old", "kept");
        long[] seqs = storage.write(tx -> tx.insertAllIfAbsent(
                "c",
                java.util.List.of(utf8("x"), utf8("old"), utf8("y"), utf8("x")),
                true,
                java.util.List.of(utf8("x1"), utf8("old2"), utf8("y1"), utf8("x2"))));
        assertThat(seqs[1]).isEqualTo(-1);
        assertThat(seqs[3]).isEqualTo(-1);
        assertThat(seqs[0]).isGreaterThan(1);
        assertThat(seqs[2]).isGreaterThan(seqs[0]);
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("x")).state()).isEqualTo(utf8("x1"));
            assertThat(tx.get("c", utf8("old")).state()).isEqualTo(utf8("kept"));
            assertThat(tx.get("c", utf8("y")).sequence()).isEqualTo(seqs[2]);
            assertThat(tx.lastSequence()).isGreaterThanOrEqualTo(seqs[2]);
            return null;
        });
        long next = storage.write(tx -> tx.put("c", utf8("z"), true, utf8("z")));
        assertThat(next).isGreaterThan(seqs[2]);
        long[] none = storage.write(tx -> tx.insertAllIfAbsent("c", java.util.List.of(), true, java.util.List.of()));
        assertThat(none).isEmpty();
    }

    /**
     * A batch larger than one multi-row statement (SQLite writes 100 rows per statement, the rest a row at a time):
     * ids already stored and ids given twice, in the first, a middle and the last statement and in the remainder,
     * each at the edges; and a batch whose rows are all new after one that was not. Each row is reported at the
     * sequence it was stored at, or -1; the rows skipped keep their state; the sequences that follow are unused.
     */
    @Test
    void insertAllIfAbsentInLargeBatchesReportsEachRow() {
        int n = 1_037;
        java.util.Set<Integer> stored = java.util.Set.of(0, 99, 100, 550, 999, 1_000, 1_036);
        java.util.Set<Integer> repeated = java.util.Set.of(1, 199, 300, 640, 1_020); // repeat the id of row i - 1
        for (int i : stored) put("c", "id" + i, "old" + i);
        long last = storage.read(DocumentStorage.ReadTx::lastSequence);
        java.util.List<byte[]> ids = new java.util.ArrayList<>(), states = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(utf8("id" + (repeated.contains(i) ? i - 1 : i)));
            states.add(utf8("new" + i));
        }
        long[] seqs = storage.write(tx -> tx.insertAllIfAbsent("c", ids, true, states));
        java.util.Set<Long> distinct = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            boolean skipped = stored.contains(i) || repeated.contains(i);
            if (skipped) {
                assertThat(seqs[i]).as("row %d", i).isEqualTo(-1);
            } else {
                assertThat(seqs[i]).as("row %d", i).isGreaterThan(last);
                assertThat(distinct.add(seqs[i])).isTrue();
            }
        }
        storage.read(tx -> {
            for (int i = 0; i < n; i++) {
                DocumentStorage.Row row = tx.get("c", ids.get(i));
                String want = stored.contains(i) ? "old" + i : repeated.contains(i) ? null : "new" + i;
                if (want != null) assertThat(row.state()).as("row %d", i).isEqualTo(utf8(want));
                if (seqs[i] >= 0) assertThat(row.sequence()).as("row %d", i).isEqualTo(seqs[i]);
            }
            assertThat(scan(tx, "c", false)).hasSize(n - repeated.size());
            return null;
        });
        long next = put("c", "after", "x");
        assertThat(next).isGreaterThan(java.util.Arrays.stream(seqs).max().orElseThrow());
        // all new: every row stored, at increasing sequences
        java.util.List<byte[]> fresh = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) fresh.add(utf8("fresh" + i));
        long[] all = storage.write(tx -> tx.insertAllIfAbsent("c", fresh, false, fresh));
        for (int i = 0; i < all.length; i++) assertThat(all[i]).isEqualTo(next + 1 + i);
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("fresh299")).live()).isFalse();
            assertThat(tx.get("c", utf8("fresh0")).state()).isEqualTo(utf8("fresh0"));
            return null;
        });
    }

    @Test
    void removeDeletesTheRowWithoutSpendingASequence() {
        put("c", "a", "1");
        put("c", "b", "2");
        storage.write(tx -> {
            assertThat(tx.remove("c", utf8("b"))).isTrue();
            assertThat(tx.remove("c", utf8("b"))).isFalse();
            assertThat(tx.remove("c", utf8("zz"))).isFalse();
            assertThat(tx.remove("other", utf8("a"))).isFalse();
            assertThat(tx.lastSequence()).isEqualTo(2);
            return null;
        });
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("b"))).isNull();
            assertThat(ids(scan(tx, "c", false))).containsExactly("a");
            assertThat(ids(changes(tx, 0, 10))).containsExactly("a");
            assertThat(tx.lastSequence()).isEqualTo(2);
            return null;
        });
        // the row holding the highest number is gone; numbers still never go back
        assertThat(put("c", "c", "3")).isEqualTo(3);
    }

    @Test
    void emptyAndLargeValuesRoundTrip() {
        byte[] big = new byte[1 << 20];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        storage.write(tx -> {
            tx.put("c", new byte[0], true, new byte[0]);
            tx.put("c", utf8("big"), true, big);
            tx.putMeta("empty", new byte[0]);
            return null;
        });
        storage.read(tx -> {
            assertThat(tx.get("c", new byte[0]).state()).isEmpty();
            assertThat(tx.get("c", new byte[0]).id()).isEmpty();
            assertThat(tx.get("c", utf8("big")).state()).isEqualTo(big);
            assertThat(tx.meta("empty")).isEmpty();
            return null;
        });
    }

    @Test
    void arraysAreCopiedInAndOut() {
        byte[] id = utf8("a");
        byte[] state = utf8("state");
        storage.write(tx -> tx.put("c", id, true, state));
        id[0] = 'z';
        state[0] = 'X';
        storage.read(tx -> {
            Row row = tx.get("c", utf8("a"));
            assertThat(row.state()).isEqualTo(utf8("state"));
            row.state()[0] = 'Y';
            row.id()[0] = 'Y';
            assertThat(tx.get("c", utf8("a")).state()).isEqualTo(utf8("state"));
            assertThat(scan(tx, "c", false).get(0).id()).isEqualTo(utf8("a"));
            return null;
        });
    }

    // ---- ordering

    @Test
    void scanOrdersIdsAsUnsignedBytes() {
        List<byte[]> shuffled = List.of(
                bytes(0x80),
                bytes(0x7f),
                bytes(),
                bytes(0xff),
                bytes(0x00, 0x00),
                bytes(0x00),
                bytes(0x01),
                bytes(0xff, 0x00),
                bytes(0x7f, 0xff));
        storage.write(tx -> {
            for (byte[] id : shuffled) {
                tx.put("c", id, true, id);
            }
            tx.put("b", bytes(0x00), true, bytes());
            tx.put("d", bytes(0x00), true, bytes());
            return null;
        });
        List<Row> rows = storage.read(tx -> scan(tx, "c", false));
        assertThat(rows)
                .extracting(Row::id)
                .containsExactly(
                        bytes(),
                        bytes(0x00),
                        bytes(0x00, 0x00),
                        bytes(0x01),
                        bytes(0x7f),
                        bytes(0x7f, 0xff),
                        bytes(0x80),
                        bytes(0xff),
                        bytes(0xff, 0x00));
        assertThat(rows).allSatisfy(r -> assertThat(r.collection()).isEqualTo("c"));
    }

    @Test
    void scanRangeBoundsAreInclusiveFromExclusiveToInBothDirections() {
        storage.write(tx -> {
            for (int[] id : new int[][] {{}, {0x00}, {0x01}, {0x01, 0x00}, {0x02}, {0x7f, 0xff}, {0x80}, {0xff}}) {
                byte[] b = bytes(id);
                tx.put("c", b, true, b);
            }
            tx.put("c", bytes(0x01, 0x80), false, bytes()); // a tombstone inside the range
            tx.put("b", bytes(0x01), true, bytes()); // neighbouring collections stay out
            tx.put("d", bytes(0x01), true, bytes());
            return null;
        });
        storage.read(tx -> {
            for (boolean reverse : List.of(false, true)) {
                java.util.function.BiFunction<byte[], byte[], List<String>> live = (from, to) -> {
                    List<String> ids = new java.util.ArrayList<>();
                    tx.scanRange(
                            "c",
                            from,
                            to,
                            reverse,
                            true,
                            r -> ids.add(HexFormat.of().formatHex(r.id())));
                    return reverse ? reversed(ids) : ids;
                };
                assertThat(live.apply(bytes(0x01), bytes(0x80))).containsExactly("01", "0100", "02", "7fff");
                assertThat(live.apply(null, bytes(0x01))).containsExactly("", "00");
                assertThat(live.apply(bytes(0x7f), null)).containsExactly("7fff", "80", "ff");
                assertThat(live.apply(null, null)).hasSize(8);
                assertThat(live.apply(bytes(), bytes(0xff, 0x00))).hasSize(8);
                assertThat(live.apply(bytes(0x01, 0x00), bytes(0x01, 0x00, 0x00)))
                        .containsExactly("0100");
                // empty ranges
                assertThat(live.apply(bytes(0x02), bytes(0x02))).isEmpty();
                assertThat(live.apply(bytes(0x80), bytes(0x02))).isEmpty();
                assertThat(live.apply(null, bytes())).isEmpty();
                assertThat(live.apply(bytes(0xff, 0x00), null)).isEmpty();

                List<Row> all = new java.util.ArrayList<>();
                tx.scanRange("c", bytes(0x01), bytes(0x02), reverse, false, all::add);
                if (reverse) java.util.Collections.reverse(all);
                assertThat(all).extracting(Row::live).containsExactly(true, true, false);
                // the visitor stops the scan
                List<Row> first = new java.util.ArrayList<>();
                tx.scanRange("c", null, null, reverse, true, r -> {
                    first.add(r);
                    return first.size() < 2;
                });
                assertThat(first)
                        .extracting(r -> HexFormat.of().formatHex(r.id()))
                        .containsExactly(reverse ? new String[] {"ff", "80"} : new String[] {"", "00"});
            }
            return null;
        });
    }

    @Test
    void scanLiveOnlySkipsTombstones() {
        storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("A"));
            tx.put("c", utf8("b"), false, utf8("tomb"));
            tx.put("c", utf8("c"), true, utf8("C"));
            tx.put("c", utf8("d"), false, utf8("tomb"));
            return null;
        });
        storage.read(tx -> {
            List<Row> live = scan(tx, "c", true);
            assertThat(ids(live)).containsExactly("a", "c");
            assertThat(live).allSatisfy(r -> assertThat(r.live()).isTrue());
            assertThat(live.get(1).state()).isEqualTo(utf8("C"));
            assertThat(live.get(1).sequence()).isEqualTo(3);
            List<Row> all = scan(tx, "c", false);
            assertThat(ids(all)).containsExactly("a", "b", "c", "d");
            assertThat(all).extracting(Row::live).containsExactly(true, false, true, false);
            return null;
        });
    }

    @Test
    void scanStatesHandsOverLiveStatesInIdOrderAndTheirRowsOnRequest() {
        storage.write(tx -> {
            tx.put("c", utf8("b"), true, utf8("B"));
            tx.put("c", utf8("a"), true, utf8("A"));
            tx.put("c", utf8("c"), false, utf8("tomb"));
            tx.put("c", utf8("d"), true, utf8("D"));
            tx.put("other", utf8("a"), true, utf8("X"));
            return null;
        });
        storage.read(tx -> {
            List<Row> rows = scan(tx, "c", true);
            List<String> states = new ArrayList<>();
            List<Row> asked = new ArrayList<>();
            tx.scanStates("c", (state, current) -> {
                states.add(new String(state, StandardCharsets.UTF_8));
                if (!Arrays.equals(state, utf8("B"))) {
                    Row row = current.row();
                    assertThat(current.row()).isSameAs(row); // read once
                    asked.add(row);
                }
                return true;
            });
            assertThat(states).containsExactly("A", "B", "D");
            assertThat(asked).hasSize(2);
            for (Row r : asked) {
                Row expected = rows.stream()
                        .filter(x -> Arrays.equals(x.id(), r.id()))
                        .findFirst()
                        .orElseThrow();
                assertThat(r.collection()).isEqualTo("c");
                assertThat(r.sequence()).isEqualTo(expected.sequence());
                assertThat(r.live()).isTrue();
                assertThat(r.state()).isEqualTo(expected.state());
            }
            assertThat(ids(asked)).containsExactly("a", "d");
            List<String> seen = new ArrayList<>();
            tx.scanStates("c", (state, current) -> {
                seen.add(new String(state, StandardCharsets.UTF_8));
                return seen.size() < 2;
            });
            assertThat(seen).containsExactly("A", "B");
            tx.scanStates("missing", (state, current) -> {
                throw new AssertionError("a missing collection has no rows");
            });
            return null;
        });
        storage.write(tx -> {
            assertThatThrownBy(() -> tx.scanStates("c", (state, current) -> {
                        tx.put("c", utf8("e"), true, utf8("E"));
                        return true;
                    }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a scan");
            return null;
        });
    }

    @Test
    void scanStatesContainingABytesRunHandsOverEveryLiveStateThatHasItInIdOrder() {
        storage.write(tx -> {
            tx.put("c", utf8("e"), true, utf8("nothing"));
            tx.put("c", utf8("b"), true, utf8("xéy"));
            tx.put("c", utf8("a"), true, utf8("é"));
            tx.put("c", utf8("c"), false, utf8("tomb é"));
            tx.put("c", utf8("d"), true, new byte[] {0, (byte) 0xc3});
            tx.put("c", utf8("f"), true, utf8("e\u0301")); // not the same bytes
            tx.put("other", utf8("a"), true, utf8("é"));
            return null;
        });
        storage.read(tx -> {
            byte[] run = utf8("é");
            List<String> ids = new ArrayList<>();
            tx.scanStates("c", List.of(run), () -> {}, (state, current) -> {
                Row row = current.row();
                assertThat(row.live()).isTrue();
                assertThat(row.state()).isEqualTo(state);
                ids.add(new String(row.id(), StandardCharsets.UTF_8));
                return true;
            });
            // a store may hand over more (the visitor tests each state), never fewer, and in id order
            assertThat(ids).containsSubsequence("a", "b").isSorted().doesNotContain("c");
            if (testsStatesInTheStore()) assertThat(ids).containsExactly("a", "b");
            List<String> all = new ArrayList<>();
            tx.scanStates(
                    "c",
                    List.of(),
                    () -> {},
                    (state, current) -> all.add(new String(current.row().id(), StandardCharsets.UTF_8)));
            assertThat(all).containsExactly("a", "b", "d", "e", "f");
            List<String> first = new ArrayList<>();
            tx.scanStates("c", List.of(run), () -> {}, (state, current) -> {
                first.add(new String(current.row().id(), StandardCharsets.UTF_8));
                return false;
            });
            assertThat(first).containsExactly("a");
            return null;
        });
    }

    @Test
    void scanStatesContainingSeveralRunsHandsOverExactlyTheStatesWithEachOfThemByteForByte() {
        String longest = "L".repeat(1024 * 1024) + "é"; // a long run in a long state, held at its very end
        Map<String, byte[]> states = new LinkedHashMap<>();
        states.put("a", utf8("x%_y\u0000z 日本 é" + "ab"));
        states.put("b", utf8("x%_y z 日本 é ab")); // no NUL
        states.put("c", utf8("x_%y\u0000z 日本 é ab")); // % and _ swapped: no pattern characters here
        states.put("d", utf8("xAy\u0000z 日本 é ab")); // what a LIKE pattern x%_y would accept
        states.put("e", utf8("x%_Y\u0000z 日本 é ab")); // another case: bytes, not letters
        states.put("f", utf8("x%_y\u0000z 日本 e\u0301 ab")); // é decomposed: other bytes
        states.put("g", bytes(0x78, 0x25, 0x5f, 0x79, 0x00, 0x7a, 0xe6, 0x97, 0xa5)); // 日 without 本
        states.put("h", utf8("ab x%_y\u0000z é 日本")); // every run, in another order
        states.put("i", utf8("x%_y\u0000z 日本 é" + longest));
        states.put("j", utf8("x%_y\u0000z 日本 é" + longest.substring(0, longest.length() - 1)));
        storage.write(tx -> {
            states.forEach((id, state) -> tx.put("c", utf8(id), true, state));
            tx.put("c", utf8("k"), false, states.get("a")); // a tombstone holding them all
            return null;
        });
        List<byte[]> runs = List.of(utf8("x%_y\u0000z"), utf8("日本"), utf8("é"));
        List<String> expected = List.of("a", "h", "i", "j"); // j holds an é before its L's
        storage.read(tx -> {
            assertThat(containing(tx, runs))
                    .containsSubsequence(expected)
                    .isSorted()
                    .doesNotContain("k");
            if (testsEveryRunInTheStore()) assertThat(containing(tx, runs)).containsExactlyElementsOf(expected);
            // the first run alone: every state with it, whatever follows
            assertThat(containing(tx, List.of(runs.get(0)))).containsSubsequence("a", "f", "g", "h", "i", "j");
            if (testsStatesInTheStore()) {
                assertThat(containing(tx, List.of(runs.get(0)))).containsExactly("a", "f", "g", "h", "i", "j");
                assertThat(containing(tx, List.of(utf8(longest)))).containsExactly("i");
                assertThat(containing(tx, List.of(bytes(0x00, 0x7a, 0x20))))
                        .containsExactly("a", "c", "d", "e", "f", "h", "i", "j");
                assertThat(containing(tx, List.of(utf8("absent"), utf8("x")))).isEmpty();
            }
            if (testsEveryRunInTheStore()) {
                assertThat(containing(tx, List.of(utf8("%_"), utf8("_%")))).isEmpty();
                assertThat(containing(tx, List.of(utf8(longest), utf8("ab")))).isEmpty();
                assertThat(containing(tx, List.of(utf8("ab"), utf8("ab"), new byte[0])))
                        .containsExactly("a", "b", "c", "d", "e", "f", "h");
            }
            // an empty run, or no run at all: every live state
            List<String> all = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
            assertThat(containing(tx, List.of(new byte[0]))).containsExactlyElementsOf(all);
            assertThat(containing(tx, List.of())).containsExactlyElementsOf(all);
            return null;
        });
    }

    @Test
    void aScanLeavingStatesOutHandsOverEveryMatchAcrossThousandsOfRowsAndStopsWhenTold() {
        int n = 5_000;
        List<String> expected = new ArrayList<>();
        storage.write(tx -> {
            for (int i = 0; i < n; i++) {
                String id = String.format("id%05d", i);
                // matches in runs and alone, at the first and last rows, and a tombstone that holds the run
                boolean hit = i % 7 == 0 || (i >= 2_000 && i < 2_300) || i == n - 1;
                tx.put("c", utf8(id), i != 3_500, utf8((hit ? "a hit " : "a miss ") + i));
                if (hit && i != 3_500) expected.add(id);
            }
            return null;
        });
        storage.read(tx -> {
            List<String> ids = containing(tx, List.of(utf8("hit")));
            assertThat(ids).containsSubsequence(expected).isSorted();
            if (testsStatesInTheStore()) assertThat(ids).containsExactlyElementsOf(expected);
            List<String> first = new ArrayList<>();
            tx.scanStates("c", List.of(utf8("hit")), () -> {}, (state, current) -> {
                if (new String(state, StandardCharsets.UTF_8).startsWith("a hit")) {
                    first.add(new String(current.row().id(), StandardCharsets.UTF_8));
                }
                return first.size() < 400;
            });
            assertThat(first).containsExactlyElementsOf(expected.subList(0, 400));
            return null;
        });
    }

    /** The ids of the states a {@code scanStates} with these runs hands over that hold every run (as a caller keeps). */
    private static List<String> containing(ReadTx tx, List<byte[]> runs) {
        List<String> ids = new ArrayList<>();
        tx.scanStates("c", runs, () -> {}, (state, current) -> {
            Row row = current.row();
            assertThat(row.live()).isTrue();
            assertThat(row.state()).isEqualTo(state);
            ids.add(new String(row.id(), StandardCharsets.UTF_8));
            return true;
        });
        return ids;
    }

    @Test
    void aScanLeavingStatesOutPollsAndStopsWithWhatThePollThrows() {
        int n = 20_000;
        storage.write(tx -> {
            for (int i = 0; i < n; i++) tx.put("c", utf8("id" + i), true, utf8("state " + i));
            return null;
        });
        AtomicInteger polls = new AtomicInteger();
        IllegalStateException stop = new IllegalStateException("stopped by the poll");
        storage.read(tx -> {
            // no state holds the run: the visitor never runs, so only the poll can stop the scan
            tx.scanStates("c", List.of(utf8("absent")), () -> polls.incrementAndGet(), (state, current) -> {
                assertThat(testsStatesInTheStore())
                        .as("a state without the run")
                        .isFalse();
                return true;
            });
            if (testsStatesInTheStore()) assertThat(polls.get()).isPositive();
            return null;
        });
        if (testsStatesInTheStore()) { // a store that hands over every state needs no poll
            // the read ends with what the poll threw (the transaction is over: it can only roll back)
            assertThatThrownBy(() -> storage.read(tx -> {
                        tx.scanStates(
                                "c",
                                List.of(utf8("absent")),
                                () -> {
                                    throw stop;
                                },
                                (state, current) -> true);
                        return null;
                    }))
                    .isSameAs(stop);
        }
        // the store is usable after a stopped scan
        Row after = storage.read(tx -> tx.get("c", utf8("id7")));
        assertThat(after).isNotNull();
    }

    @Test
    void scanAndChangesStopWhenTheVisitorReturnsFalse() {
        storage.write(tx -> {
            for (String id : List.of("a", "b", "c", "d")) {
                tx.put("c", utf8(id), true, utf8(id));
            }
            return null;
        });
        storage.read(tx -> {
            List<String> seen = new ArrayList<>();
            tx.scan("c", false, r -> {
                seen.add(new String(r.id(), StandardCharsets.UTF_8));
                return seen.size() < 2;
            });
            assertThat(seen).containsExactly("a", "b");
            List<Long> seqs = new ArrayList<>();
            tx.changesSince(1, 100, r -> {
                seqs.add(r.sequence());
                return false;
            });
            assertThat(seqs).containsExactly(2L);
            return null;
        });
    }

    @Test
    void changesSinceIsOrderedBySequenceAcrossCollectionsAndHonoursTheLimit() {
        storage.write(tx -> {
            tx.put("z", utf8("1"), true, utf8("s1"));
            tx.put("a", utf8("2"), false, utf8("s2"));
            tx.put("m", utf8("3"), true, utf8("s3"));
            tx.put("a", utf8("4"), true, utf8("s4"));
            return null;
        });
        put("z", "1", "s5"); // moves row 1 to sequence 5
        storage.read(tx -> {
            List<Row> all = changes(tx, 0, 100);
            assertThat(sequences(all)).containsExactly(2L, 3L, 4L, 5L);
            assertThat(all).extracting(Row::collection).containsExactly("a", "m", "a", "z");
            assertThat(all.get(0).live()).isFalse();
            assertThat(all.get(3).state()).isEqualTo(utf8("s5"));
            assertThat(sequences(changes(tx, 2, 2))).containsExactly(3L, 4L);
            assertThat(sequences(changes(tx, 3, 100))).containsExactly(4L, 5L);
            assertThat(changes(tx, 5, 100)).isEmpty();
            assertThat(changes(tx, 0, 0)).isEmpty();
            assertThat(sequences(changes(tx, -10, 1))).containsExactly(2L);
            assertThatThrownBy(() -> tx.changesSince(0, -1, r -> true)).isInstanceOf(IllegalArgumentException.class);
            return null;
        });
    }

    @Test
    void collectionsAreSortedByCodePointAndVanishWhenEmpty() {
        // U+1D11E (a surrogate pair) sorts above U+FFFD by code point, below it by UTF-16 unit
        List<String> names = List.of("b", "\uD834\uDD1E", "a", "\uFFFD", "ab", "tombs");
        storage.write(tx -> {
            for (String name : names) {
                tx.put(name, utf8("x"), !name.equals("tombs"), utf8("s"));
            }
            return null;
        });
        storage.read(tx -> {
            assertThat(tx.collections()).containsExactly("a", "ab", "b", "tombs", "\uFFFD", "\uD834\uDD1E");
            assertThat(tx.countLive("tombs")).isZero();
            return null;
        });
        storage.write(tx -> tx.remove("ab", utf8("x")));
        assertThat(storage.read(ReadTx::collections)).containsExactly("a", "b", "tombs", "\uFFFD", "\uD834\uDD1E");
    }

    @Test
    void countLiveCountsLiveRowsOfOneCollection() {
        storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("s"));
            tx.put("c", utf8("b"), true, utf8("s"));
            tx.put("c", utf8("t"), false, utf8("s"));
            tx.put("d", utf8("a"), true, utf8("s"));
            return null;
        });
        storage.read(tx -> {
            assertThat(tx.countLive("c")).isEqualTo(2);
            assertThat(tx.countLive("d")).isEqualTo(1);
            assertThat(tx.countLive("none")).isZero();
            return null;
        });
        storage.write(tx -> {
            tx.put("c", utf8("a"), false, utf8("deleted"));
            tx.put("c", utf8("t"), true, utf8("revived"));
            tx.remove("c", utf8("b"));
            return null;
        });
        assertThat(storage.<Long>read(tx -> tx.countLive("c"))).isEqualTo(1);
    }

    // ---- meta

    @Test
    void metaRoundTripsAndReservedKeysAreRefused() {
        storage.write(tx -> {
            tx.putMeta("site", utf8("one"));
            tx.putMeta("site", utf8("two"));
            tx.putMeta("hlc", bytes(1, 2, 3));
            return null;
        });
        storage.read(tx -> {
            assertThat(tx.meta("site")).isEqualTo(utf8("two"));
            assertThat(tx.meta("hlc")).isEqualTo(bytes(1, 2, 3));
            assertThat(tx.meta("nope")).isNull();
            assertThatThrownBy(() -> tx.meta("storage.last_seq"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reserved");
            return null;
        });
        storage.write(tx -> {
            assertThatThrownBy(() -> tx.putMeta("storage.format", utf8("x")))
                    .isInstanceOf(IllegalArgumentException.class);
            return null;
        });
        // meta writes spend no sequence number
        assertThat(storage.read(ReadTx::lastSequence)).isZero();
    }

    // ---- transactions

    @Test
    void aWriteSeesItsOwnUncommittedWrites() {
        put("c", "old", "1");
        storage.write(tx -> {
            tx.put("c", utf8("new"), true, utf8("2"));
            tx.put("d", utf8("x"), false, utf8("3"));
            tx.remove("c", utf8("old"));
            tx.putMeta("m", utf8("v"));
            assertThat(tx.get("c", utf8("new")).sequence()).isEqualTo(2);
            assertThat(tx.get("c", utf8("old"))).isNull();
            assertThat(ids(scan(tx, "c", false))).containsExactly("new");
            assertThat(sequences(changes(tx, 0, 10))).containsExactly(2L, 3L);
            assertThat(tx.collections()).containsExactly("c", "d");
            assertThat(tx.countLive("c")).isEqualTo(1);
            assertThat(tx.lastSequence()).isEqualTo(3);
            assertThat(tx.meta("m")).isEqualTo(utf8("v"));
            return null;
        });
    }

    @Test
    void anExceptionRollsBackRowsMetaAndSequence() {
        put("c", "keep", "1");
        put("c", "moved", "2");
        storage.write(tx -> {
            tx.putMeta("m", utf8("before"));
            return null;
        });
        RuntimeException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.put("c", utf8("new"), true, utf8("x"));
                    tx.put("c", utf8("moved"), false, utf8("changed"));
                    tx.remove("c", utf8("keep"));
                    tx.insertIfAbsent("d", utf8("y"), true, utf8("y"));
                    tx.putMeta("m", utf8("after"));
                    throw boom;
                }))
                .isSameAs(boom);
        storage.read(tx -> {
            assertThat(ids(scan(tx, "c", false))).containsExactly("keep", "moved");
            assertThat(tx.get("c", utf8("moved")).state()).isEqualTo(utf8("2"));
            assertThat(tx.get("c", utf8("moved")).sequence()).isEqualTo(2);
            assertThat(tx.collections()).containsExactly("c");
            assertThat(tx.meta("m")).isEqualTo(utf8("before"));
            assertThat(tx.lastSequence()).isEqualTo(2);
            assertThat(sequences(changes(tx, 0, 10))).containsExactly(1L, 2L);
            return null;
        });
        // the numbers of the rolled-back transaction are handed out again
        assertThat(put("c", "next", "3")).isEqualTo(3);
    }

    @Test
    void anErrorRollsBackToo() {
        AssertionError error = new AssertionError("error");
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.put("c", utf8("a"), true, utf8("x"));
                    throw error;
                }))
                .isSameAs(error);
        assertThat(storage.<Row>read(tx -> tx.get("c", utf8("a")))).isNull();
        assertThat(put("c", "a", "y")).isEqualTo(1);
    }

    @Test
    void aReadSnapshotDoesNotSeeAConcurrentUncommittedWrite() throws Exception {
        put("c", "a", "v1");
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch readDone = new CountDownLatch(1);
        Future<?> writer = executor.submit(() -> storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("v2"));
            tx.put("c", utf8("b"), true, utf8("new"));
            written.countDown();
            Await.latch("readDone", DEADLINE, readDone);
            return null;
        }));
        Await.latch("written", DEADLINE, written);
        storage.read(tx -> {
            assertThat(tx.get("c", utf8("a")).state()).isEqualTo(utf8("v1"));
            assertThat(tx.get("c", utf8("b"))).isNull();
            assertThat(tx.lastSequence()).isEqualTo(1);
            assertThat(tx.countLive("c")).isEqualTo(1);
            assertThat(changes(tx, 0, 10)).hasSize(1);
            return null;
        });
        readDone.countDown();
        get(writer);
        assertThat(storage.<byte[]>read(tx -> tx.get("c", utf8("a")).state())).isEqualTo(utf8("v2"));
    }

    @Test
    void aReadSnapshotDoesNotSeeAWriteCommittedAfterItStarted() throws Exception {
        put("c", "a", "v1");
        CountDownLatch readStarted = new CountDownLatch(1);
        CountDownLatch committed = new CountDownLatch(1);
        Future<List<Object>> reader = executor.submit(() -> storage.read(tx -> {
            // nothing read yet: the snapshot is still the one of the read() call
            readStarted.countDown();
            Await.latch("committed", DEADLINE, committed);
            List<Object> seen = new ArrayList<>();
            seen.add(new String(tx.get("c", utf8("a")).state(), StandardCharsets.UTF_8));
            seen.add(tx.get("c", utf8("b")));
            seen.add(tx.lastSequence());
            seen.add(tx.collections());
            seen.add(changes(tx, 0, 10).size());
            seen.add(scan(tx, "c", false).size());
            return seen;
        }));
        Await.latch("readStarted", DEADLINE, readStarted);
        storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("v2"));
            tx.put("c", utf8("b"), true, utf8("new"));
            tx.put("d", utf8("x"), true, utf8("new"));
            return null;
        });
        committed.countDown();
        assertThat(get(reader)).containsExactly("v1", null, 1L, List.of("c"), 1, 1);
    }

    @Test
    void readsRunConcurrentlyWithEachOther() throws Exception {
        put("c", "a", "v1");
        CountDownLatch bothInside = new CountDownLatch(2);
        List<Future<byte[]>> reads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            reads.add(executor.submit(() -> storage.read(tx -> {
                bothInside.countDown();
                Await.latch("bothInside", DEADLINE, bothInside); // only returns if the other read runs at the same time
                return tx.get("c", utf8("a")).state();
            })));
        }
        for (Future<byte[]> read : reads) {
            assertThat(get(read)).isEqualTo(utf8("v1"));
        }
    }

    @Test
    void writesAreSerialised() throws Exception {
        CountDownLatch firstInside = new CountDownLatch(1);
        CountDownLatch releaseFirst = new CountDownLatch(1);
        AtomicBoolean firstDone = new AtomicBoolean();
        Future<Long> first = executor.submit(() -> storage.write(tx -> {
            firstInside.countDown();
            Await.latch("releaseFirst", DEADLINE, releaseFirst);
            long seq = tx.put("c", utf8("a"), true, utf8("1"));
            firstDone.set(true);
            return seq;
        }));
        Await.latch("firstInside", DEADLINE, firstInside);
        AtomicReference<Boolean> secondSawFirstDone = new AtomicReference<>();
        Thread second = new Thread(
                () -> storage.write(tx -> {
                    secondSawFirstDone.set(firstDone.get());
                    return tx.put("c", utf8("b"), true, utf8("2"));
                }),
                "second-writer");
        second.start();
        Await.parked(second.getName() + " blocks", DEADLINE, second);
        releaseFirst.countDown();
        second.join(DEADLINE.toMillis());
        assertThat(second.isAlive()).isFalse();
        assertThat(get(first)).isEqualTo(1);
        assertThat(secondSawFirstDone.get()).isTrue();
        assertThat(storage.read(ReadTx::lastSequence)).isEqualTo(2);
    }

    @Test
    void writesDoNotNest() {
        assertThatThrownBy(() -> storage.write(tx -> storage.write(inner -> null)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("do not nest");
        assertThat(put("c", "a", "still works")).isEqualTo(1);
    }

    @Test
    void aWriteInsideAReadIsRefused() {
        assertThatThrownBy(() -> storage.read(tx -> storage.write(w -> w.put("c", utf8("a"), true, utf8("x")))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a read");
        // and only there: the same thread writes once the read returned
        assertThat(put("c", "a", "x")).isEqualTo(1);
    }

    @Test
    void aReadMayRunInsideAWriteAndSeesCommittedStateOnly() {
        put("c", "a", "v1");
        storage.write(tx -> {
            tx.put("c", utf8("a"), true, utf8("v2"));
            assertThat(storage.<byte[]>read(r -> r.get("c", utf8("a")).state())).isEqualTo(utf8("v1"));
            return null;
        });
    }

    @Test
    void aTransactionIsUnusableAfterItsCallbackAndOnOtherThreads() throws Exception {
        WriteTx leakedWrite = storage.write(tx -> tx);
        ReadTx leakedRead = storage.read(tx -> tx);
        assertThatThrownBy(() -> leakedWrite.put("c", utf8("a"), true, utf8("x")))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> leakedWrite.get("c", utf8("a"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> leakedRead.lastSequence()).isInstanceOf(IllegalStateException.class);
        storage.write(tx -> {
            Future<?> other = executor.submit(() -> tx.get("c", utf8("a")));
            assertThatThrownBy(() -> get(other)).hasCauseInstanceOf(IllegalStateException.class);
            return null;
        });
    }

    @Test
    void aReadTransactionRefusesWrites() {
        storage.read(tx -> {
            if (tx instanceof WriteTx) {
                WriteTx w = (WriteTx) tx;
                assertThatThrownBy(() -> w.put("c", utf8("a"), true, utf8("x")))
                        .isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> w.putMeta("k", utf8("x"))).isInstanceOf(IllegalStateException.class);
            }
            return null;
        });
        assertThat(storage.<Row>read(tx -> tx.get("c", utf8("a")))).isNull();
    }

    @Test
    void visitorsMayReadButNotWrite() {
        put("c", "a", "1");
        put("c", "b", "2");
        put("d", "x", "3");
        storage.write(tx -> {
            List<String> pairs = new ArrayList<>();
            tx.scan("c", false, outer -> {
                // nested scans and point reads use their own cursors
                tx.scan(
                        "d",
                        false,
                        inner -> pairs.add(new String(outer.id(), StandardCharsets.UTF_8) + "/"
                                + new String(inner.id(), StandardCharsets.UTF_8)));
                assertThat(tx.get("c", outer.id())).isNotNull();
                tx.changesSince(0, 1, r -> true);
                return true;
            });
            assertThat(pairs).containsExactly("a/x", "b/x");
            return null;
        });
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.put("c", utf8("new"), true, utf8("n"));
                    tx.scan("c", false, row -> {
                        tx.remove("c", row.id());
                        return true;
                    });
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("inside a scan");
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.changesSince(0, 10, row -> tx.put("c", row.id(), true, utf8("again")) > 0);
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class);
        // both writes were rolled back
        storage.read(tx -> {
            assertThat(ids(scan(tx, "c", false))).containsExactly("a", "b");
            assertThat(tx.lastSequence()).isEqualTo(3);
            return null;
        });
    }

    @Test
    void nullArgumentsAreRejected() {
        storage.write(tx -> {
            assertThatThrownBy(() -> tx.put(null, utf8("a"), true, utf8("s"))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.put("c", null, true, utf8("s"))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.put("c", utf8("a"), true, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.putMeta("k", null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.get("c", null)).isInstanceOf(NullPointerException.class);
            return null;
        });
        assertThat(storage.read(ReadTx::lastSequence)).isZero();
    }

    // ---- index entries

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** The entries of a scan as "key/id" in hex. */
    static List<String> scanIndex(ReadTx tx, String index, byte[] from, byte[] to, boolean reverse) {
        List<String> entries = new ArrayList<>();
        tx.scanIndex(index, from, to, reverse, (key, id) -> entries.add(hex(key) + "/" + hex(id)));
        return entries;
    }

    static List<String> reversed(List<String> list) {
        List<String> r = new ArrayList<>(list);
        Collections.reverse(r);
        return r;
    }

    void putEntries(String index, String... keySlashIds) {
        storage.write(tx -> {
            for (String entry : keySlashIds) {
                String[] parts = entry.split("/", -1);
                tx.putIndexEntry(
                        index, HexFormat.of().parseHex(parts[0]), HexFormat.of().parseHex(parts[1]));
            }
            return null;
        });
    }

    @Test
    void indexScansOrderByUnsignedKeyThenUnsignedId() {
        // shuffled on purpose; 80 > 7f as unsigned bytes, a prefix sorts first, ties are broken by id
        putEntries(
                "c/i", "80/01", "10/80", "7f/01", "/01", "10/7f", "ff/01", "00/01", "10/", "0000/01", "10/01",
                "7fff/01", "10/8000");
        putEntries("c/i2", "00/ff");
        putEntries("c", "00/fe");
        putEntries("d/i", "00/fd");
        List<String> expected = List.of(
                "/01", "00/01", "0000/01", "10/", "10/01", "10/7f", "10/80", "10/8000", "7f/01", "7fff/01", "80/01",
                "ff/01");
        storage.read(tx -> {
            assertThat(scanIndex(tx, "c/i", null, null, false)).containsExactlyElementsOf(expected);
            assertThat(scanIndex(tx, "c/i", null, null, true)).containsExactlyElementsOf(reversed(expected));
            // names are opaque and exact: no prefix matching, no collection semantics
            assertThat(scanIndex(tx, "c/i2", null, null, false)).containsExactly("00/ff");
            assertThat(scanIndex(tx, "c", null, null, false)).containsExactly("00/fe");
            assertThat(scanIndex(tx, "c/", null, null, false)).isEmpty();
            assertThat(scanIndex(tx, "unknown", null, null, true)).isEmpty();
            return null;
        });
    }

    @Test
    void indexScanBoundsAreInclusiveFromExclusiveToAndNullIsUnbounded() {
        putEntries("i", "01/aa", "02/aa", "0200/aa", "02ff/aa", "03/aa", "03/bb", "04/aa", "05/aa");
        byte[] k01 = bytes(1), k02 = bytes(2), k0200 = bytes(2, 0), k03 = bytes(3), k04 = bytes(4), k05 = bytes(5);
        storage.read(tx -> {
            for (boolean reverse : List.of(false, true)) {
                java.util.function.BiFunction<byte[], byte[], List<String>> scan = (from, to) -> {
                    List<String> entries = scanIndex(tx, "i", from, to, reverse);
                    return reverse ? reversed(entries) : entries;
                };
                assertThat(scan.apply(k02, k04)).containsExactly("02/aa", "0200/aa", "02ff/aa", "03/aa", "03/bb");
                assertThat(scan.apply(k0200, k03)).containsExactly("0200/aa", "02ff/aa");
                assertThat(scan.apply(null, k03)).containsExactly("01/aa", "02/aa", "0200/aa", "02ff/aa");
                assertThat(scan.apply(k04, null)).containsExactly("04/aa", "05/aa");
                assertThat(scan.apply(k03, bytes(3, 0))).containsExactly("03/aa", "03/bb");
                assertThat(scan.apply(null, null)).hasSize(8);
                assertThat(scan.apply(k01, bytes(1, 0))).containsExactly("01/aa");
                assertThat(scan.apply(bytes(), bytes(0xff, 0xff))).hasSize(8);
                // empty ranges
                assertThat(scan.apply(k04, k04)).isEmpty();
                assertThat(scan.apply(k05, k02)).isEmpty();
                assertThat(scan.apply(bytes(6), null)).isEmpty();
                assertThat(scan.apply(null, k01)).isEmpty();
                assertThat(scan.apply(null, bytes())).isEmpty();
            }
            return null;
        });
    }

    @Test
    void indexScansStopWhenTheVisitorReturnsFalse() {
        putEntries("i", "01/aa", "02/aa", "03/aa", "04/aa");
        storage.read(tx -> {
            for (boolean reverse : List.of(false, true)) {
                List<String> seen = new ArrayList<>();
                tx.scanIndex("i", null, null, reverse, (key, id) -> {
                    seen.add(hex(key));
                    return seen.size() < 2;
                });
                assertThat(seen).containsExactlyElementsOf(reverse ? List.of("04", "03") : List.of("01", "02"));
            }
            return null;
        });
    }

    @Test
    void putIndexEntryIsIdempotentAndRemoveTakesExactlyOneEntry() {
        storage.write(tx -> {
            tx.putIndexEntry("i", bytes(1), utf8("a"));
            tx.putIndexEntry("i", bytes(1), utf8("a"));
            tx.putIndexEntry("i", bytes(1), utf8("b"));
            tx.putIndexEntry("i", bytes(2), utf8("a"));
            assertThat(scanIndex(tx, "i", null, null, false)).containsExactly("01/61", "01/62", "02/61");
            return null;
        });
        putEntries("i", "01/61");
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "i", null, null, false)))
                .containsExactly("01/61", "01/62", "02/61");
        storage.write(tx -> {
            tx.removeIndexEntry("i", bytes(1), utf8("zz")); // absent: nothing happens
            tx.removeIndexEntry("i", bytes(3), utf8("a"));
            tx.removeIndexEntry("other", bytes(1), utf8("a"));
            tx.removeIndexEntry("i", bytes(1), utf8("a"));
            tx.removeIndexEntry("i", bytes(1), utf8("a"));
            return null;
        });
        storage.read(tx -> {
            assertThat(scanIndex(tx, "i", null, null, false)).containsExactly("01/62", "02/61");
            // entries are not rows: no sequence number, no collection, no change
            assertThat(tx.lastSequence()).isZero();
            assertThat(tx.collections()).isEmpty();
            assertThat(changes(tx, 0, 10)).isEmpty();
            return null;
        });
    }

    @Test
    void putIndexEntriesAddsManyAtOnceIdempotently() {
        putEntries("i", "02/aa");
        storage.write(tx -> {
            tx.putIndexEntries(
                    "i",
                    List.of(bytes(3), bytes(2), bytes(1), bytes(3)),
                    List.of(bytes(0xaa), bytes(0xaa), bytes(0xbb), bytes(0xaa)));
            tx.putIndexEntries("i", List.of(), List.of());
            assertThatThrownBy(() -> tx.putIndexEntries("i", List.of(bytes(1)), List.of()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> tx.putIndexEntries(null, List.of(bytes(1)), List.of(bytes(1))))
                    .isInstanceOf(NullPointerException.class);
            return null;
        });
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "i", null, null, false)))
                .containsExactly("01/bb", "02/aa", "03/aa");
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.scanIndex("i", null, null, false, (k, id) -> {
                        tx.putIndexEntries("i", List.of(bytes(9)), List.of(bytes(9)));
                        return true;
                    });
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void emptyAndLargeKeysAndIdsAreEntriesLikeAnyOther() {
        byte[] big = new byte[64 * 1024];
        Arrays.fill(big, (byte) 0xab);
        storage.write(tx -> {
            tx.putIndexEntry("i", bytes(), bytes());
            tx.putIndexEntry("i", big, big);
            return null;
        });
        storage.read(tx -> {
            List<byte[]> keys = new ArrayList<>();
            tx.scanIndex("i", null, null, false, (key, id) -> keys.add(key) && keys.add(id));
            assertThat(keys).containsExactly(bytes(), bytes(), big, big);
            return null;
        });
    }

    @Test
    void dropIndexRemovesEveryEntryOfThatIndexOnly() {
        putEntries("c/a", "01/aa", "02/bb");
        putEntries("c/ab", "01/aa");
        putEntries("c/a/x", "01/aa");
        putEntries("d/a", "01/aa");
        storage.write(tx -> {
            tx.dropIndex("c/a");
            tx.dropIndex("never-existed");
            assertThat(scanIndex(tx, "c/a", null, null, false)).isEmpty();
            return null;
        });
        storage.read(tx -> {
            assertThat(scanIndex(tx, "c/a", null, null, false)).isEmpty();
            assertThat(scanIndex(tx, "c/ab", null, null, false)).containsExactly("01/aa");
            assertThat(scanIndex(tx, "c/a/x", null, null, false)).containsExactly("01/aa");
            assertThat(scanIndex(tx, "d/a", null, null, false)).containsExactly("01/aa");
            return null;
        });
        putEntries("c/a", "03/cc");
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "c/a", null, null, true)))
                .containsExactly("03/cc");
    }

    @Test
    void aWriteSeesItsOwnIndexChangesAndARollbackUndoesThem() {
        putEntries("i", "01/aa", "02/aa");
        putEntries("j", "01/aa");
        RuntimeException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.putIndexEntry("i", bytes(3), bytes(0xaa));
                    tx.removeIndexEntry("i", bytes(1), bytes(0xaa));
                    tx.dropIndex("j");
                    tx.putIndexEntry("k", bytes(9), bytes(0xaa));
                    assertThat(scanIndex(tx, "i", null, null, false)).containsExactly("02/aa", "03/aa");
                    assertThat(scanIndex(tx, "i", null, null, true)).containsExactly("03/aa", "02/aa");
                    assertThat(scanIndex(tx, "j", null, null, false)).isEmpty();
                    assertThat(scanIndex(tx, "k", null, null, false)).containsExactly("09/aa");
                    // a read inside the write sees the committed state
                    assertThat(storage.<List<String>>read(r -> scanIndex(r, "i", null, null, false)))
                            .containsExactly("01/aa", "02/aa");
                    throw boom;
                }))
                .isSameAs(boom);
        storage.read(tx -> {
            assertThat(scanIndex(tx, "i", null, null, false)).containsExactly("01/aa", "02/aa");
            assertThat(scanIndex(tx, "j", null, null, false)).containsExactly("01/aa");
            assertThat(scanIndex(tx, "k", null, null, false)).isEmpty();
            return null;
        });
    }

    @Test
    void aReadSnapshotDoesNotSeeIndexChangesCommittedAfterItStarted() throws Exception {
        putEntries("i", "01/aa", "02/aa");
        putEntries("j", "01/aa");
        CountDownLatch readStarted = new CountDownLatch(1);
        CountDownLatch committed = new CountDownLatch(1);
        Future<List<List<String>>> reader = executor.submit(() -> storage.read(tx -> {
            readStarted.countDown();
            Await.latch("committed", DEADLINE, committed);
            return List.of(
                    scanIndex(tx, "i", null, null, false),
                    scanIndex(tx, "i", null, null, true),
                    scanIndex(tx, "j", null, null, false),
                    scanIndex(tx, "k", null, null, false));
        }));
        Await.latch("readStarted", DEADLINE, readStarted);
        storage.write(tx -> {
            tx.putIndexEntry("i", bytes(3), bytes(0xaa));
            tx.removeIndexEntry("i", bytes(1), bytes(0xaa));
            tx.dropIndex("j");
            tx.putIndexEntry("k", bytes(1), bytes(0xaa));
            return null;
        });
        committed.countDown();
        assertThat(get(reader))
                .containsExactly(List.of("01/aa", "02/aa"), List.of("02/aa", "01/aa"), List.of("01/aa"), List.of());
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "i", null, null, false)))
                .containsExactly("02/aa", "03/aa");
    }

    @Test
    void aReadDoesNotSeeAConcurrentUncommittedIndexWrite() throws Exception {
        putEntries("i", "01/aa");
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch readDone = new CountDownLatch(1);
        Future<?> writer = executor.submit(() -> storage.write(tx -> {
            tx.putIndexEntry("i", bytes(2), bytes(0xaa));
            tx.removeIndexEntry("i", bytes(1), bytes(0xaa));
            written.countDown();
            Await.latch("readDone", DEADLINE, readDone);
            return null;
        }));
        Await.latch("written", DEADLINE, written);
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "i", null, null, false)))
                .containsExactly("01/aa");
        readDone.countDown();
        get(writer);
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "i", null, null, false)))
                .containsExactly("02/aa");
    }

    @Test
    void indexVisitorsMayReadButNotWrite() {
        putEntries("i", "01/aa", "02/bb");
        putEntries("j", "09/cc");
        put("c", "a", "1");
        storage.write(tx -> {
            List<String> pairs = new ArrayList<>();
            tx.scanIndex("i", null, null, true, (key, id) -> {
                // nested scans of every kind and point reads use their own cursors
                tx.scanIndex("j", null, null, false, (k2, id2) -> pairs.add(hex(key) + "+" + hex(k2)));
                tx.scanIndex("i", key, null, false, (k2, id2) -> pairs.add(hex(key) + ">" + hex(k2)));
                tx.scan("c", false, row -> true);
                assertThat(tx.get("c", utf8("a"))).isNotNull();
                return true;
            });
            assertThat(pairs).containsExactly("02+09", "02>02", "01+09", "01>01", "01>02");
            return null;
        });
        List<java.util.function.Consumer<WriteTx>> writes = List.of(
                tx -> tx.putIndexEntry("i", bytes(3), bytes(0xdd)),
                tx -> tx.removeIndexEntry("i", bytes(1), bytes(0xaa)),
                tx -> tx.dropIndex("j"),
                tx -> tx.put("c", utf8("b"), true, utf8("2")));
        for (java.util.function.Consumer<WriteTx> write : writes) {
            assertThatThrownBy(() -> storage.write(tx -> {
                        tx.putIndexEntry("i", bytes(4), bytes(0xee)); // rolled back with the failure
                        tx.scanIndex("i", null, null, false, (key, id) -> {
                            write.accept(tx);
                            return true;
                        });
                        return null;
                    }))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a scan");
        }
        assertThatThrownBy(() -> storage.write(tx -> {
                    tx.scan("c", false, row -> {
                        tx.putIndexEntry("i", row.id(), row.id());
                        return true;
                    });
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class);
        storage.read(tx -> {
            assertThat(scanIndex(tx, "i", null, null, false)).containsExactly("01/aa", "02/bb");
            assertThat(scanIndex(tx, "j", null, null, false)).containsExactly("09/cc");
            assertThat(ids(scan(tx, "c", false))).containsExactly("a");
            return null;
        });
        // once the visitor returned, writing is fine again
        storage.write(tx -> {
            List<byte[]> keys = new ArrayList<>();
            tx.scanIndex("i", null, null, false, (key, id) -> keys.add(key));
            for (byte[] key : keys) tx.putIndexEntry("copy", key, bytes(0));
            return null;
        });
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "copy", null, null, false)))
                .containsExactly("01/00", "02/00");
    }

    @Test
    void aReadTransactionRefusesIndexWritesAndALeakedOneRefusesScans() {
        putEntries("i", "01/aa");
        storage.read(tx -> {
            if (tx instanceof WriteTx w) {
                assertThatThrownBy(() -> w.putIndexEntry("i", bytes(2), bytes(0)))
                        .isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> w.removeIndexEntry("i", bytes(1), bytes(0xaa)))
                        .isInstanceOf(IllegalStateException.class);
                assertThatThrownBy(() -> w.dropIndex("i")).isInstanceOf(IllegalStateException.class);
            }
            return null;
        });
        ReadTx leaked = storage.read(tx -> tx);
        assertThatThrownBy(() -> leaked.scanIndex("i", null, null, false, (k, id) -> true))
                .isInstanceOf(IllegalStateException.class);
        WriteTx leakedWrite = storage.write(tx -> tx);
        assertThatThrownBy(() -> leakedWrite.putIndexEntry("i", bytes(2), bytes(0)))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> leakedWrite.dropIndex("i")).isInstanceOf(IllegalStateException.class);
        assertThat(storage.<List<String>>read(tx -> scanIndex(tx, "i", null, null, false)))
                .containsExactly("01/aa");
    }

    @Test
    void indexArraysAreCopiedInAndOutAndNullsAreRejected() {
        byte[] key = bytes(1);
        byte[] id = bytes(0xaa);
        storage.write(tx -> {
            tx.putIndexEntry("i", key, id);
            return null;
        });
        key[0] = 9;
        id[0] = 9;
        storage.read(tx -> {
            tx.scanIndex("i", null, null, false, (k, i) -> {
                k[0] = 7;
                i[0] = 7;
                return true;
            });
            assertThat(scanIndex(tx, "i", null, null, false)).containsExactly("01/aa");
            assertThatThrownBy(() -> tx.scanIndex(null, null, null, false, (k, i) -> true))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.scanIndex("i", null, null, false, null))
                    .isInstanceOf(NullPointerException.class);
            return null;
        });
        storage.write(tx -> {
            assertThatThrownBy(() -> tx.putIndexEntry(null, bytes(1), bytes(1)))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.putIndexEntry("i", null, bytes(1))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.putIndexEntry("i", bytes(1), null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.removeIndexEntry("i", null, bytes(1))).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.removeIndexEntry("i", bytes(1), null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> tx.dropIndex(null)).isInstanceOf(NullPointerException.class);
            return null;
        });
    }

    // ---- closing

    @Test
    void aClosedStorageRefusesEveryCallAndClosingTwiceIsFine() {
        put("c", "a", "1");
        storage.close();
        storage.close();
        assertThatThrownBy(() -> storage.read(tx -> null))
                .isInstanceOfSatisfying(
                        StorageException.class, e -> assertThat(e.code()).isEqualTo(StorageException.Code.CLOSED));
        assertThatThrownBy(() -> storage.write(tx -> null))
                .isInstanceOfSatisfying(
                        StorageException.class, e -> assertThat(e.code()).isEqualTo(StorageException.Code.CLOSED));
    }

    @Test
    void closeInsideAWriteIsRefused() {
        assertThatThrownBy(() -> storage.write(tx -> {
                    storage.close();
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(put("c", "a", "open")).isEqualTo(1);
    }

    @Test
    void closeInsideAReadIsRefused() {
        assertThatThrownBy(() -> storage.read(tx -> {
                    storage.close();
                    return null;
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(storage.<Long>read(ReadTx::lastSequence)).isZero();
    }

    @Test
    void closeWaitsForTheRunningWrite() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<Long> write = executor.submit(() -> storage.write(tx -> {
            inside.countDown();
            Await.latch("release", DEADLINE, release);
            return tx.put("c", utf8("a"), true, utf8("committed before close"));
        }));
        Await.latch("inside", DEADLINE, inside);
        Thread closer = new Thread(storage::close, "closer");
        closer.start();
        Await.parked(closer.getName() + " blocks", DEADLINE, closer);
        release.countDown();
        assertThat(get(write)).isEqualTo(1);
        closer.join(DEADLINE.toMillis());
        assertThat(closer.isAlive()).isFalse();
        assertThatThrownBy(() -> storage.read(tx -> null)).isInstanceOf(StorageException.class);
    }
}
