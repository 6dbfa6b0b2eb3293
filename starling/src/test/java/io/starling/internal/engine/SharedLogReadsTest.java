package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Permissions;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteIdentity;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.SyncStoreView.Row;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One change-log read shared by the sessions at the same cursor: what is shared is the log, and each session still
 * sends only what its remote subscribed to and may read.
 */
class SharedLogReadsTest {
    private static final Permissions OWN_TASKS = Permissions.parse(Value.fromJava(Map.of(
            "read", Map.of("queriesByCollection", Map.of("tasks", List.of("owner = :userId"))),
            "write", Map.of("queriesByCollection", Map.of("tasks", List.of("owner = :userId"))))));

    private final List<DefaultStarling> peers = new ArrayList<>();

    @AfterEach
    void close() {
        peers.forEach(DefaultStarling::close);
    }

    private DefaultStarling peer() {
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("fanout").build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
        peers.add(p);
        return p;
    }

    /** The hub's session with a device and the device's session with the hub, and what is in flight. */
    private record Link(SyncSession hub, SyncSession device, ArrayDeque<byte[]> toHub, ArrayDeque<byte[]> toDevice) {}

    private static Link link(DefaultStarling hub, DefaultStarling device, Principal deviceAtHub, Subscription sub) {
        SyncSession h = new SyncSession(
                hub.syncStore(),
                SessionConfig.defaults(),
                SessionListener.NONE,
                new RemoteIdentity(device.config().siteId().getAsLong(), deviceAtHub));
        SyncSession d = new SyncSession(
                device.syncStore(),
                SessionConfig.defaults(),
                SessionListener.NONE,
                new RemoteIdentity(hub.config().siteId().getAsLong(), Principal.UNRESTRICTED));
        d.setSubscriptions(List.of(sub));
        Link l = new Link(h, d, new ArrayDeque<>(), new ArrayDeque<>());
        send(h, h.start(), l.toDevice());
        send(d, d.start(), l.toHub());
        return l;
    }

    private static void send(SyncSession from, List<Message> out, ArrayDeque<byte[]> to) {
        for (Message m : out) to.add(from.encode(m));
    }

    /** Relays every link's messages until none is in flight. */
    private static void settle(List<Link> links) {
        for (int steps = 0; ; steps++) {
            assertThat(steps).as("quiescence").isLessThan(10_000);
            boolean moved = false;
            for (Link l : links) {
                if (!l.toDevice().isEmpty()) {
                    send(l.device(), l.device().onFrame(l.toDevice().poll()), l.toHub());
                    moved = true;
                }
                if (!l.toHub().isEmpty()) {
                    send(l.hub(), l.hub().onFrame(l.toHub().poll()), l.toDevice());
                    moved = true;
                }
            }
            if (!moved) break;
        }
        for (Link l : links) assertThat(l.hub().isClosed()).isFalse();
    }

    private static void insert(DefaultStarling p, String id, String owner) {
        p.store()
                .execute(
                        "INSERT INTO tasks DOCUMENTS (:d) ON ID CONFLICT DO UPDATE",
                        Map.of("d", Map.of("_id", id, "owner", owner)));
    }

    private static Set<String> ids(DefaultStarling p) {
        Set<String> out = new TreeSet<>();
        for (var item : p.store().execute("SELECT * FROM tasks").items()) {
            out.add(String.valueOf(item.value().get("_id")));
        }
        return out;
    }

    @Test
    void sessionsShareOneReadButEachGetsOnlyWhatItsSubscriptionAndPermissionsAllow() {
        DefaultStarling hub = peer(), alice = peer(), bob = peer(), carol = peer();
        Subscription all = Subscription.of("tasks", "SELECT * FROM tasks", Value.Obj.EMPTY);
        Subscription bobs = Subscription.of(
                "tasks", "SELECT * FROM tasks WHERE owner = :o", (Value.Obj) Value.fromJava(Map.of("o", "bob")));
        // alice subscribes to everything but may read only her own tasks; bob may read everything but subscribes
        // to his own; carol subscribes to and may read everything
        List<Link> links = List.of(
                link(hub, alice, hub.syncStore().principal("alice", Value.Obj.EMPTY, OWN_TASKS), all),
                link(hub, bob, Principal.UNRESTRICTED, bobs),
                link(hub, carol, Principal.UNRESTRICTED, all));
        settle(links);

        SharedLogReads reads = hub.syncStore().logReads();
        long sharedBefore = reads.shared();
        for (int round = 0; round < 3; round++) {
            insert(hub, "a" + round, "alice");
            insert(hub, "b" + round, "bob");
            insert(hub, "c" + round, "carol");
            // the three sessions are woken for the same commits, at the same cursor, as the sync thread does
            for (Link l : links) send(l.hub(), l.hub().onLocalChange(), l.toDevice());
            settle(links);
        }

        assertThat(reads.shared() - sharedBefore)
                .as("sessions at the same cursor read the log once between them")
                .isPositive();
        assertThat(ids(alice)).containsExactly("a0", "a1", "a2");
        assertThat(ids(bob)).containsExactly("b0", "b1", "b2");
        assertThat(ids(carol)).containsExactly("a0", "a1", "a2", "b0", "b1", "b2", "c0", "c1", "c2");
    }

    @Test
    void aSessionWokenAfterACommitNeverGetsAnAnswerReadBeforeIt() {
        DefaultStarling hub = peer(), carol = peer(), dave = peer();
        Subscription all = Subscription.of("tasks", "SELECT * FROM tasks", Value.Obj.EMPTY);
        List<Link> links =
                List.of(link(hub, carol, Principal.UNRESTRICTED, all), link(hub, dave, Principal.UNRESTRICTED, all));
        settle(links);
        insert(hub, "t1", "x");
        // carol's session reads (and the answer is kept); then another commit, then dave's session is woken
        send(
                links.get(0).hub(),
                links.get(0).hub().onLocalChange(),
                links.get(0).toDevice());
        insert(hub, "t2", "x");
        send(
                links.get(1).hub(),
                links.get(1).hub().onLocalChange(),
                links.get(1).toDevice());
        settle(links);
        assertThat(ids(dave)).as("dave was woken after t2 committed").containsExactly("t1", "t2");
        send(
                links.get(0).hub(),
                links.get(0).hub().onLocalChange(),
                links.get(0).toDevice());
        settle(links);
        assertThat(ids(carol)).containsExactly("t1", "t2");
    }

    @Test
    void resumedSessionsShareOneDeltaPerChangedRowEqualToTheOneComputedAlone() {
        DefaultStarling hub = peer(), alice = peer(), bob = peer(), carol = peer();
        Subscription all = Subscription.of("tasks", "SELECT * FROM tasks", Value.Obj.EMPTY);
        for (int i = 0; i < 4; i++) {
            hub.store()
                    .execute(
                            "INSERT INTO tasks DOCUMENTS (:d)",
                            Map.of("d", Map.of("_id", "t" + i, "owner", "x", "title", "a title long enough " + i)));
        }
        DefaultStarling[] devices = {alice, bob, carol};
        List<Link> first = new ArrayList<>();
        for (DefaultStarling d : devices) first.add(link(hub, d, Principal.UNRESTRICTED, all));
        settle(first);

        // the devices come back after two one-field changes: their sessions resume from their checkpoints
        hub.store().execute("UPDATE tasks SET owner = 'y' WHERE _id = 't1' OR _id = 't3'");
        List<Link> again = new ArrayList<>();
        List<List<Message.DeltaEntry>> sent = new ArrayList<>();
        for (DefaultStarling d : devices) {
            Link l = link(hub, d, Principal.UNRESTRICTED, all);
            again.add(l);
            sent.add(new ArrayList<>());
        }
        for (int steps = 0; ; steps++) { // settle(), keeping the deltas each hub session sent
            assertThat(steps).as("quiescence").isLessThan(10_000);
            boolean moved = false;
            for (int i = 0; i < again.size(); i++) {
                Link l = again.get(i);
                if (!l.toHub().isEmpty()) {
                    List<Message> out = l.hub().onFrame(l.toHub().poll());
                    for (Message m : out) {
                        if (!(m instanceof Message.Batch b)) continue;
                        for (Message.Entry e : b.entries()) {
                            if (e instanceof Message.DeltaEntry delta)
                                sent.get(i).add(delta);
                        }
                    }
                    send(l.hub(), out, l.toDevice());
                    moved = true;
                }
                if (!l.toDevice().isEmpty()) {
                    send(l.device(), l.device().onFrame(l.toDevice().poll()), l.toHub());
                    moved = true;
                }
            }
            if (!moved) break;
        }

        for (int i = 0; i < devices.length; i++) {
            assertThat(again.get(i).hub().subscriptionsResumed())
                    .as("a resumed device sends a marker for its unchanged subscriptions")
                    .isEqualTo(1);
            assertThat(sent.get(i)).hasSize(2);
            assertThat(again.get(i).device().deltasApplied()).isEqualTo(2);
            assertThat(ids(devices[i])).containsExactly("t0", "t1", "t2", "t3");
        }
        for (int k = 0; k < 2; k++) {
            Message.DeltaEntry delta = sent.get(0).get(k);
            // one computation for the three sessions: the very same array
            assertThat(sent.get(1).get(k).delta()).isSameAs(delta.delta());
            assertThat(sent.get(2).get(k).delta()).isSameAs(delta.delta());
            // and what a session computing it alone would have sent
            Row row = hub.syncStore().rowOf("tasks", delta.id());
            DocumentState state = DocumentState.decode(row.state());
            assertThat(delta.delta())
                    .isEqualTo(state.writtenSince(state.maxStamp()).encode());
            assertThat(devices[0].syncStore().stateOf("tasks", delta.id())).isEqualTo(row.state());
        }
    }

    private static Row row(long seq) {
        return new Row(seq, seq, "c", new byte[] {(byte) seq}, true, new byte[] {1, 2, 3});
    }

    private static List<Row> rows(long after, int max, long last) {
        List<Row> out = new ArrayList<>();
        for (long s = after + 1; s <= last && out.size() < max; s++) out.add(row(s));
        return out;
    }

    @Test
    void answersServeShorterRequestsAndLongerOnesOnlyWhenTheyReachedTheEnd() {
        SharedLogReads cache = new SharedLogReads();
        long[] last = {10};
        int[] reads = {0};
        java.util.function.BiFunction<Long, Integer, List<Row>> read = (after, max) -> {
            reads[0]++;
            return rows(after, max, last[0]);
        };
        assertThat(cache.changesSince(0, 4, read)).hasSize(4);
        assertThat(cache.changesSince(0, 2, read)).extracting(Row::sequence).containsExactly(1L, 2L);
        assertThat(reads[0]).isEqualTo(1);
        assertThat(cache.changesSince(0, 8, read))
                .as("the kept answer was cut at 4")
                .hasSize(8);
        assertThat(reads[0]).isEqualTo(2);
        assertThat(cache.changesSince(8, 100, read)).extracting(Row::sequence).containsExactly(9L, 10L);
        assertThat(cache.changesSince(8, 500, read))
                .as("that answer reached the end")
                .hasSize(2);
        assertThat(reads[0]).isEqualTo(3);

        last[0] = 12;
        cache.invalidate();
        assertThat(cache.changesSince(8, 100, read)).extracting(Row::sequence).containsExactly(9L, 10L, 11L, 12L);
        assertThat(reads[0]).isEqualTo(4);
    }

    @Test
    void anAnswerReadWhileACommitLandsIsNotKept() {
        SharedLogReads cache = new SharedLogReads();
        long[] last = {3};
        int[] reads = {0};
        java.util.function.BiFunction<Long, Integer, List<Row>> racing = (after, max) -> {
            reads[0]++;
            List<Row> snapshot = rows(after, max, last[0]);
            if (reads[0] == 1) { // a commit lands (and is announced) after this read's snapshot was taken
                last[0] = 4;
                cache.invalidate();
            }
            return snapshot;
        };
        assertThat(cache.changesSince(0, 100, racing)).hasSize(3);
        assertThat(cache.changesSince(0, 100, racing))
                .as("read again: the first answer lacks row 4")
                .hasSize(4);
        assertThat(reads[0]).isEqualTo(2);
    }

    @Test
    void theHeldCollectionsAreReadOncePerCommit() {
        SharedLogReads cache = new SharedLogReads();
        List<String> held = new ArrayList<>(List.of("a"));
        int[] reads = {0};
        java.util.function.Supplier<List<String>> read = () -> {
            reads[0]++;
            return List.copyOf(held);
        };
        assertThat(cache.holdsAny("a", read)).isTrue();
        assertThat(cache.holdsAny("b", read)).isFalse();
        assertThat(reads[0]).isEqualTo(1);
        held.add("b");
        cache.invalidate(); // the commit that wrote the first document of b
        assertThat(cache.holdsAny("b", read)).isTrue();
        assertThat(reads[0]).isEqualTo(2);
    }

    @Test
    void theMemoComputesOncePerStateObjectAndNeverForAnEqualCopy() {
        SharedLogReads cache = new SharedLogReads();
        byte[] state = {1, 2, 3};
        int[] computed = {0};
        java.util.function.Supplier<Long> digest = () -> (long) ++computed[0];
        assertThat(cache.memo(state, digest, Long.class)).isEqualTo(1L);
        assertThat(cache.memo(state, digest, Long.class)).isEqualTo(1L);
        assertThat(cache.memo(state.clone(), digest, Long.class))
                .as("another row's bytes, equal or not, are another key")
                .isEqualTo(2L);
        assertThat(cache.memo(state, () -> "a decoded document", String.class))
                .as("a result of another kind for the same bytes")
                .isEqualTo("a decoded document");
        for (int i = 0; i < SharedLogReads.MEMO_ENTRIES; i++) cache.memo(new byte[] {9}, digest, Long.class);
        assertThat(cache.memo(state, digest, Long.class))
                .as("bounded: the oldest went")
                .isGreaterThan(2L);
        assertThat(cache.memoKept()[0]).isEqualTo(SharedLogReads.MEMO_ENTRIES);
    }

    @Test
    void everyDocumentOfABigCommitIsDecodedOnceForAllTheSessionsThatReadIt() {
        SharedLogReads cache = new SharedLogReads();
        List<byte[]> commit = new ArrayList<>();
        for (int i = 0; i < 1000; i++) commit.add(new byte[200]);
        int[] computed = {0};
        for (int session = 0; session < 3; session++) {
            for (byte[] state : commit) {
                assertThat(cache.memo(state, () -> "doc" + ++computed[0], String.class))
                        .isNotNull();
                assertThat(cache.memo(state, () -> (long) ++computed[0], Long.class))
                        .isNotNull();
            }
        }
        assertThat(computed[0])
                .as("two kinds per state, once each, not once per session")
                .isEqualTo(2000);
    }

    @Test
    void theMemoKeepsAtMostItsByteBudgetOfStates() {
        SharedLogReads cache = new SharedLogReads();
        int size = (int) (SharedLogReads.MEMO_BYTES / 10);
        for (int i = 0; i < 25; i++) {
            cache.memo(new byte[size], () -> 1L, Long.class);
            assertThat(cache.memoKept()[1]).isLessThanOrEqualTo(SharedLogReads.MEMO_BYTES);
        }
        assertThat(cache.memoKept()[0]).isEqualTo(10);
        byte[] huge = new byte[(int) SharedLogReads.MEMO_BYTES + 1];
        int[] computed = {0};
        cache.memo(huge, () -> (long) ++computed[0], Long.class);
        cache.memo(huge, () -> (long) ++computed[0], Long.class);
        assertThat(computed[0]).as("a state larger than the budget is not kept").isEqualTo(2);
        assertThat(cache.memoKept()[0]).as("and evicts nothing").isEqualTo(10);
    }

    @Test
    void theKeptAnswersHoldAtMostTheirByteBudget() {
        SharedLogReads cache = new SharedLogReads();
        byte[] big = new byte[(int) (SharedLogReads.MAX_BYTES / 10)];
        java.util.function.BiFunction<Long, Integer, List<Row>> read =
                (after, max) -> List.of(new Row(after + 1, after + 1, "c", new byte[] {1}, true, big));
        for (long cursor = 0; cursor < 40; cursor++) {
            cache.changesSince(cursor, 1, read);
            assertThat(cache.keptBytes()).isLessThanOrEqualTo(SharedLogReads.MAX_BYTES);
        }
        assertThat(cache.keptBytes()).as("the most recent answers are kept").isPositive();
        List<Row> huge = List.of(new Row(1, 1, "c", new byte[] {1}, true, new byte[(int) SharedLogReads.MAX_BYTES]));
        assertThat(cache.changesSince(100, 1, (after, max) -> huge)).isEqualTo(huge);
        assertThat(cache.keptBytes()).isLessThanOrEqualTo(SharedLogReads.MAX_BYTES);
    }
}
