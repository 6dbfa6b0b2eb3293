package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.Subscriptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each rule of permissions in sync (docs/PERMISSIONS.md, "Enforcement in sync"), one scenario each, on fake stores
 * whose sessions hold their remotes to a {@link Principal}: what is sent is filtered by the remote's read permission
 * whatever it subscribes to, a change the remote may not write is dropped alone, counted and never relayed, relays
 * through a hub, documents moving out of and into a reader's filter, tombstones; and the admission policy
 * (authentication of the HELLO, approval, the duplicate rule).
 */
class SessionPermissionsTest {
    private long hlc = 100;

    private long t() {
        return hlc++;
    }

    /**
     * {@code tasks} where {@code owner = userId} both ways (and {@code notes} readable when {@code shared = true}),
     * judged on the visible fields: the shape of the rules an authority hands a user.
     */
    static Principal user(String userId) {
        return Principal.of(userId, Value.Obj.EMPTY, new RemoteAccess() {
            @Override
            public boolean mayReadCollection(String c) {
                return c.equals("tasks") || c.equals("notes");
            }

            @Override
            public boolean mayWriteCollection(String c) {
                return c.equals("tasks");
            }

            @Override
            public boolean mayRead(String c, byte[] id, byte[] state) {
                Value.Obj f = DocumentState.decode(state).fields();
                if (f == null) return false;
                if (c.equals("notes")) return Value.of(true).equals(f.get("shared"));
                return Value.of(userId).equals(f.get("owner"));
            }

            @Override
            public boolean mayWrite(String c, byte[] id, DocumentState state) {
                Value.Obj f = state.fields();
                return f != null && c.equals("tasks") && Value.of(userId).equals(f.get("owner"));
            }
        });
    }

    /** Reads everything, writes nothing. */
    static Principal viewer() {
        return Principal.of("viewer", Value.Obj.EMPTY, new RemoteAccess() {
            @Override
            public boolean mayReadCollection(String c) {
                return true;
            }

            @Override
            public boolean mayWriteCollection(String c) {
                return false;
            }

            @Override
            public boolean mayRead(String c, byte[] id, byte[] state) {
                return true;
            }

            @Override
            public boolean mayWrite(String c, byte[] id, DocumentState state) {
                return false;
            }
        });
    }

    private static final Principal HUB = Principal.UNRESTRICTED;

    private FakeStore store(long id, String... collections) {
        FakeStore s = new FakeStore(id);
        s.subscriptions =
                java.util.Arrays.stream(collections).map(c -> sub(c, "*")).toList();
        return s;
    }

    @Test
    void aReaderGetsOnlyWhatItMayReadWhateverItSubscribesTo() {
        FakeStore hub = store(1, "tasks", "notes"), alice = store(2, "tasks", "notes");
        hub.insert("tasks", "a1", obj("owner", "alice", "title", "mine"), t());
        hub.insert("tasks", "b1", obj("owner", "bob", "title", "secret"), t());
        hub.insert("notes", "n1", obj("shared", true), t());
        hub.insert("notes", "n2", obj("shared", false), t());
        hub.insert("other", "o1", obj("owner", "alice"), t()); // a collection alice may not read at all
        alice.subscriptions = List.of(sub("tasks", "*"), sub("notes", "*"), sub("other", "*"));
        alice.insert("tasks", "a0", obj("owner", "alice"), t()); // alice holds tasks: hints would be useful there

        Net net = new Net(1);
        Net.Conn c = net.connect(hub, alice, user("alice"), HUB);
        net.runUntilQuiet();

        assertThat(alice.holds("tasks", "a1")).isTrue();
        assertThat(alice.holds("notes", "n1")).isTrue();
        assertThat(alice.holds("tasks", "b1")).as("another user's task").isFalse();
        assertThat(alice.holds("notes", "n2")).as("a note that is not shared").isFalse();
        assertThat(alice.holds("other", "o1"))
                .as("a collection outside the read permission")
                .isFalse();
        assertThat(c.fromA.hints)
                .as("no hint of what alice may not read either")
                .isZero();
        assertThat(c.sa.withheld()).isEqualTo(3);
        assertThat(c.sa.isClosed()).isFalse();
    }

    @Test
    void aChangeTheRemoteMayNotWriteIsDroppedAloneCountedAndNeverRelayed() {
        FakeStore bob = store(3, "tasks"), hub = store(1, "tasks"), other = store(4, "tasks");
        hub.insert("tasks", "a1", obj("owner", "alice", "title", "alice's"), t());
        Net net = new Net(2);
        Net.Conn bh = net.connect(hub, bob, user("bob"), HUB);
        Net.Conn ho = net.connect(hub, other, HUB, HUB);
        net.runUntilQuiet();
        assertThat(bob.holds("tasks", "a1")).isFalse();

        // bob writes alice's task (an id he guessed), his own task, and a task he gives away, in one transaction
        bob.txn()
                .insert("tasks", "a1", obj("owner", "bob", "title", "taken"), t())
                .insert("tasks", "b1", obj("owner", "bob"), t())
                .insert("tasks", "gift", obj("owner", "alice"), t());
        net.localChange(bob);
        net.runUntilQuiet();

        assertThat(hub.field("tasks", "a1", "title")).isEqualTo(Value.of("alice's"));
        assertThat(hub.holds("tasks", "b1"))
                .as("the permitted write of the same batch")
                .isTrue();
        assertThat(hub.holds("tasks", "gift"))
                .as("a task written for someone else")
                .isFalse();
        assertThat(bh.ra.denied)
                .containsExactlyInAnyOrder(FakeStore.ref("tasks", "a1"), FakeStore.ref("tasks", "gift"));
        assertThat(bh.sa.denied()).isEqualTo(2);
        assertThat(other.field("tasks", "a1", "title")).as("never relayed").isEqualTo(Value.of("alice's"));
        assertThat(other.holds("tasks", "b1")).isTrue();
        assertThat(other.holds("tasks", "gift")).isFalse();
        assertThat(bh.open()).as("sync goes on").isTrue();
        assertThat(ho.ra.denied).isEmpty();
    }

    @Test
    void aWriteIsJudgedOnTheDocumentBeforeAndAfterIt() {
        FakeStore hub = store(1, "tasks"), bob = store(3, "tasks");
        hub.insert("tasks", "b1", obj("owner", "bob", "title", "x"), t());
        Net net = new Net(3);
        Net.Conn c = net.connect(hub, bob, user("bob"), HUB);
        net.runUntilQuiet();
        assertThat(bob.holds("tasks", "b1")).isTrue();

        bob.update("tasks", "b1", "owner", Value.of("alice"), t()); // gives his task away: not allowed after
        net.localChange(bob);
        net.runUntilQuiet();
        assertThat(hub.field("tasks", "b1", "owner")).isEqualTo(Value.of("bob"));

        hub.insert("tasks", "a1", obj("owner", "alice"), t());
        bob.insert("tasks", "a1", obj("owner", "alice"), t()); // a write to alice's task: not allowed before
        bob.update("tasks", "a1", "owner", Value.of("bob"), t());
        net.localChange(bob);
        net.runUntilQuiet();
        assertThat(hub.field("tasks", "a1", "owner")).isEqualTo(Value.of("alice"));

        bob.update("tasks", "b2", "owner", Value.of("bob"), t()); // an update of nothing creates nothing
        bob.insert("tasks", "b3", obj("owner", "bob"), t());
        net.localChange(bob);
        net.runUntilQuiet();
        assertThat(hub.holds("tasks", "b3")).isTrue();
        assertThat(c.ra.denied).containsExactly(FakeStore.ref("tasks", "b1"), FakeStore.ref("tasks", "a1"));
    }

    @Test
    void aHubRelaysAUsersWritesToHerOtherDeviceAndNotToAnotherUser() {
        FakeStore a1 = store(11, "tasks"), hub = store(1, "tasks"), a2 = store(12, "tasks"), b = store(20, "tasks");
        Net net = new Net(4);
        net.connect(hub, a1, user("alice"), HUB);
        net.connect(hub, a2, user("alice"), HUB);
        net.connect(hub, b, user("bob"), HUB);
        a1.insert("tasks", "t1", obj("owner", "alice", "v", 1), t());
        b.insert("tasks", "t2", obj("owner", "bob"), t());
        net.localChange(a1);
        net.localChange(b);
        net.runUntilQuiet();
        assertThat(a2.field("tasks", "t1", "v")).isEqualTo(Value.of(1));
        assertThat(b.holds("tasks", "t1")).isFalse();
        assertThat(a1.holds("tasks", "t2")).isFalse();
        assertThat(a2.holds("tasks", "t2")).isFalse();
        a2.update("tasks", "t1", "v", Value.of(2), t());
        net.localChange(a2);
        net.runUntilQuiet();
        assertThat(a1.field("tasks", "t1", "v")).isEqualTo(Value.of(2));
        assertThat(hub.bytes(FakeStore.ref("tasks", "t1"))).isEqualTo(a1.bytes(FakeStore.ref("tasks", "t1")));
    }

    @Test
    void aViewerReadsEverythingAndEveryOneOfItsWritesIsRefused() {
        FakeStore hub = store(1, "tasks"), viewer = store(5, "tasks"), a = store(11, "tasks");
        hub.insert("tasks", "t1", obj("owner", "alice"), t());
        Net net = new Net(5);
        Net.Conn hv = net.connect(hub, viewer, viewer(), HUB);
        Net.Conn av = net.connect(a, viewer, viewer(), user("alice"));
        net.runUntilQuiet();
        assertThat(viewer.holds("tasks", "t1")).isTrue();
        viewer.update("tasks", "t1", "owner", Value.of("viewer"), t());
        viewer.insert("tasks", "v1", obj("owner", "alice"), t());
        net.localChange(viewer);
        net.runUntilQuiet();
        assertThat(hub.field("tasks", "t1", "owner")).isEqualTo(Value.of("alice"));
        assertThat(hub.holds("tasks", "v1")).isFalse();
        assertThat(a.holds("tasks", "v1")).isFalse();
        assertThat(hv.sa.denied()).isEqualTo(2);
        assertThat(av.sa.denied()).isEqualTo(2);
        // the viewer relays nothing either: a's write reaches the hub only directly
        a.insert("tasks", "t9", obj("owner", "alice"), t());
        net.localChange(a);
        net.runUntilQuiet();
        assertThat(viewer.holds("tasks", "t9")).isTrue();
        assertThat(hub.holds("tasks", "t9"))
                .as("relayed by a peer that may not write")
                .isFalse();
    }

    @Test
    void aDocumentThatMovesOutOfAReadersFilterStaysAsItWasThereAndComesBackWhenItMovesIn() {
        FakeStore hub = store(1, "tasks"), alice = store(2, "tasks");
        hub.insert("tasks", "t1", obj("owner", "alice", "title", "v1"), t());
        Net net = new Net(6);
        Net.Conn c = net.connect(hub, alice, user("alice"), HUB);
        net.runUntilQuiet();
        assertThat(alice.field("tasks", "t1", "title")).isEqualTo(Value.of("v1"));

        hub.txn().update("tasks", "t1", "owner", Value.of("bob"), t());
        hub.update("tasks", "t1", "title", Value.of("v2 (bob's)"), t());
        net.localChange(hub);
        net.runUntilQuiet();
        assertThat(alice.field("tasks", "t1", "title"))
                .as("the last version alice could read")
                .isEqualTo(Value.of("v1"));
        assertThat(alice.field("tasks", "t1", "owner")).isEqualTo(Value.of("alice"));
        assertThat(c.fromA.hints).isZero();

        c.disconnect(); // a later session resumes from a checkpoint past the rows alice could not read
        hub.update("tasks", "t1", "owner", Value.of("alice"), t());
        Net.Conn again = net.connect(hub, alice, user("alice"), HUB);
        net.runUntilQuiet();
        assertThat(again.sb.isClosed()).isFalse();
        assertThat(alice.field("tasks", "t1", "title"))
                .as("moved back in: the whole state")
                .isEqualTo(Value.of("v2 (bob's)"));
        assertThat(alice.bytes(FakeStore.ref("tasks", "t1"))).isEqualTo(hub.bytes(FakeStore.ref("tasks", "t1")));
    }

    @Test
    void tombstonesReachEveryReaderOfTheCollectionAndADeleteIsJudgedOnWhatItRemoves() {
        FakeStore hub = store(1, "tasks", "notes"), alice = store(2, "tasks", "notes"), bob = store(3, "tasks");
        hub.insert("tasks", "a1", obj("owner", "alice"), t());
        hub.insert("tasks", "b1", obj("owner", "bob"), t());
        hub.insert("tasks", "b2", obj("owner", "bob"), t());
        hub.insert("secret", "s1", obj("x", 1), t());
        Net net = new Net(7);
        net.connect(hub, alice, user("alice"), HUB);
        Net.Conn hb = net.connect(hub, bob, user("bob"), HUB);
        net.runUntilQuiet();
        alice.subscriptions = List.of(sub("tasks", "*"), sub("secret", "*"));
        net.setSubscriptions(alice, alice.subscriptions);

        hub.delete("tasks", "a1", t()); // alice held it: she learns of the delete
        hub.delete("tasks", "b2", t()); // bob's: alice gets its tombstone (an id and a time, no field)
        hub.delete("secret", "s1", t()); // a collection alice may not read: not even its tombstones
        net.localChange(hub);
        net.runUntilQuiet();
        assertThat(alice.holds("tasks", "a1")).isTrue();
        assertThat(alice.state("tasks", "a1").isTombstone()).isTrue();
        assertThat(alice.state("tasks", "b2").isTombstone()).isTrue();
        assertThat(alice.holds("secret", "s1")).isFalse();

        bob.delete("tasks", "b1", t()); // his own task: allowed
        bob.insert("tasks", "a1x", obj("owner", "alice"), t());
        bob.delete("tasks", "a1x", t()); // a tombstone of a task the hub never held: no document is removed
        net.localChange(bob);
        net.runUntilQuiet();
        assertThat(hub.state("tasks", "b1").isTombstone()).isTrue();
        assertThat(hub.state("tasks", "a1x").isTombstone()).isTrue();
        assertThat(hb.ra.denied).isEmpty();

        hub.insert("tasks", "a2", obj("owner", "alice"), t());
        bob.insert("tasks", "a2", obj("owner", "alice"), t()); // bob's copy, deleted by him: the hub's is alice's
        bob.delete("tasks", "a2", t());
        net.localChange(hub);
        net.localChange(bob);
        net.runUntilQuiet();
        assertThat(hub.state("tasks", "a2").exists())
                .as("a delete of a task bob may not write")
                .isTrue();
        assertThat(hb.ra.denied).containsExactly(FakeStore.ref("tasks", "a2"));
    }

    @Test
    void aHelloThatDoesNotMatchTheCertificateClosesBeforeAnythingIsRead() {
        FakeStore a = store(1, "tasks"), b = store(2, "tasks");
        a.insert("tasks", "t", obj("owner", "x"), t());
        Net net = new Net(8);
        Net.Conn c = net.connect(a, b, new RemoteIdentity(99, Principal.UNRESTRICTED), RemoteIdentity.NONE);
        net.runUntilQuiet();
        assertThat(c.ra.closedReason).isEqualTo(SyncSession.UNAUTHENTICATED);
        assertThat(c.ra.closedMessage)
                .isEqualTo(
                        "the HELLO names peer 0000000000000002 but the certificate belongs to peer 0000000000000063");
        assertThat(c.ra.established).isZero();
        assertThat(b.holds("tasks", "t")).isFalse();

        Net.Conn ok = net.connect(
                a, b, new RemoteIdentity(2, Principal.UNRESTRICTED), new RemoteIdentity(1, Principal.UNRESTRICTED));
        net.runUntilQuiet();
        assertThat(ok.open()).isTrue();
        assertThat(b.holds("tasks", "t")).isTrue();
    }

    @Test
    void aSessionAwaitingApprovalReadsNothingUntilAllowedAndClosesWhenDenied() {
        FakeStore a = store(1, "tasks"), b = store(2, "tasks");
        b.insert("tasks", "t", obj("owner", "x"), t());
        Net.Recorder events = new Net.Recorder();
        SyncSession waiting = new SyncSession(a, SessionConfig.defaults(), events);
        waiting.awaitApproval();
        waiting.start();
        SyncSession remote = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
        remote.setSubscriptions(List.of(sub("tasks", "*")));
        List<Message> fromRemote = new java.util.ArrayList<>(remote.start());
        assertThat(waiting.onMessage(fromRemote.get(0))).isEmpty(); // the HELLO: held, nothing answered
        assertThat(events.approvalsRequested).containsExactly(2L);
        assertThat(waiting.awaitingApproval()).isTrue();
        assertThat(events.established).isZero();
        assertThat(waiting.onMessage(new Subscriptions(1, 0, 0, List.of(), List.of())))
                .isEmpty();
        List<Message> out = waiting.allow();
        assertThat(events.established).isEqualTo(2L);
        assertThat(out).anyMatch(m -> m instanceof Subscriptions);
        assertThat(out).anyMatch(m -> m instanceof Batch);

        SyncSession denied = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        denied.awaitApproval();
        denied.start();
        denied.onMessage(fromRemote.get(0));
        assertThat(denied.deny("its connection-request handler did not allow this connection"))
                .containsExactly(
                        new Close(SyncSession.DENIED, "its connection-request handler did not allow this connection"));
        assertThat(denied.isClosed()).isTrue();

        SyncSession flooded = new SyncSession(a, SessionConfig.defaults(), SessionListener.NONE);
        flooded.awaitApproval();
        flooded.start();
        flooded.onMessage(fromRemote.get(0));
        for (int i = 1; i < SyncSession.MAX_HELD_MESSAGES; i++) flooded.onMessage(new Message.Ack(i));
        assertThat(flooded.isClosed()).isFalse();
        assertThat(flooded.onMessage(new Message.Ack(99)))
                .singleElement()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.DENIED));
    }

    @Test
    void aCertifiedRemoteIsPutToTheApplicationBeforeOurHelloAndARefusedOneLearnsOnlyTheRefusal() {
        FakeStore a = store(1, "tasks"), b = store(2, "tasks");
        b.insert("tasks", "t", obj("owner", "x"), t());
        SyncSession remote = new SyncSession(b, SessionConfig.defaults(), SessionListener.NONE);
        remote.setSubscriptions(List.of(sub("tasks", "*")));
        List<Message> fromRemote = new java.util.ArrayList<>(remote.start());

        // refused: the acceptor says nothing before the decision, then only CLOSE — no HELLO, no peer id
        Net.Recorder refusing = new Net.Recorder();
        SyncSession denied =
                new SyncSession(a, SessionConfig.defaults(), refusing, new RemoteIdentity(2, Principal.UNRESTRICTED));
        denied.awaitApproval();
        assertThat(denied.start()).isEmpty();
        assertThat(refusing.approvalsRequested).containsExactly(2L); // asked at once: the certificate names peer 2
        assertThat(denied.awaitingApproval()).isTrue();
        assertThat(denied.onMessage(fromRemote.get(0))).isEmpty(); // the remote's HELLO, if it comes first: held
        assertThat(denied.deny("its connection-request handler did not allow this connection"))
                .containsExactly(
                        new Close(SyncSession.DENIED, "its connection-request handler did not allow this connection"));

        // allowed before the remote said anything: our HELLO goes out then, and the session proceeds as usual
        Net.Recorder events = new Net.Recorder();
        SyncSession allowed =
                new SyncSession(a, SessionConfig.defaults(), events, new RemoteIdentity(2, Principal.UNRESTRICTED));
        allowed.awaitApproval();
        assertThat(allowed.start()).isEmpty();
        List<Message> hello = allowed.allow();
        assertThat(hello)
                .singleElement()
                .isInstanceOfSatisfying(Hello.class, h -> assertThat(h.peerId()).isEqualTo(1));
        List<Message> out = allowed.onMessage(fromRemote.get(0));
        assertThat(events.established).isEqualTo(2L);
        assertThat(out).anyMatch(m -> m instanceof Subscriptions);

        // a HELLO held while the application decided is still checked against the certificate
        Net.Recorder liar = new Net.Recorder();
        SyncSession mismatched =
                new SyncSession(a, SessionConfig.defaults(), liar, new RemoteIdentity(99, Principal.UNRESTRICTED));
        mismatched.awaitApproval();
        mismatched.start();
        assertThat(liar.approvalsRequested).containsExactly(99L);
        mismatched.onMessage(fromRemote.get(0)); // claims peer 2
        List<Message> closed = mismatched.allow();
        assertThat(closed)
                .last()
                .isInstanceOfSatisfying(
                        Close.class, cl -> assertThat(cl.reason()).isEqualTo(SyncSession.UNAUTHENTICATED));
        assertThat(liar.established).isZero();
    }

    @Test
    void theDuplicateRuleKeepsTheSessionDialedByTheLowerPeerOnBothSides() {
        DuplicateRule.Side out1 = new DuplicateRule.Side(true, 1), in2 = new DuplicateRule.Side(false, 2);
        // peer 5 dialed out1 to peer 9, and 9 dialed in2: the lower dialer (5) wins, on both sides
        assertThat(DuplicateRule.loser(5, 9, out1, in2)).isEqualTo(in2);
        DuplicateRule.Side in1 = new DuplicateRule.Side(false, 1), out2 = new DuplicateRule.Side(true, 2);
        assertThat(DuplicateRule.loser(9, 5, in1, out2))
                .as("the same pair seen from peer 9")
                .isEqualTo(out2);
        // unsigned: 0xffff… is greater than 5
        assertThat(DuplicateRule.loser(-1L, 5, out1, in2)).isEqualTo(out1);
        // both dialed by this side: the newer goes; both dialed by the remote: it decides
        assertThat(DuplicateRule.loser(5, 9, new DuplicateRule.Side(true, 7), new DuplicateRule.Side(true, 3)))
                .isEqualTo(new DuplicateRule.Side(true, 7));
        assertThat(DuplicateRule.loser(5, 9, in1, in2)).isNull();
    }

    @Test
    void anUnrestrictedPrincipalChecksNothing() {
        assertThat(Principal.UNRESTRICTED.unrestricted()).isTrue();
        assertThat(Principal.UNRESTRICTED.mayApply("any", new byte[] {1}, null, DocumentState.empty()))
                .isTrue();
        assertThat(user("x").unrestricted()).isFalse();
    }
}
