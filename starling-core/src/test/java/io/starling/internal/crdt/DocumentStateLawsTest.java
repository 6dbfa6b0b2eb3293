package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;

/**
 * The merge contract as properties over random write histories of 2–4 replicas: merge is a join (commutative,
 * associative, idempotent), delivery order does not matter down to the byte, and every replica's visible document
 * equals what a reference model of the rules in docs/DATA-MODEL.md computes from the set of writes that replica
 * has received. The model ({@link Model}) is written from that document alone: its own stamp order, its own
 * counter arithmetic, nothing of the implementation. The seed of a failing history is the jqwik sample.
 *
 * <p>What a history holds, so that a merge bug has somewhere to show:
 *
 * <ul>
 *   <li><b>ties</b>: each replica has its own hybrid logical clock following one slow wall clock, so replicas that
 *       have not heard from each other write with the same HLC and only the site id orders their writes;
 *   <li><b>site ids across the whole 64-bit range</b>: 1, 2^63 - 1, 2^63, 2^64 - 1 and random ones, compared as
 *       unsigned numbers (a negative {@code long} is above 2^63);
 *   <li><b>nested writes</b>: objects inside objects, SET/UNSET/APPLY at paths one to three keys deep, writes
 *       below a path that another replica made a scalar, INSERT ... DO UPDATE and DO UPDATE_LOCAL_DIFF;
 *   <li><b>numbers at their edges</b>: -0.0, ±1e300, ±Double.MAX_VALUE, the smallest float, Long.MIN/MAX_VALUE;
 *   <li><b>counters</b>: increments by integers and floats, restarts, increments of plain numbers, and evictions
 *       after which a replica must not continue a counter series it cannot vouch for;
 *   <li>deletes, re-inserts, updates of deleted documents.
 * </ul>
 *
 * <p>Increments are by small integers and by multiples of 1/4, so that every counter sum is exact and the model
 * may add them in any order; sums that overflow (and their saturation) are worked examples in {@link
 * DocumentStateTest}. Every kind of merge bug that these classes exercise is caught on every run: docs/MUTATION.md
 * lists the planted bugs and the mutation score.
 */
class DocumentStateLawsTest {

    @Property(tries = 1000)
    void mergeIsAJoin(@ForAll long seed) {
        History h = History.run(seed, false);
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
            assertThat(DocumentState.decode(a.encode())).as("decoded state").isEqualTo(a);
        }
    }

    /**
     * A delta (the writes at or after a stamp) merged onto the state before those writes gives the whole state, and
     * merged onto anything adds nothing the whole state lacks: what the sync's field deltas rest on.
     */
    @Property(tries = 1000)
    void aDeltaMergedOntoItsBaseGivesTheWholeState(@ForAll long seed) {
        History h = History.run(seed, false);
        Random r = new Random(seed);
        for (int i = 0; i < 20; i++) {
            DocumentState base = pick(h.allStates, r), other = pick(h.allStates, r);
            Stamp t = new Stamp(base.maxStamp().hlc() + 1 + r.nextInt(3), 1 + r.nextInt(3));
            String f = "f" + r.nextInt(4);
            DocumentState full = switch (r.nextInt(5)) {
                case 0 -> base.delete(t);
                case 1 -> base.update(List.of(new FieldOp.Unset(Path.of(f))), t);
                case 2 -> base.update(List.of(new FieldOp.Increment(Path.of(f), new Value.Int(2))), t);
                case 3 -> base.update(List.of(new FieldOp.Set(Path.of(f, "x"), new Value.Int(r.nextInt()))), t);
                default ->
                    base.insert(Value.Obj.ofOwned(new LinkedHashMap<>(Map.of(f, new Value.Int(r.nextInt())))), t);
            };
            DocumentState delta = full.writtenSince(t);
            assertThat(base.merge(delta).encode()).as("base + delta").isEqualTo(full.encode());
            assertThat(other.merge(delta).merge(full).encode())
                    .as("a delta adds nothing the whole state lacks")
                    .isEqualTo(other.merge(full).encode());
            assertThat(full.writtenSince(Stamp.NONE).encode()).as("everything").isEqualTo(full.encode());
            assertThat(DocumentState.decode(delta.encode())).as("codec").isEqualTo(delta);
        }
    }

    @Property(tries = 1000)
    void everyDeliveryOrderGivesIdenticalBytes(@ForAll long seed) {
        History h = History.run(seed, false);
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
        History h = History.run(seed, true); // checks each replica after each step
        DocumentState converged = h.converged();
        assertThat(converged.fields())
                .as("all writes merged, in state\n%s", converged)
                .isEqualTo(Model.fields(h.written.values()));
        for (Replica rep : h.replicas) {
            assertThat(rep.state.merge(converged).encode()).isEqualTo(converged.encode());
        }
    }

    /** The model property over many more histories: mvn -Pslow. */
    @Tag("slow")
    @Property(tries = 50_000)
    void replicasMatchTheReferenceModelOverManyHistories(@ForAll long seed) {
        replicasMatchTheReferenceModelAfterEveryStep(seed);
    }

    @Property(tries = 1000)
    void noHusk(@ForAll long seed) {
        History h = History.run(seed, false);
        DocumentState all = h.converged();
        Stamp lastDelete = null, lastInsert = null;
        for (Write w : h.written.values()) {
            for (Atom a : w.atoms) {
                if (!a.path.isEmpty()) continue;
                if (a.op == Op.ASSIGN) lastDelete = Model.latest(lastDelete, a.stamp);
                if (a.op == Op.OBJECT) lastInsert = Model.latest(lastInsert, a.stamp);
            }
        }
        // the document exists exactly when an INSERT is the latest lifecycle write: updates never revive it
        assertThat(all.exists()).isEqualTo(Model.later(lastInsert, lastDelete));
        assertThat(all.isTombstone()).isEqualTo(lastDelete != null && !Model.later(lastInsert, lastDelete));
        if (!all.exists()) assertThat(all.fields()).isNull();
    }

    /**
     * Concurrent writes at one HLC: between writes of one path (or of a path and its ancestor, or a DELETE and an
     * INSERT), the write of the site that is greater as an unsigned number wins, whatever the kinds of the writes;
     * concurrent increments all count. Every try is a tie, so a wrong tie-break fails this on every run.
     */
    @Property(tries = 1000)
    void tiesBetweenSitesGoToTheGreaterSiteAsAnUnsignedNumber(@ForAll long seed) {
        Random r = new Random(seed);
        long[] sites = sites(r, 2 + r.nextInt(2));
        List<String> path = randomPath(r);
        // the base, seen by every writer: the path's ancestors are objects, the path holds a value
        Value v0 = r.nextBoolean() ? Value.of(r.nextInt(7) - 3) : randomValue(r, 1);
        for (int i = path.size() - 1; i >= 0; i--) v0 = new Value.Obj(Map.of(path.get(i), v0));
        Value.Obj start = (Value.Obj) v0;
        Stamp first = new Stamp(1, sites[r.nextInt(sites.length)]);
        DocumentState base = DocumentState.empty().insert(start, first);
        List<Write> writes = new ArrayList<>(List.of(new Write(Kind.INSERT, first, insertAtoms(start, first))));
        Value.Obj view = Model.fields(writes);
        long hlc = 2 + r.nextInt(1000);
        List<DocumentState> concurrent = new ArrayList<>();
        for (long site : sites) {
            Stamp s = new Stamp(hlc, site);
            List<String> p = r.nextInt(4) == 0 ? path.subList(0, 1 + r.nextInt(path.size())) : path;
            List<Atom> atoms = new ArrayList<>();
            DocumentState next;
            Value current = Model.valueAt(view, p);
            int kind = r.nextInt(7);
            if (kind == 0) {
                next = base.delete(s);
                atoms.add(new Atom(Op.ASSIGN, List.of(), s, null, null));
            } else if (kind == 1) {
                Value.Obj fields = new Value.Obj(Map.of(p.get(0), randomValue(r, 2)));
                next = base.insert(fields, s);
                atoms.addAll(insertAtoms(fields, s));
            } else if (kind == 2) {
                next = base.update(List.of(new FieldOp.Unset(toPath(p))), s);
                atoms.add(new Atom(Op.ASSIGN, p, s, null, null));
            } else if (kind == 3) {
                Value v = randomNumber(r);
                next = base.update(List.of(new FieldOp.Restart(toPath(p), v)), s);
                objectsAbove(p, s, atoms);
                atoms.add(new Atom(Op.ASSIGN, p, s, v, null));
            } else if (kind == 4 && (current.isMissing() || current.isNumber() && exactBase(current))) {
                Value by = randomIncrement(r);
                next = base.update(List.of(new FieldOp.Increment(toPath(p), by)), s);
                objectsAbove(p, s, atoms);
                atoms.add(new Atom(Op.INCREMENT, p, s, by, Model.clear(writes.subList(0, 1), p)));
            } else {
                // a value that names its writer, so that the wrong winner shows
                Value v = r.nextBoolean() ? Value.of("site " + Long.toUnsignedString(site)) : randomValue(r, 2);
                next = base.update(List.of(new FieldOp.Set(toPath(p), v)), s);
                objectsAbove(p, s, atoms);
                writeValueAtoms(p, v, s, atoms);
            }
            writes.add(new Write(Kind.UPDATE, s, atoms));
            concurrent.add(next);
        }
        Collections.shuffle(concurrent, r);
        DocumentState merged = DocumentState.empty();
        for (DocumentState d : concurrent) merged = merged.merge(d);
        assertThat(merged.fields()).as("merged state\n%s", merged).isEqualTo(Model.fields(writes));
    }

    @Property(tries = 1000)
    void countersSumConcurrentIncrements(@ForAll long seed) {
        Random r = new Random(seed);
        long[] sites = sites(r, 2 + r.nextInt(3));
        long start = r.nextBoolean() ? 0 : r.nextInt(100) - 50;
        Map<String, Value> fields = new LinkedHashMap<>();
        if (r.nextBoolean()) fields.put("n", Value.of(start)); // a plain number: increments count on top of it
        else start = 0;
        DocumentState base = DocumentState.empty().insert(new Value.Obj(fields), new Stamp(1, sites[0]));
        long expected = start;
        boolean counted = fields.containsKey("n");
        List<DocumentState> replicas = new ArrayList<>();
        long lastHlc = 1; // the latest HLC written so far
        for (long site : sites) {
            // a site starts from the base, or from what earlier sites counted (their series are not its own)
            DocumentState s = base;
            long t = 2;
            if (r.nextBoolean()) {
                for (DocumentState other : replicas) s = s.merge(other);
                t = lastHlc + 1;
            }
            // sites write at the same HLCs: only the site id tells their increments apart
            for (int k = r.nextInt(6); k > 0; k--, t++) {
                long by = r.nextInt(21) - 10;
                expected += by;
                counted = true;
                s = s.update(List.of(new FieldOp.Increment(Path.of("n"), Value.of(by))), new Stamp(t, site));
                lastHlc = Math.max(lastHlc, t);
            }
            replicas.add(s);
        }
        Collections.shuffle(replicas, r);
        DocumentState m = DocumentState.empty();
        for (DocumentState s : replicas) m = m.merge(s).merge(s);
        Value n = m.fields().get("n");
        if (!counted) assertThat(n.isMissing()).isTrue(); // nobody incremented
        else assertThat(n).isEqualTo(Value.of(expected));
    }

    /**
     * A replica that evicted the document and got an older copy back from a peer holds an older copy of its own
     * counter series: continuing it would replace the newer sum everywhere and lose the increments in between. The
     * ledger policy makes it start a new series instead, whether it restarted (and forgot its ledger) or not.
     */
    @Property(tries = 300)
    void aReplicaThatEvictedNeverContinuesAnOlderCopyOfItsSeries(@ForAll long seed) {
        Random r = new Random(seed);
        long[] sites = sites(r, 3);
        Replica a = new Replica(sites[0]), b = new Replica(sites[1]), c = new Replica(sites[2]);
        long wall = 1, expected = 0;
        Value.Obj fields = r.nextBoolean() ? new Value.Obj(Map.of("n", Value.of(5))) : Value.Obj.EMPTY;
        if (fields.size() > 0) expected = 5; // a plain number: increments count on top of it
        a.state = a.state.insert(fields, a.tick(wall));
        b.receive(a); // b counts on the same base
        List<DocumentState> states = new ArrayList<>();
        FieldOp.Increment[] incs = new FieldOp.Increment[7];
        for (int i = 0; i < incs.length; i++) incs[i] = new FieldOp.Increment(Path.of("n"), Value.of(i + 1));
        for (int phase = 0; phase < 3; phase++) {
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                wall += r.nextInt(2); // b often writes at the same HLC as a
                int by = 1 + r.nextInt(incs.length);
                a.state = a.update(List.of(incs[by - 1]), a.tick(wall), r.nextBoolean());
                expected += by;
                states.add(a.state);
                if (r.nextBoolean()) {
                    b.state = b.update(List.of(incs[0]), b.tick(wall), r.nextBoolean());
                    expected += 1;
                    states.add(b.state);
                }
            }
            if (phase == 0) b.receive(a); // b holds a's series as it is now...
            if (phase == 1) {
                if (r.nextBoolean()) c.receive(a); // ...and c perhaps the newer one
                a.evict(r.nextBoolean());
                a.receive(b); // a gets the older copy back
            }
        }
        DocumentState all = DocumentState.empty();
        for (DocumentState s : states) all = all.merge(s);
        all = all.merge(c.state).merge(b.state);
        assertThat(all.fields().get("n")).as("in state\n%s", all).isEqualTo(Value.of(expected));
    }

    @Property(tries = 1000)
    void fastInsertEncodingMatchesTheTree(@ForAll long seed) {
        Random r = new Random(seed);
        Map<String, Value> fields = new LinkedHashMap<>();
        if (r.nextBoolean()) fields.put("_id", Value.of("ignored"));
        for (int i = r.nextInt(8); i > 0; i--)
            fields.put("f" + r.nextInt(20) + (r.nextBoolean() ? "é" : ""), randomValue(r, 3));
        Value.Obj obj = new Value.Obj(fields);
        long hlc = switch (r.nextInt(3)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(1 << 30);
            default -> r.nextLong() >>> 1;
        };
        Stamp stamp = new Stamp(hlc, sites(r, 1)[0]);
        assertThat(DocumentState.encodeInserted(obj, stamp))
                .isEqualTo(DocumentState.empty().insert(obj, stamp).encode());
    }

    private static DocumentState pick(List<DocumentState> l, Random r) {
        return l.get(r.nextInt(l.size()));
    }

    // ---- the random history ------------------------------------------------------------------------------

    enum Kind {
        INSERT,
        INSERT_DIFF,
        DELETE,
        UPDATE
    }

    /** What one write does to one path, as docs/DATA-MODEL.md puts it. The root is the empty path. */
    enum Op {
        /** assigns the path: a value (a register, or a counter restart's number), or null for a removal */
        ASSIGN,
        /** makes the path an object */
        OBJECT,
        /** adds {@code value}, counted toward the assignment {@code basis} that the writer had seen (null: none) */
        INCREMENT
    }

    record Atom(Op op, List<String> path, Stamp stamp, Value value, Stamp basis) {}

    /** One statement's write, as the reference model sees it. */
    record Write(Kind kind, Stamp stamp, List<Atom> atoms) {}

    static final class Replica {
        final long site;
        /** The last HLC value this replica produced or observed (its clock survives eviction, as on disk). */
        long clock;

        DocumentState state = DocumentState.empty();
        /** The writes whose effects this replica's state holds, by stamp. */
        final Map<Stamp, Write> seen = new LinkedHashMap<>();
        /** The engine's series ledger: counter series this replica wrote, with its latest write to each. */
        final Map<Stamp, Stamp> ledger = new HashMap<>();

        /** Once it evicted, a replica may hold an older copy of its own series: only the ledger can tell. */
        boolean evicted;

        Replica(long site) {
            this.site = site;
        }

        Stamp tick(long wall) {
            clock = Math.max(wall, clock + 1);
            return new Stamp(clock, site);
        }

        void receive(Replica from) {
            state = state.merge(from.state);
            seen.putAll(from.seen);
            clock = Math.max(clock, from.clock);
        }

        void evict(boolean restart) {
            state = DocumentState.empty();
            seen.clear();
            evicted = true;
            if (restart) ledger.clear(); // the ledger lives while the store is open
        }

        /**
         * An UPDATE: the engine's ledger policy, or — while this replica never evicted, so that its copy of each of
         * its series is the latest it wrote — the default policy that continues every series of this site.
         */
        DocumentState update(List<FieldOp> ops, Stamp stamp, boolean ledgerPolicy) {
            DocumentState next = ledgerPolicy || evicted
                    ? state.update(ops, stamp, (series, latest) -> latest.equals(ledger.get(series)))
                    : state.update(ops, stamp);
            for (Stamp series : next.seriesWrittenAt(stamp)) ledger.put(series, stamp);
            return next;
        }
    }

    /**
     * The mix of a history: most are general; one in four is about counters, with few paths, many increments and
     * frequent evictions (a replica that continued an older copy of its own counter series would lose increments).
     */
    record Mix(int receive, int evict, int insert, int delete, int set, int unset, int increment, int restart) {
        static final Mix GENERAL = new Mix(8, 1, 3, 2, 12, 6, 10, 3);
        static final Mix COUNTERS = new Mix(10, 4, 2, 1, 3, 2, 20, 3);

        int total() {
            return receive + evict + insert + delete + set + unset + increment + restart;
        }
    }

    static final class History {
        final Random r;
        final Mix mix;
        final List<Replica> replicas = new ArrayList<>();
        final List<DocumentState> allStates = new ArrayList<>();
        /** Every write made (some may have been evicted before anyone received them: they are in allStates). */
        final Map<Stamp, Write> written = new LinkedHashMap<>();
        /** The wall clock all replicas read: it moves slowly, so unsynchronised replicas write at equal HLCs. */
        long wall = 1;

        private History(Random r) {
            this.r = r;
            this.mix = r.nextInt(4) == 0 ? Mix.COUNTERS : Mix.GENERAL;
        }

        static History run(long seed, boolean checkEveryStep) {
            History h = new History(new Random(seed));
            Random r = h.r;
            int n = 2 + (r.nextInt(4) == 0 ? 2 : r.nextInt(2));
            for (long site : sites(r, n)) h.replicas.add(new Replica(site));
            int steps = 5 + r.nextInt(40);
            for (int step = 0; step < steps; step++) {
                if (r.nextInt(3) == 0) h.wall += 1 + r.nextInt(2);
                Replica rep = h.replicas.get(r.nextInt(n));
                int action = r.nextInt(h.mix.total());
                if (action < h.mix.receive) {
                    rep.receive(h.replicas.get(r.nextInt(n)));
                } else if (action < h.mix.receive + h.mix.evict) {
                    // EVICT, then sync brings the document back from a peer: perhaps an older copy
                    rep.evict(r.nextBoolean());
                    if (r.nextBoolean()) rep.receive(h.replicas.get(r.nextInt(n)));
                } else {
                    h.write(rep, action - h.mix.receive - h.mix.evict);
                }
                h.allStates.add(rep.state);
                if (checkEveryStep) {
                    assertThat(rep.state.fields())
                            .as(
                                    "replica %s after step %s, state\n%s",
                                    Long.toUnsignedString(rep.site, 16), step, rep.state)
                            .isEqualTo(Model.fields(rep.seen.values()));
                }
            }
            return h;
        }

        /** One statement of {@code rep}; {@code choice} picks its kind by the history's mix. */
        void write(Replica rep, int choice) {
            Value.Obj view = Model.fields(rep.seen.values());
            Stamp stamp = rep.tick(wall);
            if (view == null || choice < mix.insert) {
                Value.Obj fields = randomFields();
                if (r.nextInt(3) == 0) { // INSERT ... ON ID CONFLICT DO UPDATE_LOCAL_DIFF: a plain INSERT if absent
                    // often the document as this replica sees it, perhaps one field changed: most of it must not
                    // differ, counters and all
                    if (view != null && r.nextBoolean()) fields = nearly(view);
                    List<Atom> atoms = view == null ? insertAtoms(fields, stamp) : new ArrayList<>();
                    if (view != null) Model.diff(List.of(), fields, view, stamp, atoms);
                    DocumentState before = rep.state;
                    rep.state = rep.state.insertChangedFields(fields, stamp);
                    if (atoms.isEmpty())
                        assertThat(rep.state).as("nothing differs").isSameAs(before);
                    else record(rep, new Write(Kind.INSERT_DIFF, stamp, atoms));
                } else {
                    rep.state = rep.state.insert(fields, stamp);
                    record(rep, new Write(Kind.INSERT, stamp, insertAtoms(fields, stamp)));
                }
                return;
            }
            choice -= mix.insert;
            if (choice < mix.delete) {
                rep.state = rep.state.delete(stamp);
                record(rep, new Write(Kind.DELETE, stamp, List.of(new Atom(Op.ASSIGN, List.of(), stamp, null, null))));
                return;
            }
            choice -= mix.delete;
            // an UPDATE: one to three operations on paths that do not overlap (DQL refuses overlapping ones), each
            // seeing the document as the operations before it left it
            List<FieldOp> ops = new ArrayList<>();
            List<Atom> atoms = new ArrayList<>();
            List<List<String>> paths = new ArrayList<>();
            boolean refused = false;
            int count = r.nextInt(10) < 7 ? 1 : 2 + r.nextInt(2);
            for (int k = 0; k < count; k++) {
                List<String> path = mix == Mix.COUNTERS ? counterPath(r) : randomPath(r);
                if (overlapsAny(path, paths)) continue;
                paths.add(path);
                Path p = toPath(path);
                List<Write> sofar = new ArrayList<>(rep.seen.values());
                sofar.add(new Write(Kind.UPDATE, stamp, atoms));
                Value.Obj now = Model.fields(sofar);
                if (k > 0) choice = r.nextInt(mix.set + mix.unset + mix.increment + mix.restart);
                if (choice < mix.set) {
                    Value v = mix == Mix.COUNTERS && r.nextBoolean() ? randomNumber(r) : randomValue(r, 2);
                    ops.add(new FieldOp.Set(p, v));
                    objectsAbove(path, stamp, atoms);
                    writeValueAtoms(path, v, stamp, atoms);
                } else if (choice < mix.set + mix.unset) {
                    // removes the field if its parent is an object, else changes nothing
                    ops.add(new FieldOp.Unset(p));
                    if (path.size() == 1 || Model.valueAt(now, path.subList(0, path.size() - 1)) instanceof Value.Obj) {
                        atoms.add(new Atom(Op.ASSIGN, path, stamp, null, null));
                    }
                } else if (choice < mix.set + mix.unset + mix.increment) {
                    Value current = Model.valueAt(now, path);
                    if (current.isNumber() && !exactBase(current)) continue; // sums would round: see the class comment
                    Value by = randomIncrement(r);
                    ops.add(new FieldOp.Increment(p, by));
                    refused |= !current.isMissing() && !current.isNumber(); // only numbers count
                    objectsAbove(path, stamp, atoms);
                    atoms.add(new Atom(Op.INCREMENT, path, stamp, by, Model.clear(sofar, path)));
                } else {
                    Value v = randomNumber(r);
                    ops.add(new FieldOp.Restart(p, v));
                    objectsAbove(path, stamp, atoms);
                    atoms.add(new Atom(Op.ASSIGN, path, stamp, v, null));
                }
            }
            if (ops.isEmpty()) return;
            DocumentState before = rep.state;
            boolean ledger = r.nextBoolean();
            if (refused) { // the statement fails as a whole
                assertThatThrownBy(() -> rep.update(ops, stamp, ledger))
                        .as("%s on %s", ops, view)
                        .isInstanceOf(DocumentException.class);
                return;
            }
            rep.state = rep.update(ops, stamp, ledger);
            if (atoms.isEmpty()) {
                assertThat(rep.state.encode()).as("%s changes nothing", ops).isEqualTo(before.encode());
            } else {
                record(rep, new Write(Kind.UPDATE, stamp, atoms));
            }
        }

        private static boolean overlapsAny(List<String> path, List<List<String>> others) {
            for (List<String> o : others) {
                int n = Math.min(o.size(), path.size());
                if (o.subList(0, n).equals(path.subList(0, n))) return true;
            }
            return false;
        }

        private void record(Replica rep, Write w) {
            rep.seen.put(w.stamp, w);
            written.put(w.stamp, w);
        }

        private Value.Obj randomFields() {
            Map<String, Value> fields = new LinkedHashMap<>();
            if (r.nextInt(8) == 0) fields.put("_id", Value.of(7)); // the id is the key, never a field
            for (String f : KEYS) if (r.nextInt(3) == 0) fields.put(f, randomValue(r, 2));
            return new Value.Obj(fields);
        }

        /** {@code view}, or {@code view} with one top-level field written anew. */
        private Value.Obj nearly(Value.Obj view) {
            if (r.nextBoolean()) return view;
            Map<String, Value> fields = new LinkedHashMap<>(view.fields());
            fields.put(KEYS[r.nextInt(KEYS.length)], randomValue(r, 2));
            return new Value.Obj(fields);
        }

        DocumentState converged() {
            DocumentState s = DocumentState.empty();
            for (DocumentState x : allStates) s = s.merge(x);
            return s;
        }
    }

    /** The atoms of an INSERT: the root is an object, and each field (but {@code _id}) is written. */
    static List<Atom> insertAtoms(Value.Obj fields, Stamp stamp) {
        List<Atom> atoms = new ArrayList<>();
        atoms.add(new Atom(Op.OBJECT, List.of(), stamp, null, null));
        for (Map.Entry<String, Value> e : fields.fields().entrySet()) {
            if (!e.getKey().equals("_id")) writeValueAtoms(List.of(e.getKey()), e.getValue(), stamp, atoms);
        }
        return atoms;
    }

    /** Writing a value at a path: an object is made and its fields written; anything else is assigned. */
    static void writeValueAtoms(List<String> path, Value v, Stamp stamp, List<Atom> out) {
        if (v instanceof Value.Obj o) {
            out.add(new Atom(Op.OBJECT, path, stamp, null, null));
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                writeValueAtoms(append(path, e.getKey()), e.getValue(), stamp, out);
            }
        } else {
            out.add(new Atom(Op.ASSIGN, path, stamp, v, null));
        }
    }

    /** SET and APPLY below the root make every ancestor of their path an object (the root excepted). */
    static void objectsAbove(List<String> path, Stamp stamp, List<Atom> out) {
        for (int i = 1; i < path.size(); i++) out.add(new Atom(Op.OBJECT, path.subList(0, i), stamp, null, null));
    }

    static List<String> append(List<String> path, String key) {
        List<String> p = new ArrayList<>(path);
        p.add(key);
        return List.copyOf(p);
    }

    static Path toPath(List<String> path) {
        return Path.of(path.toArray(new String[0]));
    }

    // ---- generators ----------------------------------------------------------------------------------------

    /** Top-level fields; nested objects use {@link #INNER} keys, so that writes at different depths meet. */
    static final String[] KEYS = {"a", "b", "c"};

    static final String[] INNER = {"x", "y"};

    /** Site ids at the edges of the signed and unsigned orders, and random ones. Never 0 (not a valid site). */
    static final long[] EDGE_SITES = {1, 2, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, -2, -1};

    static long[] sites(Random r, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long s;
            boolean fresh;
            do {
                s = r.nextInt(3) > 0 ? EDGE_SITES[r.nextInt(EDGE_SITES.length)] : r.nextLong();
                fresh = s != 0;
                for (int j = 0; j < i; j++) fresh &= out[j] != s;
            } while (!fresh);
            out[i] = s;
        }
        return out;
    }

    static List<String> randomPath(Random r) {
        int depth = switch (r.nextInt(7)) {
            case 0, 1, 2 -> 1;
            case 3, 4, 5 -> 2;
            default -> 3;
        };
        List<String> path = new ArrayList<>();
        path.add(KEYS[r.nextInt(KEYS.length)]);
        for (int i = 1; i < depth; i++) path.add(INNER[r.nextInt(INNER.length)]);
        return List.copyOf(path);
    }

    /** The few paths of a history about counters. */
    static List<String> counterPath(Random r) {
        return switch (r.nextInt(4)) {
            case 0, 1 -> List.of("a");
            case 2 -> List.of("b");
            default -> List.of("b", "x");
        };
    }

    /** Any value, objects nested up to {@code depth} levels. */
    static Value randomValue(Random r, int depth) {
        switch (r.nextInt(depth > 0 ? 11 : 9)) {
            case 0:
            case 1:
                return Value.of(r.nextInt(7) - 3);
            case 2:
                return randomNumber(r);
            case 3:
                return Value.of("s" + r.nextInt(3));
            case 4:
                return Value.NULL;
            case 5:
                return Value.of(r.nextBoolean());
            case 6:
                return new Value.Arr(List.of(Value.of(r.nextInt(3))));
            case 7:
                return r.nextBoolean() ? Value.of("é\u00a0🐦") : new Value.Bin(new byte[] {(byte) r.nextInt(3)});
            case 8:
                return Value.Obj.EMPTY;
            default: {
                Map<String, Value> m = new LinkedHashMap<>();
                for (String k : INNER) if (r.nextBoolean()) m.put(k, randomValue(r, depth - 1));
                return new Value.Obj(m);
            }
        }
    }

    static final Value[] EDGE_NUMBERS = {
        Value.of(0),
        Value.of(Long.MAX_VALUE),
        Value.of(Long.MIN_VALUE),
        Value.of((1L << 53) + 1),
        Value.of(-0.0),
        Value.of(0.5),
        Value.of(-2.75),
        Value.of(0.1),
        Value.of(1e300),
        Value.of(-1e300),
        Value.of(Double.MAX_VALUE),
        Value.of(-Double.MAX_VALUE),
        Value.of(Double.MIN_VALUE),
    };

    static Value randomNumber(Random r) {
        return r.nextBoolean() ? Value.of(r.nextInt(21) - 10) : EDGE_NUMBERS[r.nextInt(EDGE_NUMBERS.length)];
    }

    /** Integers, and floats that are multiples of 1/4: their sums are exact in any order. */
    static Value randomIncrement(Random r) {
        return switch (r.nextInt(5)) {
            case 0 -> Value.of((r.nextInt(13) - 6) / 4.0);
            case 1 -> Value.of(-0.0);
            default -> Value.of(r.nextInt(11) - 5);
        };
    }

    /**
     * A counter base to which small increments add exactly (or not at all: a float of magnitude 1e300 and above
     * absorbs them), so that the model may add increments in any order.
     */
    static boolean exactBase(Value v) {
        if (v instanceof Value.Int i) return Math.abs(i.value()) <= 1L << 40;
        double d = ((Value.Dbl) v).value();
        return Math.abs(d) >= 1e300 || (Math.abs(d) <= 1L << 40 && d * 4 == Math.rint(d * 4));
    }

    // ---- the reference model -----------------------------------------------------------------------------

    /**
     * The visible document, computed from a set of writes by the rules of docs/DATA-MODEL.md and nothing else:
     *
     * <ul>
     *   <li>writes are ordered by (hlc, site), the site read as an unsigned number;
     *   <li>a path's <em>clear</em> is the latest assignment of the path or of any ancestor (a DELETE assigns the
     *       root); writes at or before it are unreachable;
     *   <li>a path is an object when its latest "make object" write is later than its clear; the document exists
     *       when the root is an object;
     *   <li>otherwise it shows its assignment if that is later than its ancestors' clear: a value, or nothing for a
     *       removal; a number is a counter base;
     *   <li>a counter adds to its base (0 when there is none) every increment that saw exactly the current clear.
     * </ul>
     */
    static final class Model {
        private final Map<List<String>, List<Atom>> byPath = new HashMap<>();
        private final Map<List<String>, TreeSet<String>> children = new HashMap<>();

        private Model(Collection<Write> writes) {
            for (Write w : writes) {
                for (Atom a : w.atoms) {
                    byPath.computeIfAbsent(a.path, k -> new ArrayList<>()).add(a);
                    for (int i = 0; i < a.path.size(); i++) {
                        children.computeIfAbsent(a.path.subList(0, i), k -> new TreeSet<>())
                                .add(a.path.get(i));
                    }
                }
            }
        }

        /** True when {@code a} is a later write than {@code b}; null stands for "no write", before all. */
        static boolean later(Stamp a, Stamp b) {
            if (a == null) return false;
            if (b == null) return true;
            if (a.hlc() != b.hlc()) return a.hlc() > b.hlc();
            // site ids are unsigned: flipping the sign bit maps 0 .. 2^64-1 onto Long.MIN_VALUE .. Long.MAX_VALUE
            return (a.site() ^ Long.MIN_VALUE) > (b.site() ^ Long.MIN_VALUE);
        }

        static Stamp latest(Stamp a, Stamp b) {
            return later(a, b) ? a : b;
        }

        /** The visible fields, or null when the document does not exist. */
        static Value.Obj fields(Collection<Write> writes) {
            return new Model(writes).value(List.of(), null) instanceof Value.Obj o ? o : null;
        }

        /** The clear of a path: its latest assignment or that of an ancestor, or null. */
        static Stamp clear(Collection<Write> writes, List<String> path) {
            Stamp c = null;
            for (Write w : writes) {
                for (Atom a : w.atoms) {
                    if (a.op == Op.ASSIGN
                            && a.path.size() <= path.size()
                            && path.subList(0, a.path.size()).equals(a.path)) {
                        c = latest(c, a.stamp);
                    }
                }
            }
            return c;
        }

        /** The visible value at a path of a visible document (MISSING when the path leads nowhere). */
        static Value valueAt(Value.Obj doc, List<String> path) {
            Value v = doc;
            for (String k : path) v = v instanceof Value.Obj o ? o.get(k) : Value.MISSING;
            return v;
        }

        private Value value(List<String> path, Stamp parentClear) {
            Atom assignment = null;
            Stamp object = null;
            for (Atom a : byPath.getOrDefault(path, List.of())) {
                if (a.op == Op.ASSIGN && (assignment == null || later(a.stamp, assignment.stamp))) assignment = a;
                if (a.op == Op.OBJECT) object = latest(object, a.stamp);
            }
            Stamp clear = assignment == null ? parentClear : latest(parentClear, assignment.stamp);
            if (later(object, clear)) {
                Map<String, Value> fields = new TreeMap<>();
                for (String k : children.getOrDefault(path, new TreeSet<>())) {
                    Value v = value(append(path, k), clear);
                    if (!v.isMissing()) fields.put(k, v);
                }
                return new Value.Obj(fields);
            }
            Value base = null;
            if (assignment != null && later(assignment.stamp, parentClear) && assignment.value != null) {
                if (!assignment.value.isNumber()) return assignment.value;
                base = assignment.value;
            }
            // integers add exactly, in any order (the total leaves 64 bits only if the exact sum does); with a float
            // the generator keeps every sum exact, so the order does not matter either
            BigInteger exact = base == null || base instanceof Value.Int ? BigInteger.ZERO : null;
            if (base instanceof Value.Int i) exact = BigInteger.valueOf(i.value());
            for (Atom a : byPath.getOrDefault(path, List.of())) {
                if (a.op == Op.INCREMENT && Objects.equals(a.basis, clear)) {
                    base = plus(base == null ? Value.of(0) : base, a.value);
                    exact = exact != null && a.value instanceof Value.Int i
                            ? exact.add(BigInteger.valueOf(i.value()))
                            : null;
                }
            }
            if (base != null && exact != null) {
                base = exact.bitLength() < 64 ? Value.of(exact.longValue()) : Value.of(exact.doubleValue());
            }
            return base == null ? Value.MISSING : shown(base);
        }

        /** Counter addition: integers stay integers unless the sum leaves 64 bits; a float makes a float. */
        static Value plus(Value a, Value b) {
            if (a instanceof Value.Int x && b instanceof Value.Int y) {
                try {
                    return Value.of(Math.addExact(x.value(), y.value()));
                } catch (ArithmeticException overflow) {
                    return Value.of((double) x.value() + (double) y.value());
                }
            }
            return Value.of(number(a) + number(b));
        }

        /** A counter never shows a non-finite number: beyond the float range it shows the largest float. */
        static Value shown(Value v) {
            if (v instanceof Value.Dbl d && Double.isInfinite(d.value())) {
                return Value.of(Math.copySign(Double.MAX_VALUE, d.value()));
            }
            return v;
        }

        private static double number(Value v) {
            return v instanceof Value.Int i ? i.value() : ((Value.Dbl) v).value();
        }

        /**
         * INSERT ... ON ID CONFLICT DO UPDATE_LOCAL_DIFF against the visible document: writes each supplied field
         * whose value differs (objects: recursively), and makes every object it wrote into an object again.
         */
        static boolean diff(List<String> path, Value.Obj supplied, Value.Obj current, Stamp stamp, List<Atom> out) {
            boolean changed = false;
            for (Map.Entry<String, Value> e : supplied.fields().entrySet()) {
                if (path.isEmpty() && e.getKey().equals("_id")) continue;
                List<String> p = append(path, e.getKey());
                Value now = current.get(e.getKey());
                if (e.getValue() instanceof Value.Obj o && now instanceof Value.Obj c) {
                    changed |= diff(p, o, c, stamp, out);
                } else if (!e.getValue().equals(now)) {
                    writeValueAtoms(p, e.getValue(), stamp, out);
                    changed = true;
                }
            }
            if (changed) out.add(new Atom(Op.OBJECT, path, stamp, null, null));
            return changed;
        }
    }
}
