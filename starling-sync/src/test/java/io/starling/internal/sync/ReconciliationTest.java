package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.sync.Message.Ranges;
import io.starling.internal.sync.Message.Ranges.Children;
import io.starling.internal.sync.Message.Ranges.Fingerprint;
import io.starling.internal.sync.Message.Ranges.Implied;
import io.starling.internal.sync.Message.Ranges.Listed;
import io.starling.internal.sync.Message.Ranges.Open;
import io.starling.internal.sync.Message.Ranges.Split;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Range reconciliation without a session: random row sets with k differences of every kind, the two sides talking
 * through the wire codec; the sender must find exactly the rows the receiver holds byte for byte. Hostile answers
 * are refused with the close reason. Seeds are jqwik's (printed on failure).
 */
class ReconciliationTest {
    private static final MessageDigest SHA = Summaries.sha256();

    /** Rows by id (UTF-8), as the index sees them. */
    private static Reconciliation.Index index(Map<String, byte[]> rows) {
        long[] keys = new long[rows.size()], hashes = new long[rows.size()];
        int i = 0;
        long bytes = 0;
        for (Map.Entry<String, byte[]> e : rows.entrySet()) {
            byte[] id = e.getKey().getBytes(StandardCharsets.UTF_8);
            keys[i] = Reconciliation.keyOf(id);
            hashes[i++] = Summaries.rowHash(SHA, id, e.getValue());
            bytes += e.getValue().length;
        }
        return new Reconciliation.Index(keys, hashes, i, bytes);
    }

    /** What one reconciliation cost and found. */
    record Outcome(long[] intervals, int rounds, long receiverBytes, long senderBytes) {}

    /** Runs both sides to the end through the codec, as the session would. */
    static Outcome reconcile(Map<String, byte[]> receiver, Map<String, byte[]> sender, int frameLimit) {
        Reconciliation.Responder r = new Reconciliation.Responder("c", index(receiver));
        Reconciliation.Comparer s = new Reconciliation.Comparer("c", index(sender));
        int maxSplits = Reconciliation.maxSplits(frameLimit);
        Ranges m = r.open();
        int rounds = 0;
        long rb = 0, sb = 0;
        while (true) {
            rounds++;
            byte[] up = WireCodec.encode(m);
            assertThat(up.length).as("a message fits the frame").isLessThanOrEqualTo(frameLimit);
            rb += up.length + WireCodec.varLen(up.length);
            Ranges answer = s.onMessage((Ranges) WireCodec.decode(up), maxSplits);
            byte[] down = WireCodec.encode(answer);
            sb += down.length + WireCodec.varLen(down.length);
            Ranges next = r.onSplit((Split) ((Ranges) WireCodec.decode(down)).part(), maxSplits);
            if (next == null) break;
            assertThat(rounds).isLessThan(Reconciliation.MAX_ROUND);
            m = next;
        }
        assertThat(s.done()).isTrue();
        assertThat(r.done()).isTrue();
        return new Outcome(s.skipIntervals(), rounds, rb, sb);
    }

    /** Asserts that exactly the sender's rows the receiver holds identically are covered. */
    private static void assertExact(Map<String, byte[]> receiver, Map<String, byte[]> sender, long[] intervals) {
        for (Map.Entry<String, byte[]> e : sender.entrySet()) {
            byte[] theirs = receiver.get(e.getKey());
            boolean same = theirs != null && java.util.Arrays.equals(theirs, e.getValue());
            assertThat(Reconciliation.covers(intervals, e.getKey().getBytes(StandardCharsets.UTF_8)))
                    .as("row %s (held identically by the receiver: %s)", e.getKey(), same)
                    .isEqualTo(same);
        }
    }

    private static byte[] state(Random rnd) {
        byte[] b = new byte[8 + rnd.nextInt(40)];
        rnd.nextBytes(b);
        return b;
    }

    /**
     * {@code n} shared rows, then {@code k} differences: a state changed on either side (same id, different bytes),
     * a row only the sender holds, a row only the receiver holds.
     */
    static Map<String, byte[]>[] pair(long seed, int n, int k) {
        Random rnd = new Random(seed);
        Map<String, byte[]> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] st = state(rnd);
            a.put("doc" + i, st);
            b.put("doc" + i, st);
        }
        for (int j = 0; j < k; j++) {
            int kind = rnd.nextInt(3);
            String id = n > 0 && kind == 0 ? "doc" + rnd.nextInt(n) : "extra" + j;
            if (kind == 0) b.put(id, state(rnd));
            else if (kind == 1) b.put(id, state(rnd));
            else a.put(id, state(rnd));
        }
        @SuppressWarnings("unchecked")
        Map<String, byte[]>[] out = new Map[] {a, b};
        return out;
    }

    @Property(tries = 200)
    void theSenderLearnsExactlyTheRowsTheReceiverHolds(
            @ForAll long seed, @ForAll @IntRange(min = 0, max = 3000) int n, @ForAll @IntRange(max = 300) int k) {
        Map<String, byte[]>[] p = pair(seed, n, k);
        Outcome o = reconcile(p[0], p[1], 1 << 20);
        assertExact(p[0], p[1], o.intervals());
    }

    @Property(tries = 30)
    void theSmallestFrameLimitsSplitsButNeverSkipsADifference(
            @ForAll long seed, @ForAll @IntRange(min = 3000, max = 20_000) int n) {
        Map<String, byte[]>[] p = pair(seed, n, n / 2); // more differing ranges than one round may split
        Outcome o = reconcile(p[0], p[1], SessionConfig.MIN_FRAME);
        for (Map.Entry<String, byte[]> e : p[1].entrySet()) {
            byte[] theirs = p[0].get(e.getKey());
            boolean same = theirs != null && java.util.Arrays.equals(theirs, e.getValue());
            if (!same)
                assertThat(Reconciliation.covers(o.intervals(), e.getKey().getBytes(StandardCharsets.UTF_8)))
                        .as("seed %d: %s differs", seed, e.getKey())
                        .isFalse();
        }
    }

    @Test
    void identicalSetsTakeOneRoundAndAFewBytes() {
        Map<String, byte[]>[] p = pair(7, 10_000, 0);
        Outcome o = reconcile(p[0], p[1], 1 << 20);
        assertThat(o.rounds()).isEqualTo(1);
        assertThat(o.receiverBytes() + o.senderBytes()).isLessThan(30);
        assertExact(p[0], p[1], o.intervals());
        assertThat(o.intervals()).hasSize(2); // one interval: everything
    }

    @Test
    void emptyAndSingleRowSidesAreListed() {
        Map<String, byte[]> empty = new LinkedHashMap<>(), one = new LinkedHashMap<>();
        one.put("x", new byte[] {1});
        assertExact(one, one, reconcile(one, one, 1 << 20).intervals());
        assertExact(empty, one, reconcile(empty, one, 1 << 20).intervals());
        assertExact(one, empty, reconcile(one, empty, 1 << 20).intervals());
        Map<String, byte[]> other = Map.of("x", new byte[] {2});
        assertExact(one, other, reconcile(one, other, 1 << 20).intervals());
        assertThat(new Reconciliation.Responder("c", index(one)).open().part())
                .isEqualTo(new Open(new Listed(new long[] {index(one).hashes[0]})));
    }

    @Test
    void bytesAndRoundsGrowWithTheDifferencesNotTheRows() {
        // the figures of docs/SYNC-PROTOCOL.md ("Peers that never met: ranges"), at 100,000 rows
        for (int k : new int[] {1, 10, 100, 1000}) {
            Map<String, byte[]>[] p = pair(k, 100_000, k);
            Outcome o = reconcile(p[0], p[1], 1 << 20);
            System.out.printf(
                    "ReconciliationTest: 100000 rows, %d differences: %d rounds, %d B receiver -> sender, %d B back%n",
                    k, o.rounds(), o.receiverBytes(), o.senderBytes());
            assertExact(p[0], p[1], o.intervals());
            assertThat(o.rounds()).isLessThanOrEqualTo(18);
            assertThat(o.receiverBytes() + o.senderBytes()).isLessThan(300L * k + 200);
        }
    }

    @Test
    void aMillionRowsCostSixteenBytesEachAndAFewMoreRounds() {
        // synthetic rows (random id hashes and row hashes): the index and the protocol without SHA-256 or a store
        int n = 1_000_000, k = 10;
        Random rnd = new Random(1);
        long[] keys = new long[n], hashes = new long[n];
        for (int i = 0; i < n; i++) {
            keys[i] = rnd.nextLong();
            hashes[i] = rnd.nextLong();
        }
        long[] sKeys = keys.clone(), sHashes = hashes.clone();
        long[] changed = new long[k];
        for (int j = 0; j < k; j++) {
            int i = rnd.nextInt(n);
            sHashes[i] = rnd.nextLong(); // the sender holds another state of row i
            changed[j] = sKeys[i];
        }
        long t0 = System.nanoTime();
        Reconciliation.Index theirs = new Reconciliation.Index(keys, hashes, n, 0);
        long t1 = System.nanoTime();
        Reconciliation.Index ours = new Reconciliation.Index(sKeys, sHashes, n, 0);
        Reconciliation.Responder r = new Reconciliation.Responder("c", theirs);
        Reconciliation.Comparer s = new Reconciliation.Comparer("c", ours);
        int maxSplits = Reconciliation.maxSplits(1 << 20);
        Ranges m = r.open();
        int rounds = 0;
        long bytes = 0;
        while (true) {
            rounds++;
            bytes += WireCodec.encode(m).length;
            Ranges answer = s.onMessage(m, maxSplits);
            bytes += WireCodec.encode(answer).length;
            Ranges next = r.onSplit((Split) answer.part(), maxSplits);
            if (next == null) break;
            m = next;
        }
        long t2 = System.nanoTime();
        long[] iv = s.skipIntervals();
        System.out.printf(
                "ReconciliationTest: 1,000,000 rows, %d differences: index of %d MB sorted in %d ms; %d rounds, %d B,"
                        + " %d ms both sides; %d skip intervals%n",
                k, (16L * n) >> 20, (t1 - t0) / 1_000_000, rounds, bytes, (t2 - t1) / 1_000_000, iv.length / 2);
        for (long key : changed) assertThat(Reconciliation.coversKey(iv, key)).isFalse();
        assertThat(Reconciliation.coversKey(iv, sKeys[rnd.nextInt(n)])).isTrue(); // almost surely an unchanged row
        assertThat(iv.length / 2).isLessThanOrEqualTo(k + 1);
    }

    // ---- hostile answers ------------------------------------------------------------------------------

    @Test
    void aSplitThatDoesNotAnswerOurLastMessageIsRefused() {
        Map<String, byte[]>[] p = pair(3, 1000, 10);
        Reconciliation.Responder r = new Reconciliation.Responder("c", index(p[0]));
        r.open(); // one fingerprinted range
        assertRefused(() -> r.onSplit(new Split(2, bits(0, 1)), 100), SyncSession.MALFORMED, "we described 1");
        Reconciliation.Responder r2 = new Reconciliation.Responder("c", index(p[0]));
        r2.open();
        Children c = (Children) java.util.Objects.requireNonNull(r2.onSplit(new Split(1, bits(0)), 100))
                .part();
        int ranges = 0;
        for (List<Ranges.Range> node : c.nodes()) {
            for (Ranges.Range x : node) if (x instanceof Fingerprint || x instanceof Implied) ranges++;
        }
        int fingerprinted = ranges;
        assertRefused(
                () -> r2.onSplit(new Split(fingerprinted, bits(0, 1, 2)), 2), SyncSession.MALFORMED, "more than 2");
    }

    @Test
    void aSplitOfARangeAtTheLastDepthIsRefused() {
        // three rows with one id hash stay together down to the last depth, where they are fingerprinted
        long[] keys = {5, 5, 5}, hashes = {1, 2, 3};
        Reconciliation.Responder r = new Reconciliation.Responder("c", new Reconciliation.Index(keys, hashes, 3, 3));
        assertThat(r.open().part()).isInstanceOf(Open.class);
        for (int depth = 0; depth < Reconciliation.MAX_DEPTH; depth++) {
            Ranges next = r.onSplit(new Split(1, bits(0)), 100);
            assertThat(next).isNotNull();
        }
        assertRefused(() -> r.onSplit(new Split(1, bits(0)), 100), SyncSession.MALFORMED, "last depth");
    }

    @Test
    void theComparerRefusesSkippedRoundsWrongCountsAndMessagesAfterTheEnd() {
        Map<String, byte[]>[] p = pair(4, 1000, 10);
        Reconciliation.Comparer s = new Reconciliation.Comparer("c", index(p[1]));
        assertRefused(
                () -> s.onMessage(new Ranges("c", 2, new Children(List.of())), 100),
                SyncSession.OUT_OF_ORDER,
                "round 2");
        Ranges split = s.onMessage(new Reconciliation.Responder("c", index(p[0])).open(), 100);
        assertThat(((Split) split.part()).split().cardinality()).isEqualTo(1);
        List<Ranges.Range> node = List.of(new Fingerprint(1), new Fingerprint(2), new Fingerprint(3), new Implied());
        assertRefused(
                () -> s.onMessage(new Ranges("c", 2, new Children(List.of(node, node))), 100),
                SyncSession.MALFORMED,
                "we asked for 1");

        Reconciliation.Comparer same = new Reconciliation.Comparer("c", index(p[1]));
        Ranges done = same.onMessage(new Reconciliation.Responder("c", index(p[1])).open(), 100);
        assertThat(((Split) done.part()).split().isEmpty()).isTrue();
        assertThat(same.done()).isTrue();
        assertRefused(
                () -> same.onMessage(new Ranges("c", 2, new Children(List.of())), 100),
                SyncSession.MALFORMED,
                "after they were reconciled");
    }

    @Test
    void rowsSharingAnIdHashAreNeverCoveredUnlessAllAreShown() {
        // two rows with one key on the sender, the receiver holds only one of them (a 64-bit collision, forced)
        long[] sk = {9, 9, 10}, sh = {100, 200, 300};
        long[] rk = {9, 10}, rh = {100, 300};
        Reconciliation.Comparer s = new Reconciliation.Comparer("c", new Reconciliation.Index(sk, sh, 3, 3));
        Reconciliation.Responder r = new Reconciliation.Responder("c", new Reconciliation.Index(rk, rh, 2, 2));
        Ranges m = r.open();
        while (true) {
            Ranges answer = s.onMessage(m, 100);
            Ranges next = r.onSplit((Split) answer.part(), 100);
            if (next == null) break;
            m = next;
        }
        long[] iv = s.skipIntervals();
        // key 10 (row 300) is shown; key 9 is shared by a row the receiver lacks: not covered
        assertThat(iv).containsExactly(10, 10);
    }

    private static BitSet bits(int... set) {
        BitSet b = new BitSet();
        for (int i : set) b.set(i);
        return b;
    }

    private static void assertRefused(Runnable r, String reason, String text) {
        assertThatThrownBy(r::run)
                .isInstanceOf(WireException.class)
                .hasMessageContaining(text)
                .satisfies(e -> assertThat(((WireException) e).reason()).isEqualTo(reason));
    }
}
