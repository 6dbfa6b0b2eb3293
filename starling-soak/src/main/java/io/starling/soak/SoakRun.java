package io.starling.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.sync.Subscription;
import io.starling.testsupport.Await;
import io.starling.transport.SharedKeys;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/*
 * Design note — one soak run.
 *
 *   start     a shared key; one FaultyRelay per link; every peer a child JVM (SoakPeerMain) on its own SQLite
 *             directory, listening on TCP and WebSocket (TLS 1.3, shared key) on 127.0.0.1:0, dialling the relays
 *             of the links it dials; each relay forwards to its listener's port of the link's transport (and is
 *             retargeted whenever that peer restarts on new ports); the first subscriptions registered.
 *   chaos     the plan's steps (SoakPlan), each run at its time by one scheduler thread, in order: statements at
 *             peers (each waits for its answer; an answer that says the document changed is an acknowledged write,
 *             recorded with the writer's states before and after), evictions, subscription changes, relay faults,
 *             SIGKILLs (sometimes with a statement in flight, whose fate is then unknown) and restarts over the same
 *             directory. No step sleeps: a slow step delays the ones after it.
 *   settle    every relay healed, every peer up; then wait, with a deadline, until every link is connected at both
 *             ends, nothing changed at any peer (last sequence, messages sent and received) for QUIET, and the
 *             peers that must agree hold identical states (check (a) on a fresh dump).
 *   check     a final dump of every peer: (a) convergence and delivery, (b) no lost or empty acknowledged write
 *             (SoakChecks), (c) the reference model (ModelCheck, through ReferenceModelAdapter).
 *   stop      every peer asked to close its engine and exit (exit status 0 expected), every relay closed.
 *
 * close() stops whatever is still running, on every path: the scheduler, the child JVMs, the relays.
 */

/** One soak run over a working directory. Not thread-safe; run once. */
final class SoakRun implements AutoCloseable {
    /** Nothing changed at any peer for this long: the peers are taken to be quiet. */
    static final Duration QUIET = Duration.ofMillis(1_500);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> EXPECTED_REFUSALS = Set.of("document/id-conflict", "document/invalid");

    private final SoakOptions options;
    private final SoakPlan plan;
    private final Path dir;
    private final PrintStream log;
    private final List<SoakPeer> peers = new ArrayList<>();
    private final List<FaultyRelay> relays = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "soak-plan");
        t.setDaemon(true);
        return t;
    });
    /** Each peer's subscriptions as the plan goes (registered again after each restart). */
    private final List<List<SoakPlan.SubSpec>> subscriptions = new ArrayList<>();

    // what the chaos phase recorded: written by the plan thread, read after it finished (the latch orders them)
    private final List<SoakWrite> writes = new ArrayList<>();
    private final List<FinalState.Eviction> evictions = new ArrayList<>();
    private final List<FinalState.Indeterminate> indeterminate = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    /** Acknowledged writes a restarted peer's own store did not have (check (b), read offline at each restart). */
    private final List<String> lostAtRestart = new ArrayList<>();

    private int keptChecks;
    private final Map<SoakPlan.FaultKind, Integer> faults = new EnumMap<>(SoakPlan.FaultKind.class);
    private int storedNothing, noChange, refused, skipped, ackedBeforeKill, inexact, subscriptionChanges;
    private int kills, restarts;
    private long chaosStart;
    private volatile @Nullable Throwable planFailure;

    SoakRun(SoakOptions options, Path dir, PrintStream log) {
        this.options = options;
        this.plan = SoakPlan.generate(options);
        this.dir = dir;
        this.log = log;
    }

    SoakPlan plan() {
        return plan;
    }

    SoakResult run() throws IOException {
        Map<String, Long> phases = new LinkedHashMap<>();
        long t = System.nanoTime();
        start();
        t = phase(phases, "start", t);
        chaos();
        t = phase(phases, "chaos", t);
        settle();
        t = phase(phases, "settle", t);
        FinalState end = capture();
        SoakChecks.Findings findings = SoakChecks.check(end);
        ModelCheck.Result model = ModelCheck.run(end, ReferenceModelAdapter.create());
        t = phase(phases, "check", t);
        stopPeers();
        FaultyRelay.Stats relayStats = relayTotals();
        for (FaultyRelay r : relays) r.close();
        phase(phases, "stop", t);
        SoakResult.Figures figures = new SoakResult.Figures(
                writes.size(),
                storedNothing,
                noChange,
                refused,
                skipped,
                indeterminate.size(),
                ackedBeforeKill,
                inexact,
                evictions.size(),
                subscriptionChanges,
                kills,
                restarts,
                keptChecks,
                Map.copyOf(faults),
                relayStats);
        return new SoakResult(
                options, findings, List.copyOf(lostAtRestart), model, List.copyOf(failures), figures, phases, logs());
    }

    private static long phase(Map<String, Long> phases, String name, long since) {
        long now = System.nanoTime();
        phases.put(name, TimeUnit.NANOSECONDS.toMillis(now - since));
        return now;
    }

    // ---- start

    private void start() throws IOException {
        Files.createDirectories(dir);
        Path key = dir.resolve("app.key");
        SharedKeys.generate(key);
        for (SoakPlan.Link l : plan.links) relays.add(new FaultyRelay(l.name(), null));
        for (int i = 0; i < options.peers(); i++) {
            List<String> connect = new ArrayList<>();
            for (SoakPlan.Link l : plan.links) {
                if (l.dialler() != i) continue;
                int port = relays.get(l.index()).port();
                connect.add(
                        l.transport() == SoakPlan.Transport.TCP
                                ? "tcp://127.0.0.1:" + port
                                : "ws://127.0.0.1:" + port + "/sync");
            }
            peers.add(new SoakPeer(i, plan.sites[i], dir.resolve("peer-" + i), key, plan.durability[i], connect));
            subscriptions.add(new ArrayList<>(plan.initialSubscriptions.get(i)));
        }
        for (SoakPeer p : peers) p.start(); // the JVMs start side by side
        for (SoakPeer p : peers) ready(p);
    }

    /**
     * Waits for a started peer; after a restart, checks that its store kept every write it acknowledged (read offline,
     * before sync could bring anything back); then opens it with networking, points the relays of the links it
     * listens on at it and registers its subscriptions.
     */
    private void ready(SoakPeer p) {
        p.awaitOffline();
        if (p.starts > 1) checkKept(p);
        p.goOnline();
        for (SoakPlan.Link l : plan.links) {
            if (l.listener() == p.index) {
                relays.get(l.index())
                        .retarget(new InetSocketAddress(InetAddress.getLoopbackAddress(), p.port(l.transport())));
            }
        }
        for (SoakPlan.SubSpec s : subscriptions.get(p.index)) subscribe(p, s, "sub");
    }

    /** Every write the peer acknowledged is in its store after a SIGKILL and restart, unless the peer evicted it. */
    private void checkKept(SoakPeer p) {
        FinalState.PeerState stored = dump(p);
        for (SoakWrite w : writes) if (w.peer() == p.index) keptChecks++;
        for (String lost : SoakChecks.keptAfterRestart(stored, writes, evictions)) {
            if (lostAtRestart.size() < SoakChecks.MAX_MESSAGES) lostAtRestart.add(lost + " (restart " + p.starts + ")");
        }
    }

    private static void subscribe(SoakPeer p, SoakPlan.SubSpec s, String cmd) {
        ObjectNode req = p.request(cmd);
        req.put("query", s.query());
        req.set("args", JSON.valueToTree(s.args()));
        JsonNode r = p.call(req);
        if (!r.path("ok").asBoolean()) throw new AssertionError(p + " refused " + cmd + " " + s + ": " + r);
    }

    // ---- chaos

    @SuppressWarnings("FutureReturnValueIgnored") // runStep keeps every failure in planFailure, rethrown below
    private void chaos() {
        CountDownLatch done = new CountDownLatch(1);
        chaosStart = System.nanoTime();
        long last = 0;
        for (SoakPlan.Step step : plan.steps) {
            scheduler.schedule(() -> runStep(step), step.atMillis(), TimeUnit.MILLISECONDS);
            last = step.atMillis();
        }
        scheduler.schedule(done::countDown, last, TimeUnit.MILLISECONDS);
        Await.latch(
                "the chaos phase of " + options,
                Duration.ofMillis(options.chaosMillis()).plus(Duration.ofMinutes(3)),
                done);
        Throwable failure = planFailure;
        if (failure != null) {
            throw new AssertionError("the plan of " + options + " failed: " + failure, failure);
        }
    }

    private void runStep(SoakPlan.Step step) {
        if (planFailure != null) return;
        try {
            execute(step.action());
        } catch (Throwable t) {
            planFailure = t;
        }
    }

    private long now() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - chaosStart);
    }

    private void execute(SoakPlan.Action action) throws IOException {
        if (action instanceof SoakPlan.Write w) {
            SoakPeer p = peers.get(w.peer());
            if (!p.up()) {
                skipped++;
                return;
            }
            record(p, w.stmt(), p.call(exec(p, w.stmt())), false);
        } else if (action instanceof SoakPlan.Evict e) {
            evict(e);
        } else if (action instanceof SoakPlan.Subscribe s) {
            subscriptionChanges++;
            List<SoakPlan.SubSpec> mine = subscriptions.get(s.peer());
            if (!mine.contains(s.spec())) mine.add(s.spec());
            if (peers.get(s.peer()).up()) subscribe(peers.get(s.peer()), s.spec(), "sub");
        } else if (action instanceof SoakPlan.Unsubscribe u) {
            subscriptionChanges++;
            subscriptions.get(u.peer()).remove(u.spec());
            if (peers.get(u.peer()).up()) subscribe(peers.get(u.peer()), u.spec(), "unsub");
        } else if (action instanceof SoakPlan.Fault f) {
            fault(f);
        } else if (action instanceof SoakPlan.Kill k) {
            kill(k);
        } else if (action instanceof SoakPlan.Restart r) {
            SoakPeer p = peers.get(r.peer());
            if (p.up()) return;
            restarts++;
            p.start();
            ready(p);
        } else {
            throw new IllegalStateException("unknown step " + action);
        }
    }

    private void fault(SoakPlan.Fault f) {
        FaultyRelay r = relays.get(f.link());
        faults.merge(f.kind(), 1, Integer::sum);
        switch (f.kind()) {
            case DELAY -> r.delay(f.millis());
            case STALL -> r.stall(f.millis());
            case CUT -> r.cut();
            case REFUSE -> r.refuse(f.millis());
            case CORRUPT -> r.corrupt(f.direction(), f.position());
            case TRUNCATE -> r.truncate(f.direction(), f.position());
        }
    }

    /** SIGKILL; a statement in flight is acknowledged only if its answer was printed before the process died. */
    private void kill(SoakPlan.Kill k) {
        SoakPeer p = peers.get(k.peer());
        if (!p.up()) return;
        kills++;
        SoakPlan.Stmt stmt = k.inFlight();
        if (stmt == null) {
            p.kill(null);
            return;
        }
        ObjectNode inFlight = exec(p, stmt);
        p.send(inFlight);
        JsonNode reply = p.kill(inFlight);
        if (reply == null) {
            indeterminate.add(new FinalState.Indeterminate(p.index, stmt.doc(), stmt));
        } else {
            record(p, stmt, reply, true);
        }
    }

    private static ObjectNode exec(SoakPeer p, SoakPlan.Stmt stmt) {
        ObjectNode req = p.request("exec");
        req.put("statement", stmt.text());
        req.set("args", JSON.valueToTree(stmt.args()));
        ObjectNode doc = req.putObject("doc");
        doc.put("collection", stmt.collection());
        doc.set("id", JSON.valueToTree(stmt.id()));
        return req;
    }

    /** Records the answer to a statement: an acknowledged write, a refusal, or a statement that changed nothing. */
    private void record(SoakPeer p, SoakPlan.Stmt stmt, JsonNode reply, boolean justBeforeKill) {
        if (!reply.path("ok").asBoolean()) {
            String code = reply.path("code").asText();
            if (EXPECTED_REFUSALS.contains(code)) {
                refused++;
            } else {
                failures.add(p + " refused " + stmt + " with " + code + ": "
                        + reply.path("message").asText());
            }
            return;
        }
        JsonNode mutated = reply.path("mutated");
        if (mutated.isEmpty()) {
            noChange++;
            return;
        }
        DocRef doc = stmt.doc();
        if (mutated.size() != 1
                || !DocRef.of(stmt.collection(), JSON.convertValue(mutated.get(0), Object.class))
                        .equals(doc)) {
            failures.add(p + " answered " + stmt + " with the changed documents " + mutated + ", not just " + doc);
            return;
        }
        DocumentState before = state(reply.path("before"));
        DocumentState after = state(reply.path("after"));
        boolean exact = reply.path("seq").asLong() != 0
                && reply.path("afterSeq").asLong() == reply.path("seq").asLong();
        SoakWrite w = new SoakWrite(writes.size(), p.index, p.site, doc, stmt, before, after, exact, now());
        if (after.equals(before) && SoakPlan.onlyNestedUnsets(stmt.op())) {
            storedNothing++; // UNSET o.p where o is no object: nothing to store, rightly
            return;
        }
        if (justBeforeKill) ackedBeforeKill++;
        if (!exact) inexact++;
        writes.add(w);
    }

    private static DocumentState state(JsonNode b64) {
        if (b64 == null || b64.isNull() || b64.isMissingNode()) return DocumentState.empty();
        return DocumentState.decode(Base64.getDecoder().decode(b64.asText()));
    }

    private void evict(SoakPlan.Evict e) {
        SoakPeer p = peers.get(e.peer());
        if (!p.up()) {
            skipped++;
            return;
        }
        ObjectNode req = p.request("exec");
        req.put("statement", "EVICT FROM " + e.collection() + " WHERE _id = :id");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("id", e.id());
        req.set("args", JSON.valueToTree(args));
        JsonNode r = p.call(req);
        if (!r.path("ok").asBoolean()) {
            failures.add(p + " refused to evict " + e + ": " + r);
            return;
        }
        if (r.path("mutated").isEmpty()) return;
        DocRef doc = DocRef.of(e.collection(), e.id());
        // where each of the evicting peer's writes to the document had got to: read from the other peers now
        Map<Integer, Set<Integer>> heldAt = new TreeMap<>();
        List<SoakWrite> mine = new ArrayList<>();
        for (SoakWrite w : writes) if (w.peer() == p.index && w.doc().equals(doc)) mine.add(w);
        if (!mine.isEmpty()) {
            for (SoakWrite w : mine) heldAt.put(w.index(), new TreeSet<>());
            for (SoakPeer q : peers) {
                if (q == p || !q.up()) continue;
                ObjectNode rows = q.request("rows");
                rows.put("collection", e.collection());
                rows.putArray("ids").add(JSON.valueToTree(e.id()));
                DocumentState st = state(q.call(rows).path("states").get(0));
                for (SoakWrite w : mine) {
                    if (st.merge(w.after()).equals(st)) {
                        Objects.requireNonNull(heldAt.get(w.index()), "every write of the evicting peer has an entry")
                                .add(q.index);
                    }
                }
            }
        }
        evictions.add(new FinalState.Eviction(p.index, doc, writes.size(), heldAt));
    }

    // ---- settle

    private void settle() throws IOException {
        for (FaultyRelay r : relays) r.heal();
        for (SoakPeer p : peers) {
            if (!p.up()) {
                restarts++;
                p.start();
                ready(p);
            }
        }
        Duration deadline =
                options.profile() == SoakOptions.Profile.SHORT ? Duration.ofSeconds(90) : Duration.ofMinutes(3);
        Settle s = new Settle();
        try {
            Await.until(
                    "the healed peers of " + options + " to be connected, quiet and converged",
                    deadline,
                    s::done,
                    s::describe);
        } catch (AssertionError e) {
            failures.add(e.getMessage());
        }
    }

    /** The state of the wait for quiet: what the peers looked like at the last poll, and since when. */
    private final class Settle {
        /** The counters of the last poll while every link was connected; null after a poll that found otherwise. */
        private @Nullable List<Long> fingerprint;

        private long stableSince;
        private String last = "nothing polled yet";

        boolean done() {
            List<JsonNode> status = new ArrayList<>();
            for (SoakPeer p : peers) status.add(p.call(p.request("status")));
            List<String> missing = new ArrayList<>();
            for (SoakPlan.Link l : plan.links) {
                if (!connected(status.get(l.dialler()), peers.get(l.listener()).site)
                        || !connected(status.get(l.listener()), peers.get(l.dialler()).site)) {
                    missing.add(l.name());
                }
            }
            List<Long> now = new ArrayList<>();
            for (JsonNode s : status) {
                now.add(s.path("lastSeq").asLong());
                now.add(s.path("metrics").path("messagesSent").asLong());
                now.add(s.path("metrics").path("messagesReceived").asLong());
            }
            if (!missing.isEmpty()) {
                last = "links not connected at both ends: " + missing;
                fingerprint = null;
                return false;
            }
            if (!now.equals(fingerprint)) {
                last = "traffic: last sequence, messages sent and received per peer " + now;
                fingerprint = now;
                stableSince = System.nanoTime();
                return false;
            }
            if (System.nanoTime() - stableSince < QUIET.toNanos()) return false;
            List<String> divergences = SoakChecks.divergences(capture());
            if (!divergences.isEmpty()) {
                last = "quiet, but diverged:\n" + String.join("\n", divergences);
                fingerprint = null;
                return false;
            }
            return true;
        }

        String describe() {
            return last;
        }
    }

    private static boolean connected(JsonNode status, long site) {
        String hex = Long.toUnsignedString(site, 16);
        for (JsonNode p : status.path("peers")) {
            if (p.path("peer").asText().equals(hex) && p.path("connected").asBoolean()) return true;
        }
        return false;
    }

    // ---- check

    private FinalState capture() {
        List<FinalState.PeerState> states = new ArrayList<>();
        for (SoakPeer p : peers) states.add(dump(p));
        List<int[]> edges = new ArrayList<>();
        for (SoakPlan.Link l : plan.links) edges.add(new int[] {l.dialler(), l.listener()});
        return new FinalState(states, edges, List.copyOf(writes), List.copyOf(evictions), List.copyOf(indeterminate));
    }

    /** A peer's stored rows of every collection, and its subscriptions. */
    private static FinalState.PeerState dump(SoakPeer p) {
        ObjectNode req = p.request("dump");
        for (String c : SoakPlan.COLLECTIONS) req.withArray("collections").add(c);
        Path file = p.directory.resolve("dump.json");
        req.put("file", file.toString());
        JsonNode reply = p.call(req);
        if (!reply.path("ok").asBoolean()) throw new AssertionError(p + " could not dump its rows: " + reply);
        JsonNode dump;
        try {
            dump = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the dump of " + p, e);
        }
        TreeMap<DocRef, byte[]> rows = new TreeMap<>();
        for (JsonNode r : dump.path("rows")) {
            rows.put(
                    DocRef.ofEncoded(
                            r.path("c").asText(),
                            Base64.getDecoder().decode(r.path("id").asText())),
                    Base64.getDecoder().decode(r.path("state").asText()));
        }
        List<Subscription> subs = new ArrayList<>();
        for (JsonNode s : dump.path("subs")) {
            subs.add(Subscription.of(
                    s.path("collection").asText(), s.path("query").asText(), (Value.Obj)
                            Value.fromJava(JSON.convertValue(s.path("args"), Map.class))));
        }
        return new FinalState.PeerState(p.index, p.site, List.copyOf(subs), rows);
    }

    // ---- stop

    private void stopPeers() {
        for (SoakPeer p : peers) {
            try {
                p.stop();
            } catch (AssertionError | RuntimeException e) {
                failures.add(p + " did not close cleanly: " + e.getMessage());
            }
        }
    }

    private FaultyRelay.Stats relayTotals() {
        long c = 0, ref = 0, bl = 0, bd = 0, cuts = 0, cor = 0, tr = 0;
        for (FaultyRelay r : relays) {
            FaultyRelay.Stats s = r.stats();
            c += s.connections();
            ref += s.refused();
            bl += s.bytesToListener();
            bd += s.bytesToDialler();
            cuts += s.cuts();
            cor += s.corrupted();
            tr += s.truncated();
        }
        return new FaultyRelay.Stats(c, ref, bl, bd, cuts, cor, tr);
    }

    private String logs() {
        StringBuilder sb = new StringBuilder();
        for (SoakPeer p : peers) sb.append(p.logTail(40));
        return sb.toString();
    }

    /** Stops whatever still runs: the plan thread, every child JVM, every relay. */
    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
                log.println("soak: the plan thread did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SoakPeer p : peers) {
            p.close();
            p.saveLogs();
        }
        for (FaultyRelay r : relays) r.close();
    }

    static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) return;
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a leftover temporary directory is not worth failing a run for
        }
    }
}
