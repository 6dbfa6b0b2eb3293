package io.starling.internal.sync;

import static io.starling.internal.sync.SyncSessionTest.obj;
import static io.starling.internal.sync.SyncSessionTest.sub;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.Revocations;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The exchange of revocation lists between sessions (docs/SYNC-PROTOCOL.md, "Revocations"), on fake stores with a
 * fake verifier: a newer list reaches a peer that holds an older one, once; an older, a foreign or a forged list is
 * never adopted (the last two counted); lists travel whatever the peers subscribe to and through relays; a peer whose
 * list revokes the remote sends it the list and closes ({@code revoked}), at the handshake and as soon as it adopts the
 * list.
 */
class SessionRevocationsTest {
    private static final String OURS = "ours";

    /**
     * A list as the fake authority signs it: {@code srl|AUTHORITY|SERIAL|user,user|device,device}. The verifier accepts
     * only lists of {@link #OURS} whose number is the one announced — the checks the engine's verifier makes with real
     * signatures.
     */
    static byte[] list(String authority, long serial, String users, String devices) {
        return ("srl|" + authority + "|" + serial + "|" + users + "|" + devices).getBytes(StandardCharsets.UTF_8);
    }

    static final RevocationVerifier VERIFIER = (serial, bytes) -> {
        String[] f = new String(bytes, StandardCharsets.UTF_8).split("\\|", -1);
        if (f.length != 5 || !f[0].equals("srl")) return RevocationVerifier.Verdict.refused("not a list");
        if (!f[1].equals(OURS)) return RevocationVerifier.Verdict.refused("another authority's list");
        if (Long.parseLong(f[2]) != serial) return RevocationVerifier.Verdict.refused("numbered " + f[2]);
        return RevocationVerifier.Verdict.accepted(VerifiedRevocations.of(serial, bytes, names(f[3]), names(f[4])));
    };

    private static List<String> names(String csv) {
        return csv.isEmpty() ? List.of() : Arrays.asList(csv.split(","));
    }

    static VerifiedRevocations verified(long serial, String users, String devices) {
        return VERIFIER.verify(serial, list(OURS, serial, users, devices)).list();
    }

    /** A peer: its store (subscribing to {@code collection}) and its revocation list. */
    static final class Peer {
        final FakeStore store;
        final RevocationState revocations = new RevocationState(VERIFIER);

        Peer(long id, String collection) {
            store = new FakeStore(id);
            store.subscriptions = List.of(sub(collection, "*"));
        }

        Peer holding(VerifiedRevocations list) {
            revocations.adopt(list);
            return this;
        }

        long serial() {
            return revocations.current().serial();
        }
    }

    /** Two sessions back to back; every message goes through the codec. */
    static final class Link {
        final SyncSession a, b;
        final Net.Recorder ra = new Net.Recorder() {
            @Override
            public void revocationsAdopted(VerifiedRevocations list) {
                adopted.add(list.serial());
            }

            @Override
            public void revocationsRefused(String problem) {
                refusals.add(problem);
            }
        };
        final Net.Recorder rb = new Net.Recorder() {
            @Override
            public void revocationsAdopted(VerifiedRevocations list) {
                adopted.add(list.serial());
            }

            @Override
            public void revocationsRefused(String problem) {
                refusals.add(problem);
            }
        };
        final List<Long> adopted = new ArrayList<>();
        final List<String> refusals = new ArrayList<>();
        final List<Message> fromA = new ArrayList<>(), fromB = new ArrayList<>();
        private final List<Message> toA = new ArrayList<>(), toB = new ArrayList<>();

        /** {@code bSeenByA}: who b is to a's session, and the other way. */
        Link(Peer pa, Peer pb, RemoteIdentity bSeenByA, RemoteIdentity aSeenByB) {
            a = new SyncSession(pa.store, SessionConfig.defaults(), ra, bSeenByA, pa.revocations);
            b = new SyncSession(pb.store, SessionConfig.defaults(), rb, aSeenByB, pb.revocations);
            fromA(a.start());
            fromB(b.start());
            fromA(a.setSubscriptions(pa.store.subscriptions));
            fromB(b.setSubscriptions(pb.store.subscriptions));
            pump();
        }

        Link(Peer pa, Peer pb) {
            this(pa, pb, RemoteIdentity.NONE, RemoteIdentity.NONE);
        }

        void fromA(List<Message> out) {
            fromA.addAll(out);
            toB.addAll(out);
        }

        void fromB(List<Message> out) {
            fromB.addAll(out);
            toA.addAll(out);
        }

        void pump() {
            while (!toA.isEmpty() || !toB.isEmpty()) {
                if (!toB.isEmpty()) fromB(b.onFrame(WireCodec.encode(toB.remove(0))));
                if (!toA.isEmpty()) fromA(a.onFrame(WireCodec.encode(toA.remove(0))));
            }
        }

        static List<Revocations> revocations(List<Message> sent) {
            return sent.stream()
                    .filter(m -> m instanceof Revocations)
                    .map(m -> (Revocations) m)
                    .toList();
        }

        static long lists(List<Message> sent) {
            return revocations(sent).stream().filter(r -> !r.announcement()).count();
        }
    }

    private static RemoteIdentity user(String userId, String deviceKey) {
        return new RemoteIdentity(0, Principal.UNRESTRICTED, userId, deviceKey);
    }

    @Test
    void aNewerListReachesAPeerWithAnOlderOneOnceWhateverItSubscribesTo() {
        Peer a = new Peer(1, "tasks").holding(verified(2, "bob", ""));
        Peer b = new Peer(2, "other"); // subscribes to something else entirely
        Link l = new Link(a, b);

        assertThat(b.serial()).isEqualTo(2);
        assertThat(b.revocations.current().users()).containsExactly("bob");
        assertThat(l.adopted).containsExactly(2L);
        assertThat(Link.revocations(l.fromA))
                .as("a announces 2, then sends list 2 to b, which announced 0")
                .containsExactly(Revocations.announce(2), new Revocations(2, list(OURS, 2, "bob", "")));
        assertThat(Link.revocations(l.fromB)).containsExactly(Revocations.announce(0));
        assertThat(l.a.remoteRevocations()).isEqualTo(0);
        assertThat(l.b.remoteRevocations()).isEqualTo(2);

        // the list changing to the same number sends nothing; both sessions stay open
        l.fromA(l.a.revocationsChanged());
        l.fromB(l.b.revocationsChanged());
        l.pump();
        assertThat(Link.lists(l.fromA)).isEqualTo(1);
        assertThat(Link.lists(l.fromB)).isZero();
        assertThat(l.a.isClosed() || l.b.isClosed()).isFalse();
    }

    @Test
    void aReconnectBetweenPeersHoldingTheSameListCarriesOnlyTheNumbers() {
        Peer a = new Peer(1, "tasks").holding(verified(3, "bob", ""));
        Peer b = new Peer(2, "tasks").holding(verified(3, "bob", ""));
        Link l = new Link(a, b);
        assertThat(Link.revocations(l.fromA)).containsExactly(Revocations.announce(3));
        assertThat(Link.revocations(l.fromB)).containsExactly(Revocations.announce(3));
        assertThat(WireCodec.encode(Revocations.announce(3))).hasSize(3); // type, number, empty list
    }

    @Test
    void theNewerListWinsInEitherDirection() {
        Peer a = new Peer(1, "tasks").holding(verified(2, "bob", ""));
        Peer b = new Peer(2, "tasks").holding(verified(5, "bob,carol", ""));
        Link l = new Link(a, b);
        assertThat(a.serial()).isEqualTo(5);
        assertThat(a.revocations.current().users()).containsExactly("bob", "carol");
        assertThat(b.serial()).isEqualTo(5);
        assertThat(Link.lists(l.fromA)).as("a never sends its older list").isZero();
        assertThat(Link.lists(l.fromB)).isEqualTo(1);

        // a list arriving later while a newer one is held (sent before the remote heard of ours) is not adopted
        l.fromA(l.a.onMessage(new Revocations(4, list(OURS, 4, "bob", ""))));
        l.pump();
        assertThat(a.serial()).isEqualTo(5);
        assertThat(l.a.revocationsRefused())
                .as("an older list is not a forgery")
                .isZero();
        assertThat(l.adopted).containsExactly(5L);
    }

    @Test
    void aForeignOrForgedListIsRefusedCountedAndNeverRelayed() {
        Peer a = new Peer(1, "tasks").holding(verified(2, "bob", ""));
        Peer hub = new Peer(2, "tasks").holding(verified(2, "bob", ""));
        Link l = new Link(a, hub);

        // a malicious peer (a) sends lists that would unrevoke bob or revoke alice
        l.fromA(List.of(new Revocations(9, list("theirs", 9, "alice", ""))));
        l.fromA(List.of(new Revocations(10, "not a list at all".getBytes(StandardCharsets.UTF_8))));
        l.fromA(List.of(new Revocations(11, list(OURS, 12, "alice", "")))); // renumbered
        l.pump();
        assertThat(hub.serial()).isEqualTo(2);
        assertThat(hub.revocations.current().users()).containsExactly("bob");
        assertThat(l.b.revocationsRefused()).isEqualTo(3);
        assertThat(l.refusals).containsExactly("another authority's list", "not a list", "numbered 12");
        assertThat(l.b.isClosed()).as("a refused list does not end the session").isFalse();
        assertThat(l.b.remoteRevocations())
                .as("a refused list says nothing about what the remote holds")
                .isEqualTo(2);

        // a peer connecting to the hub afterwards is never sent the forged lists
        Peer c = new Peer(3, "tasks");
        Link l2 = new Link(hub, c);
        assertThat(c.serial()).isEqualTo(2);
        assertThat(Link.revocations(l2.fromA)).extracting(Revocations::serial).containsOnly(2L);
    }

    @Test
    void aRevokedRemoteIsSentTheListAndRefusedAtTheHandshake() {
        Peer x = new Peer(1, "tasks").holding(verified(4, "bob", ""));
        Peer b = new Peer(2, "tasks");
        Link l = new Link(x, b, user("bob", "b0b0"), user("xavier", "0a0a"));

        assertThat(l.a.closeReason()).isEqualTo(SyncSession.REVOKED);
        assertThat(l.ra.closedMessage).isEqualTo("user 'bob' is revoked by revocation list 4");
        assertThat(l.rb.closedReason).isEqualTo(SyncSession.REVOKED);
        assertThat(l.rb.closedByRemote).isTrue();
        assertThat(l.ra.established)
                .as("the revoked remote never got a session")
                .isZero();
        assertThat(b.serial()).as("the revoked device learns why").isEqualTo(4);
        assertThat(l.fromA).noneMatch(m -> m instanceof Message.Batch);
    }

    @Test
    void aRevokedDeviceIsCutOffAsSoonAsTheListArrivesThroughARelay() {
        // line A – H – X – B: the list is issued at A, reaches X only through H, and X drops B
        Peer a = new Peer(1, "other");
        Peer h = new Peer(2, "nothing_in_common");
        Peer x = new Peer(3, "tasks");
        Peer b = new Peer(4, "tasks");
        Link ah = new Link(a, h);
        Link hx = new Link(h, x);
        Link xb = new Link(x, b, user("bob", "d3v1ce"), user("xavier", "0a0a"));
        x.store.insert("tasks", "t1", obj("title", "before"), 10);
        xb.fromA(xb.a.onLocalChange());
        xb.pump();
        assertThat(b.store.holds("tasks", "t1")).isTrue();

        // the authority revokes bob's device: A adopts the list and tells its sessions
        assertThat(a.revocations.adopt(verified(1, "", "d3v1ce"))).isTrue();
        ah.fromA(ah.a.revocationsChanged());
        ah.pump();
        assertThat(h.serial()).isEqualTo(1);
        assertThat(ah.adopted).containsExactly(1L);
        // H's driver tells its other sessions
        hx.fromA(hx.a.revocationsChanged());
        hx.pump();
        assertThat(x.serial()).isEqualTo(1);
        // and so does X's: B gets the list, then the close
        xb.fromA(xb.a.revocationsChanged());
        xb.pump();
        assertThat(xb.a.closeReason()).isEqualTo(SyncSession.REVOKED);
        assertThat(xb.ra.closedMessage).startsWith("device d3v1ce… of user 'bob' is revoked by revocation list 1");
        assertThat(xb.rb.closedByRemote).isTrue();
        assertThat(b.serial()).isEqualTo(1);
        assertThat(Link.revocations(xb.fromA).get(Link.revocations(xb.fromA).size() - 1))
                .isEqualTo(new Revocations(1, list(OURS, 1, "", "d3v1ce")));
        assertThat(xb.fromA.get(xb.fromA.size() - 1)).isInstanceOf(Close.class);

        // nothing new reaches B: its session is closed and a new one is refused at once
        x.store.insert("tasks", "t2", obj("title", "after"), 20);
        assertThat(xb.a.onLocalChange()).isEmpty();
        Link again = new Link(x, b, user("bob", "d3v1ce"), user("xavier", "0a0a"));
        assertThat(again.a.closeReason()).isEqualTo(SyncSession.REVOKED);
        assertThat(b.store.holds("tasks", "t2")).isFalse();
        assertThat(hx.a.isClosed() || ah.a.isClosed()).as("the others sync on").isFalse();
    }

    @Test
    void aPeerThatKeepsNoListSendsAndReadsNone() {
        Peer a = new Peer(1, "tasks").holding(verified(2, "bob", ""));
        FakeStore plain = new FakeStore(2);
        plain.subscriptions = List.of(sub("tasks", "*"));
        SyncSession sa = new SyncSession(
                a.store, SessionConfig.defaults(), SessionListener.NONE, RemoteIdentity.NONE, a.revocations);
        SyncSession sb = new SyncSession(plain, SessionConfig.defaults(), SessionListener.NONE);
        List<Message> fromA = new ArrayList<>(sa.start());
        List<Message> fromB = new ArrayList<>(sb.start());
        assertThat(((Message.Hello) fromA.get(0)).capabilities() & SessionConfig.CAP_REVOCATIONS)
                .isNotZero();
        assertThat(((Message.Hello) fromB.get(0)).capabilities() & SessionConfig.CAP_REVOCATIONS)
                .isZero();
        List<Message> all = new ArrayList<>();
        all.addAll(sa.onMessage(fromB.get(0)));
        all.addAll(sb.onMessage(fromA.get(0)));
        all.addAll(sa.revocationsChanged());
        assertThat(all).noneMatch(m -> m instanceof Revocations);
        // one sent anyway is ignored by a peer that did not announce the capability
        assertThat(sb.onMessage(new Revocations(2, list(OURS, 2, "bob", "")))).isEmpty();
        assertThat(sb.isClosed()).isFalse();
    }

    @Test
    void theMessageIsBoundedByTheListsOwnLimit() {
        byte[] most = new byte[Revocations.MAX_BYTES];
        assertThat(WireCodec.decode(WireCodec.encode(new Revocations(7, most)), 1 << 20))
                .isEqualTo(new Revocations(7, most));
        assertThatThrownBy(() -> new Revocations(7, new byte[Revocations.MAX_BYTES + 1]))
                .isInstanceOf(IllegalArgumentException.class);
        // hand-made: type 13, number 7, a list one byte too long
        io.starling.internal.core.BinaryWriter w = new io.starling.internal.core.BinaryWriter(16);
        w.writeByte(13).writeVarLong(7).writeBytes(new byte[Revocations.MAX_BYTES + 1]);
        assertThatThrownBy(() -> WireCodec.decode(w.toByteArray(), 1 << 20))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("over " + Revocations.MAX_BYTES);
        assertThatThrownBy(() -> WireCodec.decode(new byte[] {13, 0, 1, 42}))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("numbered 0");
        assertThat(WireCodec.decode(new byte[] {13, 0, 0})).isEqualTo(Revocations.announce(0));
    }
}
