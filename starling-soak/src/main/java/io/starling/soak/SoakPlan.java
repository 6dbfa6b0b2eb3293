package io.starling.soak;

import io.starling.StarlingConfig;
import io.starling.testing.model.ModelOp;
import io.starling.testing.model.ModelStatement;
import io.starling.testing.model.RandomOps;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Everything a soak run does, drawn from its seed before anything starts: the topology (which peer dials which,
 * over TCP or WebSocket), the peers' site ids, durability and first subscriptions, and the timed steps of the chaos
 * phase — statements, evictions, subscription changes, relay faults, SIGKILLs and restarts. A seed always gives the
 * same plan ({@link #describe()} prints it); what the real stack does in between is not deterministic, which is why
 * the checks look only at what must hold whatever the interleaving.
 */
final class SoakPlan {
    static final List<String> COLLECTIONS = List.of("a", "b", "c");

    enum Transport {
        TCP,
        WS
    }

    /** A link: {@code dialler} connects through the link's relay to {@code listener}'s listener of that transport. */
    record Link(int index, int dialler, int listener, Transport transport) {
        String name() {
            return dialler + "-" + listener;
        }

        boolean touches(int peer) {
            return dialler == peer || listener == peer;
        }

        int other(int peer) {
            return peer == dialler ? listener : dialler;
        }
    }

    /** A subscription as the application registers it. */
    record SubSpec(String collection, String query, Map<String, Object> args) {
        @Override
        public String toString() {
            return query + (args.isEmpty() ? "" : " " + args);
        }
    }

    /** A statement on one document: what it asks ({@code op}) and how it is spelled ({@link ModelStatement}). */
    record Stmt(String collection, Object id, String text, Map<String, Object> args, ModelOp op) {
        Stmt(String collection, Object id, ModelStatement statement, ModelOp op) {
            this(collection, id, statement.text(), statement.args(), op);
        }

        DocRef doc() {
            return DocRef.of(collection, id);
        }

        /** What the statement asks, for reports: {@code UPDATE x = 1, n += 2}. */
        String summary() {
            return SoakPlan.summary(op);
        }

        @Override
        public String toString() {
            return text + " " + abbreviate(args);
        }
    }

    /** What a statement asks, for reports: its kind and {@link ModelOp#summary()}. */
    static String summary(ModelOp op) {
        String kind = op instanceof ModelOp.Insert ? "INSERT " : op instanceof ModelOp.Update ? "UPDATE " : "DELETE";
        return kind + op.summary();
    }

    /**
     * Whether an UPDATE's only clauses are UNSETs of nested paths: the one update that may rightly store nothing (its
     * parent is no object).
     */
    static boolean onlyNestedUnsets(ModelOp op) {
        if (!(op instanceof ModelOp.Update up)) return false;
        for (ModelOp.Change c : up.changes()) {
            if (!(c instanceof ModelOp.Unset) || c.path().size() < 2) return false;
        }
        return true;
    }

    /** A value for a report: strings longer than 40 characters shortened (the blobs). */
    static @Nullable Object abbreviate(@Nullable Object v) {
        if (v instanceof String s && s.length() > 40) return s.substring(0, 8) + "…(" + s.length() + " chars)";
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(k, abbreviate(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) out.add(abbreviate(x));
            return out;
        }
        return v;
    }

    sealed interface Action {}

    record Write(int peer, Stmt stmt) implements Action {}

    record Evict(int peer, String collection, Object id) implements Action {}

    record Subscribe(int peer, SubSpec spec) implements Action {}

    record Unsubscribe(int peer, SubSpec spec) implements Action {}

    enum FaultKind {
        DELAY,
        STALL,
        CUT,
        REFUSE,
        CORRUPT,
        TRUNCATE
    }

    /** A relay fault: {@code millis} for the timed ones, {@code direction} and {@code position} for the one-shot ones. */
    record Fault(int link, FaultKind kind, long millis, FaultyRelay.Direction direction, int position)
            implements Action {}

    /** SIGKILL; with {@code inFlight}, that statement is sent first and the peer killed without waiting for it. */
    record Kill(int peer, @Nullable Stmt inFlight) implements Action {}

    record Restart(int peer) implements Action {}

    record Step(long atMillis, Action action) {}

    /** The subscriptions peers choose from: whole collections, a filter on an immutable field, mutable ones. */
    static final List<SubSpec> CATALOG = List.of(
            new SubSpec("a", "SELECT * FROM a", Map.of()),
            new SubSpec("a", "SELECT * FROM a WHERE grp = :g", Map.of("g", 0L)),
            new SubSpec("a", "SELECT * FROM a WHERE grp = :g", Map.of("g", 1L)),
            new SubSpec("b", "SELECT * FROM b", Map.of()),
            new SubSpec("b", "SELECT * FROM b WHERE n > :min", Map.of("min", 2L)),
            new SubSpec("c", "SELECT * FROM c", Map.of()),
            new SubSpec("c", "SELECT * FROM c WHERE x IS NOT MISSING", Map.of()));

    final SoakOptions options;
    final List<Link> links;
    final long[] sites;
    final StarlingConfig.Durability[] durability;
    final List<List<SubSpec>> initialSubscriptions;
    /** The document ids of this run (the same for every collection), of every kind: integers, strings, booleans and composites. */
    final List<Object> ids;

    final List<Step> steps;

    private SoakPlan(
            SoakOptions options,
            List<Link> links,
            long[] sites,
            StarlingConfig.Durability[] durability,
            List<List<SubSpec>> initialSubscriptions,
            List<Object> ids,
            List<Step> steps) {
        this.options = options;
        this.links = links;
        this.sites = sites;
        this.durability = durability;
        this.initialSubscriptions = initialSubscriptions;
        this.ids = ids;
        this.steps = steps;
    }

    static SoakPlan generate(SoakOptions o) {
        Random rnd = new Random(o.seed());
        int n = o.peers();
        List<Link> links = topology(rnd, n);
        long[] sites = sites(rnd, n);
        StarlingConfig.Durability[] durability = new StarlingConfig.Durability[n];
        for (int i = 0; i < n; i++)
            durability[i] = rnd.nextInt(10) < 7 ? StarlingConfig.Durability.FULL : StarlingConfig.Durability.NORMAL;
        List<Object> ids = ids(rnd);
        Workload w = new Workload(rnd, ids);
        List<List<SubSpec>> subs = new ArrayList<>();
        for (int i = 0; i < n; i++) subs.add(w.initialSubscriptions());

        List<Step> steps = new ArrayList<>();
        // kills first: each peer is down at most once at a time; a restart follows each kill
        long[] downUntil = new long[n];
        for (int k = 0; k < o.kills(); k++) {
            long at = (long) (o.chaosMillis() * (0.1 + 0.7 * rnd.nextDouble()));
            int peer = rnd.nextInt(n);
            for (int tries = 0; tries < n && downUntil[peer] > at - 500; tries++) peer = (peer + 1) % n;
            if (downUntil[peer] > at - 500) at = downUntil[peer] + 500;
            long down = 300L + rnd.nextInt(2_200);
            Stmt inFlight = rnd.nextBoolean() ? w.statement() : null;
            steps.add(new Step(at, new Kill(peer, inFlight)));
            steps.add(new Step(at + down, new Restart(peer)));
            downUntil[peer] = at + down;
        }
        for (int s = 0; s < o.steps(); s++) {
            long at = (long) (o.chaosMillis() * rnd.nextDouble());
            int peer = rnd.nextInt(n);
            Action a;
            if (!links.isEmpty() && rnd.nextInt(100) < 12) {
                a = fault(rnd, links.get(rnd.nextInt(links.size())).index());
            } else {
                a = w.action(peer, subs);
            }
            steps.add(new Step(at, a));
        }
        steps.sort(Comparator.comparingLong(Step::atMillis)); // stable: a kill stays before a step at the same time
        return new SoakPlan(o, List.copyOf(links), sites, durability, subs, ids, List.copyOf(steps));
    }

    /** A connected graph: 3 peers are a line or a triangle; more get a random tree plus some extra links. */
    private static List<Link> topology(Random rnd, int n) {
        List<int[]> edges = new ArrayList<>();
        Set<Long> have = new HashSet<>();
        for (int i = 1; i < n; i++) {
            int j = n == 3 ? i - 1 : rnd.nextInt(i);
            edges.add(new int[] {j, i});
            have.add((long) j * n + i);
        }
        double extra = n == 3 ? 0.5 : 0.3;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                if (!have.contains((long) i * n + j) && rnd.nextDouble() < extra) edges.add(new int[] {i, j});
            }
        }
        List<Link> links = new ArrayList<>();
        for (int[] e : edges) {
            boolean flip = rnd.nextBoolean();
            Transport t = rnd.nextInt(100) < 35 ? Transport.WS : Transport.TCP;
            links.add(new Link(links.size(), flip ? e[1] : e[0], flip ? e[0] : e[1], t));
        }
        // every run has both transports
        if (links.size() >= 2 && links.stream().map(Link::transport).distinct().count() == 1) {
            Link l = links.get(rnd.nextInt(links.size()));
            links.set(
                    l.index(),
                    new Link(
                            l.index(),
                            l.dialler(),
                            l.listener(),
                            l.transport() == Transport.TCP ? Transport.WS : Transport.TCP));
        }
        return links;
    }

    /**
     * Site ids over the whole 64-bit range; often two of them differ only in the top bit, so that ordering them as
     * unsigned numbers (the tie-break of equal clocks) matters.
     */
    private static long[] sites(Random rnd, int n) {
        long[] sites = new long[n];
        Set<Long> used = new HashSet<>();
        for (int i = 0; i < n; i++) {
            long s;
            do {
                s = i > 0 && rnd.nextInt(10) < 3 ? sites[i - 1] ^ Long.MIN_VALUE : rnd.nextLong();
            } while (s == 0 || !used.add(s));
            sites[i] = s;
        }
        return sites;
    }

    /** Seven ids: two integers (one at an extreme), two strings, a boolean and a composite written in two key orders. */
    private static List<Object> ids(Random rnd) {
        long[] extremes = {Long.MAX_VALUE, Long.MIN_VALUE, (1L << 53) + 1, -1};
        List<Object> ids = new ArrayList<>();
        ids.add((long) rnd.nextInt(3));
        ids.add(extremes[rnd.nextInt(extremes.length)]);
        ids.add("s" + rnd.nextInt(3));
        ids.add(rnd.nextBoolean() ? "ünï" : "");
        ids.add(rnd.nextBoolean());
        long k = rnd.nextInt(4);
        Map<String, Object> ks = new LinkedHashMap<>();
        ks.put("k", k);
        ks.put("s", "x");
        ids.add(ks);
        Map<String, Object> sk = new LinkedHashMap<>(); // the same id, keys in the other order
        sk.put("s", "x");
        sk.put("k", k);
        ids.add(sk);
        return List.copyOf(ids);
    }

    private static Fault fault(Random rnd, int link) {
        FaultKind[] kinds = FaultKind.values();
        int[] weights = {25, 15, 20, 12, 14, 14};
        int r = rnd.nextInt(100);
        int k = 0;
        while (r >= weights[k]) r -= weights[k++];
        FaultyRelay.Direction d =
                rnd.nextInt(2) == 0 ? FaultyRelay.Direction.TO_LISTENER : FaultyRelay.Direction.TO_DIALLER;
        return switch (kinds[k]) {
            case DELAY -> new Fault(link, FaultKind.DELAY, rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(250), d, 0);
            case STALL -> new Fault(link, FaultKind.STALL, 200 + rnd.nextInt(2_800), d, 0);
            case CUT -> new Fault(link, FaultKind.CUT, 0, d, 0);
            case REFUSE -> new Fault(link, FaultKind.REFUSE, 300 + rnd.nextInt(2_700), d, 0);
            case CORRUPT -> new Fault(link, FaultKind.CORRUPT, 0, d, rnd.nextInt(1 << 20));
            case TRUNCATE -> new Fault(link, FaultKind.TRUNCATE, 0, d, rnd.nextInt(1 << 20));
        };
    }

    /** The plan, one line a step, for diagnosing a seed. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(options).append('\n');
        for (int i = 0; i < sites.length; i++) {
            sb.append("peer ")
                    .append(i)
                    .append(": site ")
                    .append(Long.toUnsignedString(sites[i], 16))
                    .append(", ")
                    .append(durability[i])
                    .append(", subscribes ")
                    .append(initialSubscriptions.get(i))
                    .append('\n');
        }
        for (Link l : links) {
            sb.append("link ")
                    .append(l.name())
                    .append(" over ")
                    .append(l.transport())
                    .append('\n');
        }
        sb.append("ids ").append(ids).append('\n');
        for (Step s : steps)
            sb.append("+")
                    .append(s.atMillis())
                    .append(" ms ")
                    .append(s.action())
                    .append('\n');
        return sb.toString();
    }

    /**
     * The workload: statements over a small id space (so that documents collide), drawn by the simulator's {@link
     * RandomOps}, evictions, subscription changes.
     */
    static final class Workload {
        private final Random rnd;
        private final List<Object> ids;
        private final double[] weights;
        /** The statements on one document: the simulator's, with a rare blob. */
        private final RandomOps draw;

        /** insert, update, increment, delete, evict, subscription change; each scaled per seed by 1/3 to 3. */
        private static final double[] BASE_WEIGHTS = {32, 22, 12, 7, 3, 7};

        Workload(Random rnd, List<Object> ids) {
            this.rnd = rnd;
            this.ids = ids;
            this.weights = new double[BASE_WEIGHTS.length];
            for (int i = 0; i < weights.length; i++)
                weights[i] = BASE_WEIGHTS[i] * Math.pow(3, 2 * rnd.nextDouble() - 1);
            // a blob is larger than a TLS record and than the relay's chunks: it crosses the relay in pieces
            this.draw = new RandomOps(rnd, 0, 0.03, 20_000, 80_000);
        }

        /**
         * Every peer subscribes to the whole of {@code a}, for good: its documents must converge everywhere, whatever
         * else the subscriptions do. {@code b} and {@code c} get filters and churn (hints, backfills, documents that
         * need not agree).
         */
        List<SubSpec> initialSubscriptions() {
            List<SubSpec> s = new ArrayList<>();
            s.add(CATALOG.get(0));
            if (rnd.nextDouble() < 0.3) s.add(CATALOG.get(1 + rnd.nextInt(2)));
            if (rnd.nextDouble() < 0.6) s.add(CATALOG.get(3));
            else if (rnd.nextDouble() < 0.5) s.add(CATALOG.get(4));
            if (rnd.nextDouble() < 0.5) s.add(CATALOG.get(5 + rnd.nextInt(2)));
            return s;
        }

        /**
         * One application action at {@code peer}. {@code subs} are the peers' subscriptions as the plan goes (kept up
         * to date, so that an unsubscribe names a subscription the peer holds).
         */
        Action action(int peer, List<List<SubSpec>> subs) {
            double total = 0;
            for (double x : weights) total += x;
            double r = rnd.nextDouble() * total;
            int kind = 0;
            while (kind < weights.length - 1 && r >= weights[kind]) r -= weights[kind++];
            String c = collection();
            Object id = id();
            return switch (kind) {
                case 0 -> new Write(peer, insert(c, id));
                case 1 -> new Write(peer, update(c, id));
                case 2 -> new Write(peer, increment(c, id));
                case 3 -> new Write(peer, delete(c, id));
                case 4 -> new Evict(peer, c, id);
                default -> subscriptionChange(peer, subs);
            };
        }

        /** A statement of any kind, for a write in flight at a kill. */
        Stmt statement() {
            String c = collection();
            Object id = id();
            return switch (rnd.nextInt(4)) {
                case 0 -> insert(c, id);
                case 1 -> update(c, id);
                case 2 -> increment(c, id);
                default -> delete(c, id);
            };
        }

        private Action subscriptionChange(int peer, List<List<SubSpec>> subs) {
            List<SubSpec> mine = subs.get(peer);
            List<SubSpec> next = new ArrayList<>(mine);
            Action a;
            List<SubSpec> closable = new ArrayList<>(mine);
            closable.remove(CATALOG.get(0)); // the anchor: the whole of a stays subscribed
            if (!closable.isEmpty() && rnd.nextInt(5) < 2) {
                SubSpec s = closable.get(rnd.nextInt(closable.size()));
                next.remove(s);
                a = new Unsubscribe(peer, s);
            } else {
                SubSpec s = CATALOG.get(rnd.nextInt(CATALOG.size()));
                if (!next.contains(s)) next.add(s);
                a = new Subscribe(peer, s);
            }
            subs.set(peer, next);
            return a;
        }

        private String collection() {
            return COLLECTIONS.get(rnd.nextInt(COLLECTIONS.size()));
        }

        private Object id() {
            return ids.get(rnd.nextInt(ids.size()));
        }

        /** The group of an id: 0 or 1, never changed by the workload, so a filter on it is stable. */
        static long grp(Object id) {
            if (id instanceof Long l) return Math.floorMod(l, 2L);
            if (id instanceof String s) return s.length() % 2;
            if (id instanceof Boolean b) return b ? 1 : 0;
            if (id instanceof Map<?, ?> m && m.get("k") instanceof Long k) return Math.floorMod(k, 2L);
            throw new IllegalArgumentException("id " + id);
        }

        Stmt insert(String c, Object id) {
            RandomOps.DrawnInsert ins = draw.insert(grp(id));
            return new Stmt(c, id, ModelStatement.insert(c, id, ins.op(), ins.conflictClause()), ins.op());
        }

        Stmt update(String c, Object id) {
            return update(c, id, draw.update());
        }

        Stmt increment(String c, Object id) {
            return update(c, id, draw.increment());
        }

        private static Stmt update(String c, Object id, ModelOp.Update op) {
            return new Stmt(c, id, ModelStatement.update(c, id, op), op);
        }

        Stmt delete(String c, Object id) {
            return new Stmt(c, id, ModelStatement.delete(c, id), new ModelOp.Delete());
        }
    }
}
