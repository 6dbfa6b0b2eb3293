package io.starling.internal.sync;

import io.starling.internal.core.Value;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Entry;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;

/** Random valid messages of every type, from a seed: numbers at the edges, Unicode text, empty and long lists. */
final class RandomMessages {
    private final Random r;

    RandomMessages(long seed) {
        r = new Random(seed);
    }

    /** Kinds {@link #of} makes: 1 to 10, and 11 for REVOCATIONS (wire type 13). */
    static final int TYPES = 11;

    /** The wire type of the messages {@link #of} makes for {@code kind}. */
    static int wireType(int kind) {
        return kind == 11 ? 13 : kind;
    }

    Message any() {
        int k = r.nextInt(TYPES + 2);
        return k == 0 ? ranges() : k == 1 ? presenceResume() : of(1 + r.nextInt(TYPES));
    }

    /** A PRESENCE-RESUME message of either kind (type 16). */
    Message presenceResume() {
        return r.nextBoolean()
                ? new Message.SamePresence(r.nextLong(), nonNegative())
                : new Message.PresenceWanted(r.nextLong());
    }

    /** A RANGES message of any kind (type 14). */
    Message.Ranges ranges() {
        int kind = r.nextInt(3);
        if (kind == 0) return new Message.Ranges(collection(), 1, new Message.Ranges.Open(range(false)));
        int round = 1 + r.nextInt(Reconciliation.MAX_ROUND);
        if (kind == 1 || round == 1) {
            int n = r.nextInt(4) == 0 ? r.nextInt(Reconciliation.MAX_FRONTIER + 1) : r.nextInt(40);
            java.util.BitSet bits = new java.util.BitSet(n);
            for (int i = 0; i < n; i++) if (r.nextInt(3) == 0) bits.set(i);
            return new Message.Ranges(collection(), round, new Message.Ranges.Split(n, bits));
        }
        List<List<Message.Ranges.Range>> nodes = new ArrayList<>();
        for (int i = r.nextInt(r.nextInt(8) == 0 ? 300 : 6); i > 0; i--) {
            List<Message.Ranges.Range> node = new ArrayList<>();
            for (int c = 0; c < Reconciliation.FANOUT; c++) node.add(range(c == Reconciliation.FANOUT - 1));
            nodes.add(node);
        }
        return new Message.Ranges(collection(), round, new Message.Ranges.Children(nodes));
    }

    private Message.Ranges.Range range(boolean mayImply) {
        int mode = r.nextInt(mayImply ? 3 : 2);
        if (mode == 0) return new Message.Ranges.Fingerprint(r.nextLong());
        if (mode == 2) return new Message.Ranges.Implied();
        long[] hashes = new long[r.nextInt(Reconciliation.MAX_LIST + 1)];
        for (int i = 0; i < hashes.length; i++) hashes[i] = r.nextLong();
        return new Message.Ranges.Listed(hashes);
    }

    Message of(int type) {
        return switch (type) {
            case 1 ->
                new Hello(
                        r.nextInt(4) == 0 ? 1 : (int) nonNegative() & Integer.MAX_VALUE,
                        text(),
                        r.nextLong(),
                        r.nextLong(),
                        r.nextBoolean() ? 0 : r.nextLong(),
                        (int) (nonNegative() & Integer.MAX_VALUE),
                        nonNegative());
            case 2 -> subscriptions();
            case 3 -> batch();
            case 4 -> new Ack(positive());
            case 5 -> new Request(positive(), refs());
            case 6 -> docs();
            case 7 -> new Zombies(refs());
            case 9 -> {
                byte[] payload = new byte[r.nextInt(4) == 0 ? r.nextInt(2000) : r.nextInt(20)];
                r.nextBytes(payload);
                yield new Message.Presence(payload);
            }
            case 10 -> {
                long[] buckets = new long[1 << r.nextInt(r.nextInt(8) == 0 ? 11 : 5)];
                for (int i = 0; i < buckets.length; i++) buckets[i] = r.nextInt(3) == 0 ? 0 : r.nextLong();
                yield new Message.Summary(collection(), buckets);
            }
            case 11 -> {
                byte[] list = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(r.nextInt(8) == 0 ? 5000 : 100)];
                r.nextBytes(list);
                yield new Message.Revocations(list.length == 0 ? nonNegative() : positive(), list);
            }
            default -> new Close(text(), r.nextInt(5) == 0 ? text().repeat(50) : text());
        };
    }

    /** 0, small, byte-boundary and huge values. */
    long nonNegative() {
        return switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> r.nextInt(128);
            case 2 -> 127 + r.nextInt(3);
            case 3 -> (1L << (7 * (1 + r.nextInt(8)))) - r.nextInt(2);
            case 4 -> Long.MAX_VALUE - r.nextInt(3);
            default -> r.nextLong() >>> 1;
        };
    }

    long positive() {
        return Math.max(1, nonNegative());
    }

    String text() {
        int n = r.nextInt(4) == 0 ? 0 : r.nextInt(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(5)) {
                case 0 -> sb.append((char) ('a' + r.nextInt(26)));
                case 1 -> sb.append((char) (0x80 + r.nextInt(0x780))); // two UTF-8 bytes
                case 2 -> sb.append((char) (0x800 + r.nextInt(0xd000))); // three
                case 3 -> sb.appendCodePoint(0x10000 + r.nextInt(0xf0000)); // four: a surrogate pair
                default -> sb.append(' ');
            }
        }
        return sb.toString();
    }

    String collection() {
        String t = text();
        return t.isEmpty() ? "c" + r.nextInt(10) : t;
    }

    byte[] bytes(int min, int max) {
        byte[] b = new byte[min + r.nextInt(max - min + 1)];
        r.nextBytes(b);
        return b;
    }

    List<DocRef> refs() {
        List<DocRef> l = new ArrayList<>();
        for (int i = r.nextInt(4) == 0 ? 0 : r.nextInt(20); i > 0; i--) l.add(new DocRef(collection(), bytes(1, 40)));
        return l;
    }

    Value value(int depth) {
        return switch (r.nextInt(depth > 2 ? 6 : 8)) {
            case 0 -> Value.NULL;
            case 1 -> Value.of(r.nextBoolean());
            case 2 -> Value.of(r.nextLong());
            case 3 -> Value.of(r.nextDouble() * 1e6 - 5e5);
            case 4 -> Value.of(text());
            case 5 -> new Value.Bin(bytes(0, 10));
            case 6 -> {
                List<Value> items = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) items.add(value(depth + 1));
                yield Value.Arr.ofOwned(new ArrayList<>(items));
            }
            default -> obj(depth + 1);
        };
    }

    Value.Obj obj(int depth) {
        LinkedHashMap<String, Value> m = new LinkedHashMap<>();
        for (int i = r.nextInt(4); i > 0; i--) m.put(text(), value(depth + 1));
        return new Value.Obj(m);
    }

    Subscriptions subscriptions() {
        List<Subscriptions.Item> items = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            Subscription s = r.nextBoolean()
                    ? Subscription.of(collection(), text(), obj(0))
                    : new Subscription(SubscriptionKey.fromBytes(bytes(16, 16)), collection(), text(), obj(0));
            items.add(new Subscriptions.Item(s, r.nextBoolean()));
        }
        List<String> held = new ArrayList<>();
        for (int i = r.nextInt(3); i > 0; i--) held.add(collection());
        return new Subscriptions(positive(), r.nextLong(), nonNegative(), items, held);
    }

    List<Entry> entries(boolean hints, boolean endsWithPart) {
        List<Entry> l = new ArrayList<>();
        for (int i = r.nextInt(4) == 0 ? 0 : r.nextInt(12); i > 0; i--) {
            String c = collection();
            byte[] id = bytes(1, 30);
            switch (r.nextInt(hints ? 4 : 2)) {
                case 0 -> l.add(new DocEntry(c, id, nonNegative(), bytes(1, 200)));
                case 1 -> { // a document in parts, ended in this message
                    for (int p = 1 + r.nextInt(2); p > 0; p--) l.add(new PartEntry(c, id, 7, bytes(1, 50)));
                    l.add(new DocEntry(c, id, 7, bytes(1, 50)));
                }
                case 2 -> l.add(new HintEntry(c, id, r.nextLong()));
                default -> l.add(new Message.DeltaEntry(c, id, nonNegative(), r.nextLong(), bytes(1, 60)));
            }
        }
        if (endsWithPart) l.add(new PartEntry(collection(), bytes(1, 30), nonNegative(), bytes(1, 100)));
        return l;
    }

    Batch batch() {
        boolean continued = r.nextInt(4) == 0;
        long from = nonNegative();
        long to = from + (from == Long.MAX_VALUE ? 0 : r.nextInt(1000));
        if (to < 0) to = Long.MAX_VALUE;
        List<SubscriptionKey> done = new ArrayList<>();
        if (!continued) {
            for (int i = r.nextInt(3); i > 0; i--) done.add(SubscriptionKey.fromBytes(bytes(16, 16)));
        }
        return new Batch(
                positive(), nonNegative(), from, to, continued, entries(true, continued && r.nextBoolean()), done);
    }

    Docs docs() {
        boolean more = r.nextBoolean();
        return new Docs(
                positive(), (int) (nonNegative() & Integer.MAX_VALUE), more, entries(false, more && r.nextBoolean()));
    }
}
