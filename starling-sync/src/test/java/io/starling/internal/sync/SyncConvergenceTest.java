package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.SyncStoreView.DocRef;
import io.starling.internal.sync.SyncStoreView.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.statistics.Statistics;

/**
 * Convergence under hostile conditions: 2–4 fake stores with random local writes (insert, update, delete, small
 * transactions, now and then a state larger than a frame), random subscriptions that change, random connects and
 * disconnects, a network that drops, duplicates and reorders messages, stalls that time out and a store that
 * refuses merges for a while (clock drift). Then every pair connects over a reliable link until nothing moves, and
 * the stores must agree:
 *
 * <ol>
 *   <li>what one store holds and another subscribes to (a live document matching one of its subscriptions, or a
 *       tombstone in a subscribed collection) is held by the subscriber, merged in: its state absorbs the other's;</li>
 *   <li>two stores that both hold a document and both subscribe to its collection hold byte-identical states —
 *       in particular every document both subscribe to.</li>
 * </ol>
 *
 * The seed of a failing run is the jqwik sample ({@code seed}); the assertion messages name the stores and the document.
 */
class SyncConvergenceTest {
    private static final String[] COLLECTIONS = {"a", "b"};
    private static final List<Subscription> MENU = List.of(
            SyncSessionTest.sub("a", "*"),
            SyncSessionTest.sub("a", "k = 0"),
            SyncSessionTest.sub("a", "k = 1"),
            SyncSessionTest.sub("b", "*"),
            SyncSessionTest.sub("b", "k = 2"),
            SyncSessionTest.sub("b", "k = 0"));

    @Property(tries = 250)
    void storesConverge(@ForAll long seed) {
        Net net = run(seed);
        // what the runs went through (jqwik prints the table): closes by reason, requests, parts
        for (Net.Conn c : net.conns) {
            for (Net.Recorder rec : List.of(c.ra, c.rb)) {
                if (rec.closedReason != null && !rec.closedByRemote)
                    Statistics.label("closed").collect(rec.closedReason);
            }
        }
        Statistics.label("requests answered")
                .collect(net.conns.stream()
                        .anyMatch(c -> c.fromA.sent.stream().anyMatch(m -> m instanceof Message.Docs)));
        Statistics.label("states in parts")
                .collect(net.conns.stream().anyMatch(c -> c.fromA.parts + c.fromB.parts > 0));
        boolean skipped = net.conns.stream()
                .anyMatch(c -> c.sa.sender().summarySkipped() + c.sb.sender().summarySkipped() > 0);
        Statistics.label("rows skipped by a summary").collect(skipped);
        Statistics.label("rows skipped by a summary")
                .coverage(cov -> cov.check(true).count(k -> k > 10));
    }

    /** Many more histories, with {@code mvn -Pslow}. */
    @Tag("slow")
    @Property(tries = 20_000)
    void storesConvergeSoak(@ForAll long seed) {
        run(seed);
    }

    static Net run(long seed) {
        Random r = new Random(seed);
        int n = 2 + r.nextInt(3);
        List<FakeStore> stores = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            FakeStore s = new FakeStore(i + 1);
            s.subscriptions = randomSubscriptions(r);
            stores.add(s);
        }
        Net net = new Net(seed).faults(r.nextDouble() * 0.08, r.nextDouble() * 0.1, r.nextDouble() * 0.1);
        SessionConfig config = SessionConfig.builder()
                .maxFrameBytes(64 << 10)
                .batchBytes(4096 + r.nextInt(8192))
                .window(1 + r.nextInt(4))
                .helloTimeoutMillis(3_000)
                .progressTimeoutMillis(5_000)
                .echoEntries(r.nextBoolean() ? 100 : 100_000)
                .summaryRatio(Math.floorMod(seed, 3) == 0 ? 4 : 0) // small histories: summaries only when forced
                .build();
        long[] hlc = {1000};

        int steps = 200 + r.nextInt(500);
        for (int step = 0; step < steps; step++) {
            int action = r.nextInt(100);
            if (action < 25) {
                FakeStore s = stores.get(r.nextInt(n));
                write(s, r, hlc);
                net.localChange(s);
            } else if (action < 33) {
                FakeStore x = stores.get(r.nextInt(n)), y = stores.get(r.nextInt(n));
                if (x != y && !connected(net, x, y)) net.connect(x, y, config, true);
            } else if (action < 37) {
                List<Net.Conn> open = net.open();
                if (!open.isEmpty()) open.get(r.nextInt(open.size())).disconnect();
            } else if (action < 41) {
                FakeStore s = stores.get(r.nextInt(n));
                net.setSubscriptions(s, randomSubscriptions(r));
            } else if (action < 46) {
                net.tick(100 + r.nextInt(3000));
            } else if (action < 47) {
                FakeStore s = stores.get(r.nextInt(n));
                s.rejectAll = !s.rejectAll;
            } else {
                for (int k = 1 + r.nextInt(6); k > 0; k--) net.step();
            }
        }

        // the reliable phase: every pair connected, until nothing moves
        for (Net.Conn c : net.open()) c.disconnect();
        for (FakeStore s : stores) s.rejectAll = false;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) net.connect(stores.get(i), stores.get(j), config, false);
        }
        for (int round = 0; ; round++) {
            int moved = net.runUntilQuiet();
            long before = sentCount(net);
            net.tick(100);
            if (moved == 0 && sentCount(net) == before) break;
            assertThat(round).as("seed %d: quiet within 50 rounds", seed).isLessThan(50);
        }
        for (Net.Conn c : net.open()) {
            assertThat(c.sa.isClosed() || c.sb.isClosed())
                    .as("seed %d: reliable sessions stay open: %s %s", seed, c.ra.events, c.rb.events)
                    .isFalse();
        }
        check(seed, stores);
        return net;
    }

    private static long sentCount(Net net) {
        long n = 0;
        for (Net.Conn c : net.conns) n += c.fromA.sent.size() + c.fromB.sent.size();
        return n;
    }

    private static boolean connected(Net net, FakeStore x, FakeStore y) {
        for (Net.Conn c : net.open()) {
            if (c.a == x && c.b == y || c.a == y && c.b == x) return true;
        }
        return false;
    }

    private static List<Subscription> randomSubscriptions(Random r) {
        List<Subscription> l = new ArrayList<>();
        for (Subscription s : MENU) {
            if (r.nextInt(10) < 3) l.add(s);
        }
        return l;
    }

    /** One local transaction of 1–3 writes with increasing stamps. */
    private static void write(FakeStore s, Random r, long[] hlc) {
        FakeStore.Txn txn = s.txn();
        for (int w = r.nextInt(5) == 0 ? 1 + r.nextInt(3) : 1; w > 0; w--) {
            String c = COLLECTIONS[r.nextInt(COLLECTIONS.length)];
            String id = "d" + r.nextInt(8);
            int op = r.nextInt(10);
            if (op < 4) {
                Object pad = r.nextInt(60) == 0
                        ? "x".repeat(70_000 + r.nextInt(20_000))
                        : "v" + r.nextInt(100); // now and then larger than a frame
                txn.insert(c, id, SyncSessionTest.obj("k", r.nextInt(3), "v", pad), hlc[0]++);
            } else if (op < 8) {
                txn.update(c, id, r.nextBoolean() ? "k" : "w", Value.of(r.nextInt(3)), hlc[0]++);
            } else {
                txn.delete(c, id, hlc[0]++);
            }
        }
    }

    private static boolean subscribesTo(FakeStore s, String collection) {
        for (Subscription sub : s.subscriptions) {
            if (sub.collection().equals(collection)) return true;
        }
        return false;
    }

    /** Whether {@code subscriber} should receive this state: a tombstone in a subscribed collection, or a match. */
    private static boolean wants(FakeStore subscriber, DocRef ref, byte[] state) {
        DocumentState d = DocumentState.decode(state);
        Row row = new Row(0, 0, ref.collection(), ref.id(), d.exists(), state);
        if (!d.exists()) return subscribesTo(subscriber, ref.collection());
        for (Subscription sub : subscriber.subscriptions) {
            if (subscriber.matches(sub, row)) return true;
        }
        return false;
    }

    private static void check(long seed, List<FakeStore> stores) {
        for (FakeStore holder : stores) {
            for (Map.Entry<DocRef, byte[]> e : holder.all().entrySet()) {
                DocRef ref = e.getKey();
                byte[] theirs = e.getValue();
                for (FakeStore other : stores) {
                    if (other == holder) continue;
                    byte[] ours = other.bytes(ref);
                    String what = "seed " + seed + ": " + ref + " held by " + holder + " ("
                            + DocumentState.decode(theirs)
                            + "), at " + other + " "
                            + (ours == null
                                    ? "absent"
                                    : DocumentState.decode(ours).toString())
                            + "; subscriptions " + other.subscriptions.size() + "/" + holder.subscriptions.size();
                    if (wants(other, ref, theirs)) {
                        assertThat(ours).as("1. delivered: " + what).isNotNull();
                        byte[] merged = DocumentState.decode(ours)
                                .merge(DocumentState.decode(theirs))
                                .encode();
                        assertThat(merged).as("1. absorbed: " + what).isEqualTo(ours);
                    }
                    if (ours != null
                            && subscribesTo(other, ref.collection())
                            && subscribesTo(holder, ref.collection())) {
                        assertThat(Arrays.equals(ours, theirs))
                                .as("2. identical: " + what)
                                .isTrue();
                    }
                }
            }
        }
    }
}
