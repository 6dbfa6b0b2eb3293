package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.StarlingConfig;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteIdentity;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's side of permissions in sync: its principal over a permission set (the conditions evaluated by the
 * query layer on decoded documents) filters what a session sends and, in the applying transaction, what it applies;
 * and a peer whose permissions changed forgets its checkpoints. Sessions are driven by hand, back to back.
 */
class EnginePermissionsTest {
    private static final Permissions OWN_TASKS = Permissions.parse(Value.fromJava(Map.of(
            "read", Map.of("queriesByCollection", Map.of("tasks", List.of("owner = :userId"))),
            "write", Map.of("queriesByCollection", Map.of("tasks", List.of("owner = :userId"))))));

    private final List<DefaultStarling> peers = new ArrayList<>();

    private DefaultStarling peer() {
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("perm").build(),
                Path.of("memory"),
                new InMemoryStorage(),
                Clock.systemUTC());
        peers.add(p);
        return p;
    }

    @AfterEach
    void close() {
        peers.forEach(DefaultStarling::close);
    }

    private static void insert(DefaultStarling p, String id, String owner, String title) {
        p.store()
                .execute(
                        "INSERT INTO tasks DOCUMENTS (:d) ON ID CONFLICT DO UPDATE",
                        Map.of("d", Map.of("_id", id, "owner", owner, "title", title)));
    }

    private static String title(DefaultStarling p, String id) {
        var items = p.store()
                .execute("SELECT * FROM tasks WHERE _id = :id", Map.of("id", id))
                .items();
        return items.isEmpty() ? null : String.valueOf(items.get(0).value().get("title"));
    }

    /** A hub {@code a} and alice's device {@code b}: a session each, synced until quiet. */
    private static SyncSession[] sync(DefaultStarling hub, DefaultStarling alice) {
        long siteHub = hub.config().siteId().getAsLong(),
                siteAlice = alice.config().siteId().getAsLong();
        Principal aliceAtHub = hub.syncStore().principal("alice", Value.Obj.EMPTY, OWN_TASKS);
        SyncSession sa = new SyncSession(
                hub.syncStore(),
                SessionConfig.defaults(),
                SessionListener.NONE,
                new RemoteIdentity(siteAlice, aliceAtHub));
        SyncSession sb = new SyncSession(
                alice.syncStore(),
                SessionConfig.defaults(),
                SessionListener.NONE,
                new RemoteIdentity(siteHub, Principal.UNRESTRICTED));
        Subscription all = Subscription.of("tasks", "SELECT * FROM tasks", Value.Obj.EMPTY);
        sa.setSubscriptions(List.of(all));
        sb.setSubscriptions(List.of(all));
        ArrayDeque<byte[]> toA = new ArrayDeque<>(), toB = new ArrayDeque<>();
        send(sa, sa.start(), toB);
        send(sb, sb.start(), toA);
        int steps = 0;
        while (!toA.isEmpty() || !toB.isEmpty()) {
            if (++steps > 10_000) throw new AssertionError("no quiescence");
            if (!toB.isEmpty()) send(sb, sb.onFrame(toB.poll()), toA);
            if (!toA.isEmpty()) send(sa, sa.onFrame(toA.poll()), toB);
        }
        assertThat(sa.isClosed()).isFalse();
        return new SyncSession[] {sa, sb};
    }

    private static void send(SyncSession from, List<Message> out, ArrayDeque<byte[]> to) {
        for (Message m : out) to.add(from.encode(m));
    }

    @Test
    void theEnginesPrincipalFiltersWhatItSendsAndDeniesWhatTheRemoteMayNotWrite() {
        DefaultStarling hub = peer(), alice = peer();
        insert(hub, "t1", "alice", "hers");
        insert(hub, "t2", "bob", "his");
        // bob's task, written on alice's device: a field the hub's copy lacks, so that the merge changes the hub's
        // state whichever stamp is newer (two peers' clocks can read the same millisecond)
        alice.store()
                .execute(
                        "INSERT INTO tasks DOCUMENTS (:d) ON ID CONFLICT DO UPDATE",
                        Map.of("d", Map.of("_id", "t2", "owner", "bob", "title", "overwritten by alice", "note", "x")));
        insert(alice, "t3", "alice", "new");
        SyncSession[] s = sync(hub, alice);
        assertThat(title(alice, "t1")).isEqualTo("hers");
        assertThat(s[0].withheld()).as("bob's task, not sent to alice").isPositive();
        assertThat(s[0].denied()).as("alice's write to bob's task").isEqualTo(1);
        assertThat(title(hub, "t2")).isEqualTo("his");
        assertThat(title(hub, "t3")).isEqualTo("new");
        assertThat(title(alice, "t2")).as("her own write stays with her").isEqualTo("overwritten by alice");
        assertThat(hub.store()
                        .execute("SELECT * FROM tasks WHERE _id = 't2'")
                        .items()
                        .get(0)
                        .value())
                .as("nothing of alice's write reached the hub")
                .doesNotContainKey("note");
        assertThat(Principal.UNRESTRICTED)
                .as("a permission set of everything both ways checks nothing")
                .isSameAs(hub.syncStore().principal("h", Value.Obj.EMPTY, Permissions.everything()));
    }

    @Test
    void aPeerWhosePermissionsChangedForgetsItsCheckpoints() {
        DefaultStarling hub = peer(), alice = peer();
        insert(hub, "t1", "alice", "hers");
        sync(hub, alice);
        long siteHub = hub.config().siteId().getAsLong();
        assertThat(alice.syncStore().checkpoint(siteHub)).isNotNull();
        alice.syncStore().forgetCheckpoints();
        assertThat(alice.syncStore().checkpoint(siteHub)).isNull();
        sync(hub, alice); // starts from 0, and stores a checkpoint of the new epoch
        assertThat(alice.syncStore().checkpoint(siteHub)).isNotNull();
    }
}
