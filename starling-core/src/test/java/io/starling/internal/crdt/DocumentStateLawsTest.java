package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The merge contract as properties over random operation histories of three replicas: merge is a join
 * (commutative, associative, idempotent), delivery order does not matter down to the byte, and every
 * replica's visible document equals what a simple reference model of the rules (docs/DATA-MODEL.md)
 * computes from the set of writes that replica has received — which covers the no-husk rule and counter
 * sums. The seed of a failing history is the jqwik sample.
 */
class DocumentStateLawsTest {

    @Property(tries = 1000)
    void mergeIsAJoin(@ForAll long seed) {
        History h = History.run(seed, true);
        Random r = new Random(seed);
        List<DocumentState> states = h.allStates;
        for (int i = 0; i < 20; i++) {
            DocumentState a = pick(states, r), b = pick(states, r), c = pick(states, r);
            assertThat(a.merge(b).encode())
                    .as("commutative")
                    .isEqualTo(b.merge(a).encode());
            assertThat(a.merge(b).merge(c).encode())
                    .as("associative")
                    .isEqualTo(a.merge(b.merge(c)).encode());
            assertThat(a.merge(a).encode()).as("idempotent").isEqualTo(a.encode());
            assertThat(a.merge(b).merge(a).encode())
                    .as("upper bound")
                    .isEqualTo(a.merge(b).encode());
            assertThat(DocumentState.decode(a.encode()).encode())
                    .as("codec round trip")
                    .isEqualTo(a.encode());
        }
    }

    @Property(tries = 1000)
    void everyDeliveryOrderGivesIdenticalBytes(@ForAll long seed) {
        History h = History.run(seed, true);
        Random r = new Random(seed ^ 0x5DEECE66DL);
        byte[] expected = h.converged().encode();
        for (int round = 0; round < 3; round++) {
            List<DocumentState> deliveries = new ArrayList<>(h.allStates);
            for (int i = 0; i < 5; i++) deliveries.add(pick(h.allStates, r)); // duplicates
            Collections.shuffle(deliveries, r);
            // batch: merge random runs first, then merge the batches
            DocumentState acc = DocumentState.empty();
            int i = 0;
            while (i < deliveries.size()) {
                int n = 1 + r.nextInt(4);
                DocumentState batch = DocumentState.empty();
                for (int j = i; j < Math.min(deliveries.size(), i + n); j++) batch = batch.merge(deliveries.get(j));
                acc = r.nextBoolean() ? acc.merge(batch) : batch.merge(acc);
                i += n;
            }
            assertThat(acc.encode()).isEqualTo(expected);
        }
    }

    @Property(tries = 1000)
    void replicasMatchTheReferenceModelAfterEveryStep(@ForAll long seed) {
        History h = History.run(seed, false); // the model covers top-level fields
        DocumentState converged = h.converged();
        assertThat(visible(converged)).isEqualTo(Model.view(h.allWrites()));
        for (Replica rep : h.replicas) {
            assertThat(rep.state.merge(converged).encode()).isEqualTo(converged.encode());
        }
    }

    @Property(tries = 1000)
    void noHusk(@ForAll long seed) {
        History h = History.run(seed, true);
        DocumentState all = h.converged();
        Stamp lastDelete = Stamp.NONE, lastInsert = Stamp.NONE;
        for (Write w : h.allWrites()) {
            if (w.kind == Kind.DELETE) lastDelete = Stamp.max(lastDelete, w.stamp);
            if (w.kind == Kind.INSERT) lastInsert = Stamp.max(lastInsert, w.stamp);
        }
        // the document exists exactly when an INSERT is the latest lifecycle write: updates never revive it
        assertThat(all.exists()).isEqualTo(lastInsert.after(lastDelete));
        if (!all.exists()) assertThat(all.fields()).isNull();
    }

    @Property(tries = 1000)
    void countersSumConcurrentIncrements(@ForAll long seed) {
        Random r = new Random(seed);
        DocumentState base = DocumentState.empty().insert(Value.Obj.EMPTY, new Stamp(1, 1));
        long t = 2, expected = 0;
        List<DocumentState> replicas = new ArrayList<>();
        for (int site = 1; site <= 4; site++) {
            DocumentState s = base;
            for (int k = r.nextInt(6); k > 0; k--) {
                long by = r.nextInt(21) - 10;
                expected += by;
                s = s.update(List.of(new FieldOp.Increment(Path.of("n"), Value.of(by))), new Stamp(t++, site));
            }
            replicas.add(s);
        }
        Collections.shuffle(replicas, r);
        DocumentState m = DocumentState.empty();
        for (DocumentState s : replicas) m = m.merge(s).merge(s);
        Value n = m.fields().get("n");
        if (n.isMissing()) assertThat(expected).isZero(); // nobody incremented
        else assertThat(n).isEqualTo(Value.of(expected));
    }

    @Property(tries = 1000)
    void fastInsertEncodingMatchesTheTree(@ForAll long seed) {
        Random r = new Random(seed);
        Map<String, Value> fields = new LinkedHashMap<>();
        if (r.nextBoolean()) fields.put("_id", Value.of("ignored"));
        for (int i = r.nextInt(8); i > 0; i--)
            fields.put("f" + r.nextInt(20) + (r.nextBoolean() ? "é" : ""), randomNested(r, 3));
        Value.Obj obj = new Value.Obj(fields);
        Stamp stamp = new Stamp(r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(1 << 30), 1 + r.nextInt(1000));
        assertThat(DocumentState.encodeInserted(obj, stamp))
                .isEqualTo(DocumentState.empty().insert(obj, stamp).encode());
    }

    private static Value randomNested(Random r, int depth) {
        if (depth > 0 && r.nextInt(3) == 0) {
            Map<String, Value> m = new LinkedHashMap<>();
            for (int i = r.nextInt(4); i > 0; i--) m.put("k" + r.nextInt(5), randomNested(r, depth - 1));
            return new Value.Obj(m);
        }
        return randomValue(r, true);
    }

    private static DocumentState pick(List<DocumentState> l, Random r) {
        return l.get(r.nextInt(l.size()));
    }

    static Map<String, Object> visible(DocumentState s) {
        return s.exists() ? s.fields().toJava() instanceof Map<?, ?> m ? castMap(m) : null : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    // ---- the random history ------------------------------------------------------------------------------

    enum Kind {
        INSERT,
        DELETE,
        SET,
        UNSET,
        INCREMENT,
        RESTART
    }

    /** One write as the reference model sees it. */
    record Write(Kind kind, Stamp stamp, String field, Value value, Map<String, Value> fields, Stamp observedClear) {}

    static final class Replica {
        final long site;
        DocumentState state = DocumentState.empty();
        final List<Write> seen = new ArrayList<>();

        Replica(long site) {
            this.site = site;
        }

        void receive(Replica from) {
            state = state.merge(from.state);
            for (Write w : from.seen) if (!seen.contains(w)) seen.add(w);
        }
    }

    static final class History {
        final List<Replica> replicas = new ArrayList<>();
        final List<DocumentState> allStates = new ArrayList<>();

        static History run(long seed, boolean nested) {
            History h = new History();
            Random r = new Random(seed);
            int n = 2 + r.nextInt(2);
            for (int i = 0; i < n; i++)
                h.replicas.add(
                        new Replica((i + 1L) * (r.nextBoolean() ? 1 : -1))); // distinct, some above 2^63 unsigned
            long clock = 1;
            int steps = 5 + r.nextInt(30);
            for (int step = 0; step < steps; step++) {
                Replica rep = h.replicas.get(r.nextInt(n));
                if (r.nextInt(4) == 0) {
                    rep.receive(h.replicas.get(r.nextInt(n)));
                } else {
                    Stamp stamp = new Stamp(clock++, rep.site);
                    h.write(rep, stamp, r, nested);
                }
                h.allStates.add(rep.state);
                if (!nested)
                    assertThat(visible(rep.state))
                            .as("replica %s after step %s", rep.site, step)
                            .isEqualTo(Model.view(rep.seen));
            }
            return h;
        }

        void write(Replica rep, Stamp stamp, Random r, boolean nested) {
            Value.Obj view = Model.fields(rep.seen);
            boolean exists = rep.state.exists();
            int choice = r.nextInt(10);
            if (!exists || choice == 0) {
                Map<String, Value> fields = new LinkedHashMap<>();
                for (String f : FIELDS) if (r.nextInt(3) == 0) fields.put(f, randomValue(r, nested));
                rep.state = rep.state.insert(new Value.Obj(fields), stamp);
                rep.seen.add(new Write(Kind.INSERT, stamp, null, null, fields, null));
                return;
            }
            if (choice == 1) {
                rep.state = rep.state.delete(stamp);
                rep.seen.add(new Write(Kind.DELETE, stamp, null, null, null, null));
                return;
            }
            String f = FIELDS[r.nextInt(FIELDS.length)];
            if (nested && r.nextInt(4) == 0) {
                Path p = Path.of("o", FIELDS[r.nextInt(FIELDS.length)]);
                FieldOp op = r.nextBoolean() ? new FieldOp.Set(p, randomValue(r, true)) : new FieldOp.Unset(p);
                rep.state = rep.state.update(List.of(op), stamp);
                return; // not modelled
            }
            Value current = view == null ? Value.MISSING : view.get(f);
            switch (choice % 4) {
                case 0:
                case 2: {
                    Value v = randomValue(r, nested);
                    rep.state = rep.state.update(List.of(new FieldOp.Set(Path.of(f), v)), stamp);
                    rep.seen.add(new Write(Kind.SET, stamp, f, v, null, null));
                    break;
                }
                case 1: {
                    rep.state = rep.state.update(List.of(new FieldOp.Unset(Path.of(f))), stamp);
                    rep.seen.add(new Write(Kind.UNSET, stamp, f, null, null, null));
                    break;
                }
                default: {
                    Value by = Value.of(r.nextInt(11) - 5);
                    if (r.nextInt(5) == 0) {
                        rep.state = rep.state.update(List.of(new FieldOp.Restart(Path.of(f), by)), stamp);
                        rep.seen.add(new Write(Kind.RESTART, stamp, f, by, null, null));
                    } else if (current instanceof Value.Str
                            || current instanceof Value.Obj
                            || current instanceof Value.Arr
                            || current instanceof Value.Null
                            || current instanceof Value.Bool) {
                        DocumentState before = rep.state;
                        assertThatThrownBy(() -> before.update(List.of(new FieldOp.Increment(Path.of(f), by)), stamp))
                                .isInstanceOf(DocumentException.class);
                    } else {
                        rep.state = rep.state.update(List.of(new FieldOp.Increment(Path.of(f), by)), stamp);
                        rep.seen.add(new Write(Kind.INCREMENT, stamp, f, by, null, Model.clear(rep.seen, f)));
                    }
                }
            }
        }

        List<Write> allWrites() {
            List<Write> all = new ArrayList<>();
            for (Replica rep : replicas) for (Write w : rep.seen) if (!all.contains(w)) all.add(w);
            return all;
        }

        DocumentState converged() {
            DocumentState s = DocumentState.empty();
            for (DocumentState x : allStates) s = s.merge(x);
            return s;
        }
    }

    static final String[] FIELDS = {"a", "b", "c"};

    static Value randomValue(Random r, boolean nested) {
        switch (r.nextInt(nested ? 6 : 4)) {
            case 0:
                return Value.of(r.nextInt(5));
            case 1:
                return Value.of("s" + r.nextInt(3));
            case 2:
                return Value.NULL;
            case 3:
                return Value.of(r.nextBoolean());
            case 4:
                return new Value.Arr(List.of(Value.of(r.nextInt(3))));
            default:
                return new Value.Obj(Map.of("x", Value.of(r.nextInt(3))));
        }
    }

    /** The rules of docs/DATA-MODEL.md, written as directly as possible over a set of writes. */
    static final class Model {
        static Stamp lastDelete(List<Write> ws) {
            Stamp d = Stamp.NONE;
            for (Write w : ws) if (w.kind == Kind.DELETE) d = Stamp.max(d, w.stamp);
            return d;
        }

        /** The latest assignment of a field after the last delete: SET, UNSET, RESTART or an INSERT naming it. */
        static Write assignment(List<Write> ws, String f) {
            Stamp d = lastDelete(ws);
            Write best = null;
            for (Write w : ws) {
                boolean assigns = (w.field != null && w.field.equals(f) && w.kind != Kind.INCREMENT)
                        || (w.kind == Kind.INSERT && w.fields.containsKey(f));
                if (assigns && w.stamp.after(d) && (best == null || w.stamp.after(best.stamp))) best = w;
            }
            return best;
        }

        static Stamp clear(List<Write> ws, String f) {
            Write a = assignment(ws, f);
            return a == null ? lastDelete(ws) : a.stamp;
        }

        static Map<String, Object> view(List<Write> ws) {
            Value.Obj fields = fields(ws);
            return fields == null ? null : castMap((Map<?, ?>) fields.toJava());
        }

        static Value.Obj fields(List<Write> ws) {
            Stamp d = lastDelete(ws), i = Stamp.NONE;
            for (Write w : ws) if (w.kind == Kind.INSERT) i = Stamp.max(i, w.stamp);
            if (!i.after(d)) return null;
            Map<String, Value> out = new LinkedHashMap<>();
            for (String f : FIELDS) {
                Write a = assignment(ws, f);
                Stamp e = clear(ws, f);
                // the assigned value (a SET, an INSERT naming the field, a RESTART), or MISSING
                Value v = a == null
                        ? Value.MISSING
                        : a.kind == Kind.INSERT ? a.fields.get(f) : a.kind == Kind.UNSET ? Value.MISSING : a.value;
                // a counter: a number or nothing as its base, plus every increment made while it was the latest
                // assignment (an increment of a plain number counts on top of it, as concurrent ones do)
                if (v.isNumber() || v.isMissing()) {
                    Value total = v.isMissing() ? Value.of(0) : v;
                    boolean counted = false;
                    for (Write w : ws) {
                        if (w.kind == Kind.INCREMENT && w.field.equals(f) && w.observedClear.equals(e)) {
                            total = Node.add(total, w.value);
                            counted = true;
                        }
                    }
                    if (counted) v = total;
                }
                out.put(f, v);
            }
            return new Value.Obj(out);
        }
    }
}
