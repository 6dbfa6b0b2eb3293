package io.starling.testing.sim;

import io.starling.internal.sync.DuplicateRule;
import io.starling.internal.sync.FrameDecoder;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteIdentity;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SessionListener;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.WireCodec;
import io.starling.internal.sync.WireException;
import io.starling.testing.check.Observed;
import io.starling.testing.model.DocumentModel;
import io.starling.testing.model.ModelWrite;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/*
 * Design note — the simulator.
 *
 * One run is a discrete-event simulation driven by one java.util.Random seeded with the run's seed: the event
 * queue is ordered by (virtual time, insertion number), so ties never depend on anything but the order in which
 * the run itself scheduled things, and every choice (which action, which peer, which delay, drop or not) is a
 * draw from that one Random. Peers are full engines (DefaultStarling over InMemoryStorage) with virtual clocks;
 * connections carry framed WireCodec bytes between SyncSessions that the simulator drives by hand (no threads).
 *
 *   chaos     `actions` workload and fault actions at random intervals, interleaved with message deliveries,
 *             timer ticks (every virtual second per peer), reconnects, partition heals and peer restarts
 *   quiesce   faults off, partitions healed, crashed peers restarted, every clock set to the most advanced one
 *             and moved past the drift limit, everything reconnected; then events run until nothing is in
 *             flight, every connection is up and a full progress timeout passes without a message (a cap on
 *             events reports a livelock)
 *   check     a FinalState snapshot goes to the Checker: convergence, delivery, every replica against the
 *             independent model of the writes it received (Knowledge), no resurrection after a purge
 *
 * Connections have generations: a message sent in one generation is lost if the connection ended meanwhile. A
 * session that closes (its own decision, or CLOSE from the remote) ends its side at once; what it had already
 * sent is still delivered to the other side, then the connection ends (EOF) and is retried after a backoff.
 *
 * With the session policy, each edge is two links, one dialled by each end, and the simulator does what the engine's
 * driver does around the sans-I/O session: an accepting peer with a connection-request hook holds the session
 * (awaitApproval) until the hook's answer, a DECIDE event; a peer holding two established sessions with one remote
 * closes the one DuplicateRule names; a dialler waits while it holds an established session with the remote, and
 * gives up on a peer that refused it until one of the two restarts. The quiesce phase then ends with exactly one
 * session per pair the hooks allow.
 *
 * In the server-cluster topology the first peers are the nodes of one server over one shared store (SharedStore):
 * engines opened as nodes, whose change log tails run here, as TAIL events 1-100 ms after another node committed;
 * Knowledge counts them as one replica. Devices move between nodes (an action), and a device whose node is down
 * reconnects to one that is up.
 *
 * Besides the final checks, the run checks the engine as it goes: every statement against the model's plan
 * (Workload), every applied batch against the zombie rule and every purge against the purge rule (TrackedStore,
 * Workload.purge). What they find is a "problem" of the run, reported with the final findings.
 */

/** One deterministic simulated run. Not thread-safe; runs of different seeds may run on different threads. */
final class Simulation {
    private static final int ACTION = 0,
            TICK = 1,
            DELIVER = 2,
            EOF = 3,
            RECONNECT = 4,
            HEAL = 5,
            RESTART = 6,
            DECIDE = 7,
            ATTACH = 8,
            BLOB = 9,
            TAIL = 10;
    private static final String[] KIND = {
        "action", "tick", "deliver", "eof", "reconnect", "heal", "restart", "decide", "attach", "blob", "tail"
    };
    private static final long START_TIME = 1_767_225_600_000L; // 2026-01-01T00:00:00Z, a fixed virtual epoch
    static final long MAX_DRIFT_MILLIS = 10 * 60_000; // StarlingConfig's default maxClockDrift

    private final SimulationOptions options;
    final Topology topology;
    final int peerCount;
    final Random rnd;
    final TraceHash trace = new TraceHash();
    long now = START_TIME;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long nextSeq;
    private int pendingNonTick;
    final SimPeer[] peers;
    /** In the server cluster topology: peers 0 to serverNodes − 1 are nodes over {@link #cluster}'s store. */
    final int serverNodes;

    final @Nullable SharedStore cluster;
    /** Per peer: a TAIL event is pending (a node reads the shared log for the other nodes' commits). */
    private final boolean[] tailScheduled;
    /** Each peer's online identity in runs with identities (Role), else null. */
    final Role @Nullable [] roles;

    final Link[] links;
    /** The edges of the topology, {a, b}; with the session policy each has two links, one dialled by each end. */
    private final List<int[]> edges;
    /**
     * With the session policy: {@code refuses[i][j]} when peer i's connection-request hook refuses peer j, and which
     * peers have a hook at all (they hold every session they accept until it answers); null without the policy.
     */
    private final boolean @Nullable [][] refuses;

    private final boolean @Nullable [] hooks;
    /** The link whose frames are being delivered, for the check of what a refused connection carries. */
    private @Nullable Link delivering;

    private final List<int[]> partitions = new ArrayList<>(); // {id, kind, members bitmask}: kind 0 two-way, 1 one-way
    private int nextPartition;
    final Workload workload;
    /** Attachment fetches under the same faults. */
    final SimAttachments attachments;

    private final SessionConfig sessionConfig;
    /** Per peer: the session settings (some peers predate range reconciliation and send summaries instead). */
    private final SessionConfig[] peerConfigs;

    private boolean faultsOn = true;
    private final double dropRate, duplicateRate, reorderRate, delayRate, faultShare;
    /** Tombstones older than this are purged in the chaos phase (0: this seed never purges). */
    final long retentionMillis;

    private final long meanGap;
    final Stats stats = new Stats();
    /** Diagnosis: a document whose every change at every peer is printed, with the event that made it. */
    private @Nullable DocKey watched;
    /** What each replica has received, followed from the data flow (not read from the engine). */
    final Knowledge knowledge;
    /** Engine misbehaviour found while the run went on (statements, zombie and purge rules). */
    final List<String> problems = new ArrayList<>();

    int problemCount;

    private @Nullable PrintStream watchOut;
    private byte @Nullable [][] watchedStates;
    private String lastEvent = "";

    /** Counters of one run, for the report. */
    public static final class Stats {
        long messages, dropped, duplicated, lostInFlight, connects, crashes, partitions, disconnects;
        /** In the server cluster topology: devices moved to another node (besides those that failed over). */
        long moves;
        /** Zombie refusals (and those that refused live data no delete hides), rows evicted as zombies, purges. */
        long zombiesRefused, liveDataRefused, zombiesEvicted, tombstonesPurged;
        /** How often a planted engine fault (EngineFault) changed what the engine did. */
        long plantedFaults;
        /** With identities: changes denied by a receiver (each checked against the role's own rule), states received. */
        long writesDenied, permittedStatesReceived;
        /** With the session policy: sessions closed by the duplicate rule, connections the hooks denied and allowed. */
        long duplicatesClosed, connectionsDenied, connectionsAllowed;

        long chaosEvents, quiesceEvents;
        final Map<String, Integer> closes = new TreeMap<>();
        /** Messages sent by type, and the entries they carried (doc, hint, part), continued batches, backfills done. */
        final Map<String, Long> sent = new TreeMap<>();
        /** Attachment fetches (SimAttachments). */
        final SimAttachments.Stats attachments = new SimAttachments.Stats();

        void count(Message m) {
            sent.merge(m.getClass().getSimpleName(), 1L, Long::sum);
            List<Message.Entry> entries =
                    m instanceof Message.Batch b ? b.entries() : m instanceof Message.Docs d ? d.entries() : List.of();
            for (Message.Entry e : entries) sent.merge("." + e.getClass().getSimpleName(), 1L, Long::sum);
            if (m instanceof Message.Batch b && b.continued()) sent.merge(".continued", 1L, Long::sum);
            if (m instanceof Message.Ranges r && r.part() instanceof Message.Ranges.Children)
                sent.merge(".rangesChildren", 1L, Long::sum); // a reconciliation that went past its first round
            if (m instanceof Message.Batch b && !b.done().isEmpty())
                sent.merge(".done", (long) b.done().size(), Long::sum);
        }

        /** Adds another run's counters (for totals over many seeds). */
        void add(Stats o) {
            messages += o.messages;
            dropped += o.dropped;
            duplicated += o.duplicated;
            lostInFlight += o.lostInFlight;
            connects += o.connects;
            crashes += o.crashes;
            partitions += o.partitions;
            disconnects += o.disconnects;
            moves += o.moves;
            chaosEvents += o.chaosEvents;
            zombiesRefused += o.zombiesRefused;
            liveDataRefused += o.liveDataRefused;
            zombiesEvicted += o.zombiesEvicted;
            tombstonesPurged += o.tombstonesPurged;
            plantedFaults += o.plantedFaults;
            writesDenied += o.writesDenied;
            permittedStatesReceived += o.permittedStatesReceived;
            duplicatesClosed += o.duplicatesClosed;
            connectionsDenied += o.connectionsDenied;
            connectionsAllowed += o.connectionsAllowed;
            quiesceEvents += o.quiesceEvents;
            o.closes.forEach((k, v) -> closes.merge(k, v, Integer::sum));
            o.sent.forEach((k, v) -> sent.merge(k, v, Long::sum));
            attachments.add(o.attachments);
        }

        @Override
        public String toString() {
            return "messages " + messages + " (dropped " + dropped + ", duplicated " + duplicated + ", lost in flight "
                    + lostInFlight + "), connects " + connects + ", crashes " + crashes + ", partitions " + partitions
                    + ", disconnects " + disconnects + (moves > 0 ? ", moves " + moves : "") + ", tombstones purged "
                    + tombstonesPurged + ", zombies refused "
                    + zombiesRefused + " (" + liveDataRefused
                    + " of them live data no delete hides), rows evicted as zombies "
                    + zombiesEvicted + ", writes denied " + writesDenied + ", duplicate sessions closed "
                    + duplicatesClosed + ", connections denied " + connectionsDenied + " and allowed "
                    + connectionsAllowed + " by hooks, closes " + closes + ", sent " + sent
                    + ", events "
                    + chaosEvents
                    + "+" + quiesceEvents + "; " + attachments;
        }
    }

    private static final class Event implements Comparable<Event> {
        final long time, seq;
        final int kind, target, side;
        final long generation;
        final byte @Nullable [] bytes;

        Event(long time, long seq, int kind, int target, int side, long generation, byte @Nullable [] bytes) {
            this.time = time;
            this.seq = seq;
            this.kind = kind;
            this.target = target;
            this.side = side;
            this.generation = generation;
            this.bytes = bytes;
        }

        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    public Simulation(SimulationOptions options) {
        this.options = options;
        long seed = options.seed();
        // topology and size come from their own stream, so that naming them explicitly replays the same run
        Random setup = new Random(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
        this.topology = options.topology() != null ? options.topology() : Topology.forSeed(seed);
        int drawn = topology.defaultPeers(setup);
        this.peerCount = options.peers() != 0 ? options.peers() : drawn;
        if (topology == Topology.PAIR && peerCount != 2)
            throw new IllegalArgumentException("the pair topology has 2 peers, not " + peerCount);
        serverNodes = topology.serverNodes(peerCount);
        if (serverNodes > 0 && peerCount <= serverNodes)
            throw new IllegalArgumentException("the server-cluster topology needs at least 3 peers, not " + peerCount);
        this.edges = topology.edges(peerCount, setup);

        rnd = new Random(seed);
        dropRate = 0.005 + rnd.nextDouble() * 0.04;
        duplicateRate = 0.005 + rnd.nextDouble() * 0.04;
        reorderRate = 0.005 + rnd.nextDouble() * 0.04;
        delayRate = 0.01 + rnd.nextDouble() * 0.05;
        faultShare = 0.08 + rnd.nextDouble() * 0.12;
        meanGap = 20L + rnd.nextInt(600);
        sessionConfig = SessionConfig.builder()
                .maxFrameBytes(SessionConfig.MIN_FRAME)
                .batchBytes(new int[] {4096, 8192, 65536}[rnd.nextInt(3)])
                .window(1 + rnd.nextInt(4))
                .helloTimeoutMillis(5_000 + rnd.nextInt(5_000))
                .progressTimeoutMillis(rnd.nextBoolean() ? 15_000 : 60_000)
                .echoEntries(new int[] {0, 4, 100_000}[rnd.nextInt(3)])
                .build();
        // peers that never met: in two seeds of three, every receiver that holds rows reconciles (by ranges, or by
        // summaries with a peer that predates ranges) even for the few rows of a run; in half the seeds, about a
        // quarter of the peers predate ranges. Drawn from the seed apart from rnd, so that the rest of a seed's
        // history is what it was before.
        long mix = (seed + 0x632BE59BD9B4E019L) * 0x9E3779B97F4A7C15L;
        mix ^= mix >>> 31;
        mix *= 0xBF58476D1CE4E5B9L;
        mix ^= mix >>> 29;
        int summaryRatio = Math.floorMod(mix, 3) == 0 ? 4 : 0;
        boolean mixedVersions = ((mix >>> 8) & 1) == 0;
        peerConfigs = new SessionConfig[peerCount];
        for (int i = 0; i < peerCount; i++) {
            boolean old = mixedVersions && ((mix >>> (16 + 2 * i)) & 3) == 0;
            peerConfigs[i] = sessionConfig.toBuilder()
                    .summaryRatio(summaryRatio)
                    .ranges(!old)
                    .deltas(!old && ((mix >>> 40) & 3) != 0) // field deltas in most seeds, never on old peers
                    .resume(!old && ((mix >>> 42) & 3) != 0) // resumed sessions likewise, drawn apart from deltas
                    .hintPasses(!old) // hint passes of coverage taken while a collection was not held
                    .presenceResume(!old) // the simulator carries no presence: only the HELLO bit differs
                    .build();
        }

        peers = new SimPeer[peerCount];
        tailScheduled = new boolean[peerCount];
        cluster = serverNodes > 0
                ? new SharedStore(serverNodes, options.engineFault() == EngineFault.CACHED_SEQUENCE)
                : null;
        int[] replicaOf = new int[peerCount];
        long[] sites = new long[peerCount];
        boolean farAhead = options.has(Fault.CLOCK_SKEW) && rnd.nextDouble() < 0.3;
        int aheadPeer = rnd.nextInt(peerCount);
        // some seeds purge tombstones older than a few seconds; their clocks then agree within a quarter of that
        // (with a 30-day retention, an hour of skew is nothing; with seconds, it would make every write look old)
        retentionMillis = rnd.nextDouble() < 0.3 ? 2_000 + rnd.nextInt(10_000) : 0;
        // some seeds draw site ids from the ends of the 64-bit range, where signed and unsigned order disagree
        boolean edgeSites = rnd.nextDouble() < 0.25;
        long[] edges64 = {1, 2, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, -2, -1};
        for (int i = 0; i < peerCount; i++) {
            long site;
            if (i > 0 && i < serverNodes) {
                site = sites[0]; // nodes of one server present one peer id
            } else {
                do {
                    site = edgeSites ? edges64[rnd.nextInt(edges64.length)] : rnd.nextLong();
                } while (site == 0 || contains(sites, i, site));
            }
            sites[i] = site;
            replicaOf[i] = i < serverNodes ? 0 : i;
            long skew = 0;
            if (options.has(Fault.CLOCK_SKEW)) {
                double r = rnd.nextDouble();
                long sign = rnd.nextBoolean() ? 1 : -1;
                if (r < 0.45) skew = 0;
                else if (r < 0.75) skew = sign * rnd.nextInt(5_000);
                else if (r < 0.92) skew = sign * rnd.nextInt(9 * 60_000);
                else skew = sign * 3_600_000L;
                if (farAhead && i == aheadPeer) skew = 15 * 60_000L + rnd.nextInt(3 * 3_600_000);
                if (retentionMillis > 0) skew = Math.max(-retentionMillis / 4, Math.min(retentionMillis / 4, skew));
                if (i > 0 && i < serverNodes)
                    skew = peers[0].clock.skew(); // a server's nodes keep their clocks in step
            }
            peers[i] = new SimPeer(
                    i, site, new VirtualClock(() -> now, skew), rnd.nextLong(), this, i < serverNodes ? cluster : null);
        }
        if (options.identities()) {
            // from a generator of its own, so that a seed's run without identities stays the same run
            Random roleRandom = new Random(options.seed() * 0x9E3779B97F4A7C15L + 0x1D);
            roles = new Role[peerCount];
            for (int i = 0; i < peerCount; i++) roles[i] = i > 0 && i < serverNodes ? roles[0] : Role.draw(roleRandom);
        } else {
            roles = null;
        }
        knowledge = new Knowledge(replicaOf);
        if (options.sessionPolicy() && serverNodes == 0) { // devices move in a server cluster: no policy there
            // from a generator of its own, like the roles; every edge dialled by both ends
            Random policyRandom = new Random(options.seed() * 0x9E3779B97F4A7C15L + 0x5E55);
            boolean[] h = new boolean[peerCount];
            boolean[][] r = new boolean[peerCount][peerCount];
            for (int i = 0; i < peerCount; i++) h[i] = policyRandom.nextDouble() < 0.4; // some hooks allow everyone
            for (int[] e : edges) {
                double draw = policyRandom.nextDouble();
                if (draw < 0.2) { // both refuse each other: the pair never syncs directly
                    h[e[0]] = h[e[1]] = true;
                    r[e[0]][e[1]] = r[e[1]][e[0]] = true;
                } else if (draw < 0.45) { // one refuses the other: only the connection the refuser dials works
                    int end = policyRandom.nextInt(2);
                    h[e[end]] = true;
                    r[e[end]][e[1 - end]] = true;
                }
            }
            hooks = h;
            refuses = r;
            links = new Link[2 * edges.size()];
            for (int i = 0; i < edges.size(); i++) {
                int[] e = edges.get(i);
                links[2 * i] = new Link(2 * i, peers[e[0]], peers[e[1]], i);
                links[2 * i + 1] = new Link(2 * i + 1, peers[e[1]], peers[e[0]], i);
            }
        } else {
            hooks = null;
            refuses = null;
            links = new Link[edges.size()];
            for (int i = 0; i < links.length; i++) {
                int[] e = edges.get(i);
                links[i] = new Link(i, peers[e[0]], peers[e[1]], i);
            }
        }
        for (Link l : links) {
            l.a.links.add(l);
            l.b.links.add(l);
        }
        workload = new Workload(this, rnd, retentionMillis);
        attachments = new SimAttachments(this, seed);
    }

    SimulationOptions options() {
        return options;
    }

    /**
     * The edges data may flow over, {a, b} each: every edge of the topology, except (with the session policy) those
     * whose two ends' hooks refuse each other.
     */
    List<int[]> dataEdges() {
        List<int[]> out = new ArrayList<>();
        if (refuses == null) { // one link per edge; in a server cluster a device's link follows it to its node
            for (Link l : links) out.add(new int[] {l.a.index, l.b.index});
            return out;
        }
        for (int[] e : edges) if (!cut(e[0], e[1])) out.add(e.clone());
        return out;
    }

    /** Whether both ends' connection-request hooks refuse each other (only with the session policy). */
    private boolean cut(int a, int b) {
        boolean[][] r = refuses;
        return r != null && r[a][b] && r[b][a];
    }

    /** Whether the acceptor's hook allows the link's dialler (always without the session policy). */
    boolean admitted(Link l) {
        boolean[][] r = refuses;
        return r == null || !r[l.b.index][l.a.index];
    }

    /** The link being delivered right now (TrackedStore checks what a refused connection carries), or null. */
    @Nullable
    Link delivering() {
        return delivering;
    }

    /** Records engine misbehaviour found during the run (the run fails). */
    void problem(String message) {
        if (problemCount++ < Checker.MAX_MESSAGES) problems.add("+" + (now - START_TIME) + " ms: " + message);
    }

    /**
     * The replica must show what the model of the writes it received gives: a row iff it received any, live iff the
     * document exists, the same visible document. Checked after every write and every applied batch, so that a
     * difference is caught where it starts (the final checks would see it too, unless later writes hide it).
     */
    void compareWithModel(
            SimPeer p,
            DocKey d,
            DocumentModel known,
            byte @Nullable [] state,
            java.util.function.Supplier<String> when) {
        Observed shown = Observed.of(state);
        boolean same = known.isEmpty()
                ? !shown.held()
                : shown.held()
                        && shown.live() == known.exists()
                        && io.starling.testing.model.ModelDiff.differences(known.visible(), shown.document())
                                .isEmpty();
        if (!same) {
            problem(when.get() + ", " + d + " at " + p + " shows " + shown + "; the model of the " + known.size()
                    + " writes it received gives "
                    + (known.isEmpty()
                            ? "no row"
                            : known.exists()
                                    ? io.starling.testing.model.ModelValues.brief(known.visible())
                                    : "a tombstone")
                    + known.describe());
        }
    }

    SimPeer peerBySite(long site) {
        for (SimPeer p : peers) if (p.site == site) return p;
        throw new IllegalStateException("no peer has site " + Long.toUnsignedString(site, 16));
    }

    /** Whether the acknowledged DELETEs of {@code doc} hide everything {@code known} holds (a true zombie). */
    boolean hiddenByADelete(DocKey doc, DocumentModel known) {
        List<ModelWrite> deletes = new ArrayList<>();
        for (AckedWrite w : workload.writes) if (w.doc.equals(doc) && w.write.isDelete()) deletes.add(w.write);
        return !known.union(DocumentModel.of(deletes)).exists();
    }

    private static boolean contains(long[] a, int n, long v) {
        for (int i = 0; i < n; i++) if (a[i] == v) return true;
        return false;
    }

    /** Prints every change of {@code doc} at every peer to {@code out}, with the event that caused it. */
    public Simulation watch(DocKey doc, PrintStream out) {
        this.watched = doc;
        this.watchOut = out;
        this.watchedStates = new byte[peerCount][];
        return this;
    }

    private void watchCheck(String what) {
        if (watched == null || watchedStates == null || watchOut == null) return;
        for (SimPeer p : peers) {
            byte[] b = p.stateOf(watched);
            if (!Arrays.equals(b, watchedStates[p.index])) {
                watchedStates[p.index] = b;
                watchOut.println("+" + (now - START_TIME) + " ms " + what + ": peer " + p.index + " now holds "
                        + Observed.of(b) + "; it has received " + knowledge.of(p.index, watched));
            }
        }
    }

    /** Runs the simulation: chaos, heal and quiesce, checks. */
    public SimulationResult run() {
        String failure = null;
        FinalState state = null;
        try {
            for (SimPeer p : peers) {
                workload.initialSubscriptions(p);
                p.open();
                trace.event("open", now).add(p.index).add(p.site).add(p.clock.skew());
                schedule(TICK, now + rnd.nextInt(1000), p.index, 0, 0, null);
            }
            for (Link l : links) connect(l);
            chaos();
            failure = quiesce();
            if (failure == null) failure = attachmentsFinalRound();
            if (failure == null) state = FinalState.capture(this);
        } catch (RuntimeException | AssertionError e) {
            StringWriter sw = new StringWriter();
            e.printStackTrace(new PrintWriter(sw));
            failure = "internal error at virtual time +" + (now - START_TIME) + " ms: " + sw;
        }
        SharedStore c = cluster;
        if (c != null) stats.plantedFaults += c.outOfOrder;
        CheckReport report = state == null ? CheckReport.ofProblems(problems, problemCount) : Checker.check(state);
        return new SimulationResult(
                options.seed(),
                topology,
                peerCount,
                trace.hex(),
                failure,
                report,
                workload.writes.size(),
                workload.statements,
                stats,
                options.replayCommand(topology, peerCount),
                state);
    }

    // ---- phases -----------------------------------------------------------------------------------------

    private void chaos() {
        schedule(ACTION, now + gap(), 0, 0, 0, null);
        schedule(ATTACH, now + attachGap(attachments), 0, 0, 0, null);
        int done = 0;
        while (done < options.actions()) {
            Event e = queue.poll();
            if (e == null) throw new IllegalStateException("the event queue ran dry");
            stats.chaosEvents++;
            if (e.kind == ACTION) {
                pendingNonTick--;
                now = Math.max(now, e.time);
                trace.event("action", now);
                action();
                watchCheck("action " + lastEvent);
                done++;
                if (done < options.actions()) schedule(ACTION, now + gap(), 0, 0, 0, null);
            } else {
                process(e);
            }
        }
    }

    private long gap() {
        return 1 + (long) (-Math.log(1 - rnd.nextDouble()) * meanGap);
    }

    /** Attachment actions come about a third as often as the workload's, from the attachments' own generator. */
    private long attachGap(SimAttachments att) {
        return 1 + (long) (-Math.log(1 - att.random().nextDouble()) * meanGap * 3);
    }

    /**
     * After quiesce: no attachment fetch may still be open; then every peer fetches again what it asked for, and each
     * of those fetches must end. Returns null, or why the round did not end (a livelock).
     */
    private @Nullable String attachmentsFinalRound() {
        SimAttachments att = attachments;
        att.checkNoneHangs("after the quiesce phase (the network whole and quiet for longer than the fetch timeout)");
        att.startFinalRound();
        long events = 0;
        while (!(att.finalRoundDone() && pendingNonTick == 0)) {
            if (++events > options.maxQuiesceEvents()) {
                return "livelock: the attachments' final round did not end after " + options.maxQuiesceEvents()
                        + " events";
            }
            Event e = queue.poll();
            if (e == null) break;
            stats.quiesceEvents++;
            process(e);
        }
        att.checkFinalRound();
        return null;
    }

    /** Returns null when the peers went quiet, else why not (a livelock). */
    private @Nullable String quiesce() {
        faultsOn = false;
        partitions.clear();
        trace.event("heal-all", now);
        for (SimPeer p : peers) {
            if (!p.up()) restart(p);
        }
        long maxSkew = Long.MIN_VALUE;
        for (SimPeer p : peers) maxSkew = Math.max(maxSkew, p.clock.skew());
        for (SimPeer p : peers) p.clock.setSkew(maxSkew);
        now += MAX_DRIFT_MILLIS + 60_000;
        trace.event("clocks", now).add(maxSkew);
        for (Link l : links) {
            if (l.state != Link.State.DOWN) continue;
            if (refuses != null && (l.refusedUntilRestart || connectedElsewhere(l))) continue;
            l.parked = false;
            connect(l);
        }
        long quietFor = sessionConfig.progressTimeoutMillis() + sessionConfig.helloTimeoutMillis() + 5_000;
        long lastActivity = now;
        long events = 0;
        while (true) {
            if (pendingNonTick == 0 && now - lastActivity > quietFor) {
                if (allUp()) return null;
                if (refuses != null) { // nothing will change any more
                    return "sessions not settled: quiet, but not exactly one session per pair that its hooks allow"
                            + " (links " + linkStates() + ")";
                }
            }
            if (++events > options.maxQuiesceEvents()) {
                return "livelock: not quiet after " + options.maxQuiesceEvents() + " events of the quiesce phase ("
                        + pendingNonTick + " messages and timers pending, links " + linkStates() + ")";
            }
            Event e = queue.poll();
            stats.quiesceEvents++;
            long sent = stats.messages;
            process(e);
            if (e.kind != TICK || stats.messages != sent) lastActivity = now;
        }
    }

    private boolean allUp() {
        if (refuses != null) return settled();
        for (Link l : links) {
            if (l.state != Link.State.UP || l.sessions[0] == null || l.sessions[1] == null) return false;
        }
        return true;
    }

    /**
     * With the session policy: every pair whose hooks do not both refuse each other has exactly one connection, its
     * session established on both sides, and no other; a pair that refuses each other has none.
     */
    private boolean settled() {
        for (int e = 0; e < edges.size(); e++) {
            int live = 0;
            for (Link l : links) {
                if (l.pair != e) continue;
                if (l.state == Link.State.UP
                        && l.sessions[0] != null
                        && l.sessions[1] != null
                        && l.established[0]
                        && l.established[1]) {
                    live++;
                } else if (l.state != Link.State.DOWN) {
                    return false;
                }
            }
            if (live != (cut(edges.get(e)[0], edges.get(e)[1]) ? 0 : 1)) return false;
        }
        return true;
    }

    private String linkStates() {
        StringBuilder sb = new StringBuilder();
        for (Link l : links) {
            sb.append(l.a.index).append('-').append(l.b.index).append(' ').append(l.state);
            if (refuses != null) {
                if (!admitted(l)) sb.append(" (refused)");
                if (l.state == Link.State.UP) {
                    sb.append(" (established ")
                            .append(l.established[0])
                            .append('/')
                            .append(l.established[1]);
                    sb.append(')');
                }
            }
            sb.append(' ');
        }
        return sb.toString().trim();
    }

    // ---- events -----------------------------------------------------------------------------------------

    private void schedule(int kind, long time, int target, int side, long generation, byte @Nullable [] bytes) {
        queue.add(new Event(time, nextSeq++, kind, target, side, generation, bytes));
        if (kind != TICK) pendingNonTick++;
    }

    private void process(Event e) {
        now = Math.max(now, e.time);
        if (e.kind != TICK) pendingNonTick--;
        trace.event(KIND[e.kind], now).add(e.target).add(e.side).add(e.generation);
        switch (e.kind) {
            case TICK -> tick(peers[e.target]);
            case DELIVER -> deliver(links[e.target], e.side, e.generation, java.util.Objects.requireNonNull(e.bytes));
            case EOF -> {
                Link l = links[e.target];
                if (l.generation == e.generation) teardown(l);
            }
            case RECONNECT -> reconnect(links[e.target]);
            case HEAL -> partitions.removeIf(p -> p[0] == e.target);
            case RESTART -> {
                SimPeer p = peers[e.target];
                if (!p.up()) restart(p);
            }
            case DECIDE -> decide(links[e.target], e.side, e.generation);
            case ATTACH -> {
                SimAttachments att = attachments;
                if (faultsOn) { // the chaos phase: act, and come again
                    att.act();
                    schedule(ATTACH, now + attachGap(att), 0, 0, 0, null);
                }
            }
            case BLOB -> deliverBlob(links[e.target], e.side, e.generation, java.util.Objects.requireNonNull(e.bytes));
            case TAIL -> {
                SimPeer p = peers[e.target];
                tailScheduled[p.index] = false;
                if (p.up() && p.db().tailOnce()) localChange(p);
            }
            default -> throw new IllegalStateException("event kind " + e.kind);
        }
        if (watched != null) {
            watchCheck(KIND[e.kind] + " "
                    + (e.kind == DELIVER || e.kind == EOF || e.kind == RECONNECT || e.kind == DECIDE
                            ? links[e.target] + " from side " + e.side + " (generation " + e.generation + ")"
                                    + (e.bytes == null ? "" : " " + describeFrame(e.bytes))
                            : "#" + e.target));
        }
    }

    private static String describeFrame(byte[] frame) {
        try {
            List<byte[]> bodies = new FrameDecoder(SessionConfig.MAX_FRAME).feed(frame);
            Message m = WireCodec.decode(bodies.get(0), SessionConfig.MAX_FRAME);
            String s = m.toString();
            return s.length() > 300 ? s.substring(0, 300) + "…" : s;
        } catch (RuntimeException e) {
            return "(undecodable)";
        }
    }

    private void tick(SimPeer p) {
        schedule(TICK, now + 1000, p.index, 0, 0, null);
        if (!p.up()) return;
        attachments.tick(p);
        for (Link l : p.links) {
            int side = l.sideOf(p);
            SyncSession s = l.sessions[side];
            if (s != null) after(l, side, s.onTick(p.clock.millis()));
        }
    }

    private void deliver(Link l, int from, long generation, byte[] frame) {
        int to = 1 - from;
        SyncSession s = l.sessions[to];
        if (generation != l.generation || s == null) {
            stats.lostInFlight++;
            return;
        }
        SimPeer receiver = l.peer(to);
        if (blocked(l.peer(from).index, receiver.index)) {
            stats.dropped++;
            return;
        }
        long seq = changeMark(receiver);
        List<byte[]> frames;
        try {
            frames = l.decoders[to].feed(frame);
        } catch (WireException bad) {
            after(l, to, s.onWireError(bad));
            return;
        }
        delivering = l;
        try {
            for (byte[] f : frames) {
                if (l.sessions[to] == null) break;
                after(l, to, s.onFrame(f));
            }
        } finally {
            delivering = null;
        }
        if (receiver.up() && changeMark(receiver) != seq) localChange(receiver);
    }

    /** An attachment message arrives: to the receiving peer's attachments, not its session. */
    private void deliverBlob(Link l, int from, long generation, byte[] frame) {
        int to = 1 - from;
        SimAttachments att = attachments;
        if (generation != l.generation || l.state != Link.State.UP) {
            stats.lostInFlight++;
            return;
        }
        if (blocked(l.peer(from).index, l.peer(to).index)) {
            stats.dropped++;
            return;
        }
        Message m = WireCodec.decode(
                new FrameDecoder(SessionConfig.MAX_FRAME).feed(frame).get(0), SessionConfig.MAX_FRAME);
        if (!(m instanceof Message.Blob b)) throw new IllegalStateException("not an attachment message: " + m);
        att.received(l, to, b.body());
    }

    /**
     * Sends an attachment message on side {@code from} of {@code l}, framed like every message, with the message
     * faults drawn from the attachments' own generator; it keeps its place in the direction's order.
     */
    void sendBlob(Link l, int from, io.starling.internal.sync.BlobMessage m) {
        Random r = attachments.random();
        byte[] frame = FrameEncoder.frame(WireCodec.encode(new Message.Blob(m)));
        stats.messages++;
        trace.event("send-blob", now).add(l.index).add(from).add(l.generation).add(frame);
        if (faultsOn && options.has(Fault.DROP) && r.nextDouble() < dropRate) {
            stats.dropped++;
            return;
        }
        long at = now + 1 + r.nextInt(30);
        if (faultsOn && options.has(Fault.DELAY) && r.nextDouble() < delayRate) at += 100 + r.nextInt(4_000);
        boolean reorder = faultsOn && options.has(Fault.REORDER) && r.nextDouble() < reorderRate;
        if (!reorder) {
            at = Math.max(at, l.lastDelivery[from]);
            l.lastDelivery[from] = at;
        }
        schedule(BLOB, at, l.index, from, l.generation, frame);
        if (faultsOn && options.has(Fault.DUPLICATE) && r.nextDouble() < duplicateRate) {
            stats.duplicated++;
            schedule(BLOB, at + r.nextInt(200), l.index, from, l.generation, frame);
        }
    }

    /** Sends what a session returned, then ends its side if it closed. */
    private void after(Link l, int side, List<Message> out) {
        send(l, side, out);
        SyncSession s = l.sessions[side];
        if (s != null && s.isClosed()) {
            closeSide(l, side);
            return;
        }
        // as the engine: a side serves and fetches attachments once its session is established (never over a
        // connection its hook refuses), and before the duplicate rule looks at it
        if (s != null && l.established[side]) attachments.established(l, side);
        if (refuses != null && s != null && l.established[side] && !l.tieChecked[side]) {
            l.tieChecked[side] = true;
            settleDuplicate(l, side);
        }
    }

    private void send(Link l, int from, List<Message> out) {
        SyncSession session = l.sessions[from];
        for (Message m : out) {
            if (!admitted(l) && (m instanceof Message.Batch || m instanceof Message.Docs)) {
                SimPeer acceptor = l.b;
                problem(l.peer(from) + " sent " + m.getClass().getSimpleName() + " to " + l.peer(1 - from)
                        + " over a connection " + acceptor + " accepted and its connection-request hook refuses"
                        + " (no byte of documents may cross it)");
            }
            byte[] frame = FrameEncoder.frame(session != null ? session.encode(m) : WireCodec.encode(m));
            stats.messages++;
            stats.count(m);
            trace.event("send", now).add(l.index).add(from).add(l.generation).add(frame);
            if (faultsOn && options.has(Fault.DROP) && rnd.nextDouble() < dropRate) {
                stats.dropped++;
                continue;
            }
            long at = now + 1 + rnd.nextInt(30);
            if (faultsOn && options.has(Fault.DELAY) && rnd.nextDouble() < delayRate) at += 100 + rnd.nextInt(4_000);
            boolean reorder = faultsOn && options.has(Fault.REORDER) && rnd.nextDouble() < reorderRate;
            if (!reorder) {
                at = Math.max(at, l.lastDelivery[from]);
                l.lastDelivery[from] = at;
            }
            schedule(DELIVER, at, l.index, from, l.generation, frame);
            if (faultsOn && options.has(Fault.DUPLICATE) && rnd.nextDouble() < duplicateRate) {
                stats.duplicated++;
                schedule(DELIVER, at + rnd.nextInt(200), l.index, from, l.generation, frame);
            }
        }
    }

    /** A session closed: its side is gone; what it sent still arrives, then the connection ends. */
    private void closeSide(Link l, int side) {
        countSkips(l.sessions[side]);
        l.sessions[side] = null;
        wakeSiblings(l);
        attachments.linkDown(l, side);
        if (l.state == Link.State.UP) {
            l.state = Link.State.CLOSING;
            schedule(EOF, Math.max(now, l.lastDelivery[side]) + 1, l.index, side, l.generation, null);
        }
    }

    /** Rows a sender skipped because range reconciliation showed the receiver held them. */
    private void countSkips(@Nullable SyncSession s) {
        if (s != null && s.rangesSkipped() > 0) stats.sent.merge(".rowsShownHeld", s.rangesSkipped(), Long::sum);
    }

    private void teardown(Link l) {
        wakeSiblings(l);
        attachments.linkDown(l, 0);
        attachments.linkDown(l, 1);
        l.generation++;
        countSkips(l.sessions[0]);
        countSkips(l.sessions[1]);
        l.sessions[0] = l.sessions[1] = null;
        l.decoders[0] = l.decoders[1] = null;
        l.state = Link.State.DOWN;
        scheduleReconnect(l, 200 + rnd.nextInt(3_000));
    }

    private void scheduleReconnect(Link l, long delay) {
        if (l.reconnectScheduled) return;
        l.reconnectScheduled = true;
        schedule(RECONNECT, now + delay, l.index, 0, 0, null);
    }

    private void reconnect(Link l) {
        l.reconnectScheduled = false;
        if (l.state != Link.State.DOWN) return;
        if (refuses != null) {
            if (l.refusedUntilRestart) return;
            if (connectedElsewhere(l)) { // as the transport's dialler: wait while connected to that peer
                l.parked = true;
                return;
            }
        }
        SimPeer node = l.serverNode();
        if (node != null && !node.up()) { // as a load balancer would: to a node that is up, if any
            List<SimPeer> up = new ArrayList<>();
            for (int i = 0; i < serverNodes; i++) if (peers[i].up()) up.add(peers[i]);
            if (!up.isEmpty()) moveDevice(l, up.get(rnd.nextInt(up.size())));
        }
        if (!l.a.up() || !l.b.up() || (blocked(l.a.index, l.b.index) && blocked(l.b.index, l.a.index))) {
            scheduleReconnect(l, 1_000 + rnd.nextInt(2_000));
            return;
        }
        connect(l);
    }

    private void connect(Link l) {
        l.parked = false;
        l.generation++;
        l.state = Link.State.UP;
        l.connects++;
        stats.connects++;
        trace.event("connect", now).add(l.index).add(l.generation);
        for (int side = 0; side < 2; side++) {
            SimPeer p = l.peer(side);
            SyncSession s = new SyncSession(
                    p.store(), peerConfigs[p.index], listener(l, side, l.generation), identity(p, l.peer(1 - side)));
            l.sessions[side] = s;
            l.decoders[side] = new FrameDecoder(sessionConfig.maxFrameBytes());
            l.lastDelivery[side] = now;
            l.established[side] = false;
            l.tieChecked[side] = false;
            l.order[side] = ++p.attachOrder;
            boolean[] h = hooks;
            if (h != null && side == 1 && h[p.index] && options.engineFault() != EngineFault.IGNORE_APPROVAL) {
                s.awaitApproval(); // the acceptor holds the session until its hook answers
            }
        }
        for (int side = 0; side < 2; side++) {
            SimPeer p = l.peer(side);
            SyncSession s = l.sessions[side];
            if (s == null) continue;
            send(l, side, s.start());
            send(l, side, s.setSubscriptions(p.db().currentSubscriptions()));
            after(l, side, s.onTick(p.clock.millis()));
        }
    }

    /**
     * Who {@code remote} is to {@code p}'s session: the peer id its certificate would carry, and in runs with
     * identities its role's permissions, turned into a principal by {@code p}'s engine as a certificate's would be.
     */
    private RemoteIdentity identity(SimPeer p, SimPeer remote) {
        Role[] r = roles;
        if (r == null) return new RemoteIdentity(remote.site, Principal.UNRESTRICTED);
        Role role = r[remote.index];
        EngineFault fault = options.engineFault();
        if (fault == EngineFault.SEND_UNREADABLE || fault == EngineFault.APPLY_FORBIDDEN) {
            return new RemoteIdentity(remote.site, role.plantedPrincipal(fault == EngineFault.SEND_UNREADABLE));
        }
        return new RemoteIdentity(
                remote.site, p.db().syncStore().principal(role.userId(), role.metadata(), role.permissions()));
    }

    /** The role of a peer in a run with identities, or null. */
    @Nullable
    Role role(int peer) {
        Role[] r = roles;
        return r == null ? null : r[peer];
    }

    private SessionListener listener(Link l, int side, long generation) {
        return new SessionListener() {
            @Override
            public void closed(String reason, String message, boolean byRemote) {
                stats.closes.merge(reason + (byRemote ? " (remote)" : ""), 1, Integer::sum);
            }

            @Override
            public void established(long remotePeerId) {
                if (l.generation != generation) return;
                l.established[side] = true;
                if (side == 1 && !admitted(l)) {
                    problem(l.b + " established a session " + l.a + " dialled, which its connection-request hook"
                            + " refuses");
                    if (options.engineFault() == EngineFault.IGNORE_APPROVAL) stats.plantedFaults++;
                }
            }

            @Override
            public void approvalRequested(long remotePeerId) {
                // the application's hook answers a little later, on its own
                schedule(DECIDE, now + 1 + rnd.nextInt(800), l.index, side, generation, null);
            }
        };
    }

    /** The connection-request hook of the accepting side answers: allow, or deny a peer it refuses. */
    private void decide(Link l, int side, long generation) {
        SyncSession s = l.sessions[side];
        if (l.generation != generation || s == null || !s.awaitingApproval()) return;
        trace.event("decided", now).add(l.index).add(admitted(l) ? 1 : 0);
        if (admitted(l)) {
            stats.connectionsAllowed++;
            after(l, side, s.allow());
        } else {
            stats.connectionsDenied++;
            l.refusedUntilRestart = true; // the dialler gives up on that peer until one of them restarts
            after(l, side, s.deny("its connection-request handler did not allow this connection"));
        }
    }

    /**
     * One session per pair: once a session is established at a peer that holds another established session with the
     * same remote (over the pair's other link), {@link DuplicateRule} says which one this peer closes — the same
     * decision the remote makes on its side, whatever the order in which the two sessions were established at each.
     * Checked: a peer never closes as a duplicate the session the remote kept.
     */
    private void settleDuplicate(Link l, int side) {
        SimPeer p = l.peer(side), remote = l.peer(1 - side);
        for (Link o : p.links) {
            if (o == l || o.pair != l.pair) continue;
            int os = o.sideOf(p);
            SyncSession other = o.sessions[os];
            if (other == null || !o.established[os] || other.isClosed()) continue;
            DuplicateRule.Side mine = new DuplicateRule.Side(side == 0, l.order[side]);
            DuplicateRule.Side theirs = new DuplicateRule.Side(os == 0, o.order[os]);
            DuplicateRule.Side lost = DuplicateRule.loser(p.site, remote.site, mine, theirs);
            if (options.engineFault() == EngineFault.DUPLICATE_KEEPS_OUTGOING && mine.outgoing() != theirs.outgoing()) {
                lost = mine.outgoing() ? theirs : mine; // planted: each side keeps what it dialled
            }
            if (lost == null) continue; // both dialled by the remote: it closes one
            Link loser = lost.equals(mine) ? l : o;
            int loserSide = loser == l ? side : os;
            Link winner = loser == l ? o : l;
            int winnerSide = winner == l ? side : os;
            if (loser.keptGeneration[1 - loserSide] == loser.generation) {
                problem(p + " closed as a duplicate its session with " + remote + " over " + loser + " (dialled by "
                        + loser.a + "), the session " + remote + " kept when it closed the other one: both closed");
                if (options.engineFault() == EngineFault.DUPLICATE_KEEPS_OUTGOING) stats.plantedFaults++;
            }
            winner.keptGeneration[winnerSide] = winner.generation;
            stats.duplicatesClosed++;
            trace.event("duplicate", now).add(loser.index).add(loserSide).add(loser.generation);
            SyncSession closing = java.util.Objects.requireNonNull(loser.sessions[loserSide]);
            after(
                    loser,
                    loserSide,
                    closing.close(SyncSession.DUPLICATE, "already connected to " + remote + " over " + winner));
            return;
        }
    }

    /** Whether the link's dialler holds an established session with the same remote over the pair's other link. */
    private boolean connectedElsewhere(Link l) {
        SimPeer dialler = l.a;
        for (Link o : dialler.links) {
            if (o == l || o.pair != l.pair) continue;
            int os = o.sideOf(dialler);
            if (o.sessions[os] != null && o.established[os]) return true;
        }
        return false;
    }

    /** A session of the pair ended: a dialler that waited because of it dials again after a backoff. */
    private void wakeSiblings(Link l) {
        if (refuses == null) return;
        for (Link o : l.a.links) {
            if (o == l || o.pair != l.pair || !o.parked) continue;
            o.parked = false;
            scheduleReconnect(o, 200 + rnd.nextInt(3_000));
        }
    }

    private boolean blocked(int from, int to) {
        for (int[] p : partitions) {
            boolean fromIn = (p[2] >> from & 1) != 0, toIn = (p[2] >> to & 1) != 0;
            if (p[1] == 0 ? fromIn != toIn : fromIn && !toIn) return true;
        }
        return false;
    }

    // ---- actions ----------------------------------------------------------------------------------------

    private void action() {
        if (serverNodes > 0 && rnd.nextDouble() < 0.06) { // a device moves to another node of the server
            Link l = links[rnd.nextInt(links.length)];
            SimPeer node = l.serverNode();
            if (node == null) return;
            SimPeer to = peers[(node.index + 1 + rnd.nextInt(serverNodes - 1)) % serverNodes];
            lastEvent = "move " + l + " to " + to;
            stats.moves++;
            if (l.state != Link.State.DOWN) teardown(l);
            moveDevice(l, to);
            return;
        }
        List<Fault> possible = new ArrayList<>();
        for (Fault f : new Fault[] {Fault.DISCONNECT, Fault.PARTITION, Fault.ONE_WAY_PARTITION, Fault.CRASH}) {
            if (options.has(f)) possible.add(f);
        }
        if (!possible.isEmpty() && rnd.nextDouble() < faultShare) {
            fault(possible.get(rnd.nextInt(possible.size())));
            return;
        }
        List<SimPeer> up = new ArrayList<>();
        for (SimPeer p : peers) if (p.up()) up.add(p);
        if (up.isEmpty()) return;
        workload.act(up.get(rnd.nextInt(up.size())));
    }

    private void fault(Fault f) {
        lastEvent = f.optionName();
        switch (f) {
            case DISCONNECT -> {
                Link l = links[rnd.nextInt(links.length)];
                trace.event("disconnect", now).add(l.index);
                if (l.state != Link.State.DOWN) {
                    stats.disconnects++;
                    teardown(l);
                }
            }
            case PARTITION, ONE_WAY_PARTITION -> {
                int members = 0;
                while (members == 0 || members == (1 << peerCount) - 1) members = rnd.nextInt(1 << peerCount);
                int id = nextPartition++;
                int kind = f == Fault.PARTITION ? 0 : 1;
                partitions.add(new int[] {id, kind, members});
                stats.partitions++;
                trace.event("partition", now).add(id).add(kind).add(members);
                for (Link l : links) { // a cut connection is often noticed at once
                    boolean crosses = ((members >> l.a.index) & 1) != ((members >> l.b.index) & 1);
                    if (crosses && l.state != Link.State.DOWN && rnd.nextBoolean()) teardown(l);
                }
                long lasts = 1_000L + rnd.nextInt(20_000);
                if (retentionMillis > 0 && rnd.nextBoolean()) lasts += 2 * retentionMillis;
                schedule(HEAL, now + lasts, id, 0, 0, null);
            }
            case CRASH -> {
                SimPeer p = peers[rnd.nextInt(peerCount)];
                trace.event("crash", now).add(p.index);
                if (!p.up()) return;
                stats.crashes++;
                for (Link l : p.links) {
                    if (l.state != Link.State.DOWN) teardown(l);
                }
                attachments.crash(p);
                p.crash();
                long down = 200L + rnd.nextInt(10_000);
                if (retentionMillis > 0 && rnd.nextBoolean()) down += 2 * retentionMillis; // back beyond the horizon
                schedule(RESTART, now + down, p.index, 0, 0, null);
            }
            default -> throw new IllegalStateException(f.toString());
        }
    }

    private void restart(SimPeer p) {
        p.open();
        trace.event("restarted", now).add(p.index).add(p.lastSequence());
        if (refuses != null) { // a restarted peer dials again, and is dialled again, whatever was refused before
            for (Link l : p.links) {
                l.refusedUntilRestart = false;
                if (l.state == Link.State.DOWN) scheduleReconnect(l, 200 + rnd.nextInt(3_000));
            }
        }
    }

    // ---- called by the workload -------------------------------------------------------------------------

    void noteAction(String what) {
        lastEvent = what;
    }

    /** After a local statement: tell the peer's sessions if the store changed. */
    void afterLocalWrite(SimPeer p, long markBefore) {
        if (changeMark(p) != markBefore) localChange(p);
    }

    /**
     * What changes when {@code p}'s store does: its last change sequence, or for a server node the count of write
     * transactions on the shared store (under CACHED_SEQUENCE a commit need not raise the highest number).
     */
    long changeMark(SimPeer p) {
        SharedStore c = p.cluster;
        return c != null ? c.commits : p.lastSequence();
    }

    /** The device end of {@code l} connects to {@code node} from now on (it is down, or about to be torn down). */
    private void moveDevice(Link l, SimPeer node) {
        SimPeer from = l.serverNode();
        if (from == null || from == node) return;
        trace.event("move", now).add(l.index).add(node.index);
        from.links.remove(l);
        node.links.add(l);
        l.replaceServerNode(node);
    }

    /** The store of {@code p} has new rows: every session of the peer hears of it. */
    private void localChange(SimPeer p) {
        if (p.node()) { // the other nodes find the commit when they next read the shared log
            for (int i = 0; i < serverNodes; i++) {
                if (i != p.index && !tailScheduled[i]) {
                    tailScheduled[i] = true;
                    schedule(TAIL, now + 1 + rnd.nextInt(100), i, 0, 0, null);
                }
            }
        }
        for (Link l : p.links) {
            int side = l.sideOf(p);
            SyncSession s = l.sessions[side];
            if (s != null) after(l, side, s.onLocalChange());
        }
    }

    void subscriptionsChanged(SimPeer p) {
        List<Subscription> subs = p.db().currentSubscriptions();
        for (Link l : p.links) {
            int side = l.sideOf(p);
            SyncSession s = l.sessions[side];
            if (s != null) after(l, side, s.setSubscriptions(subs));
        }
    }
}
