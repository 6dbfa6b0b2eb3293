package io.starling.bench.suite;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.bench.PeakHeap;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.engine.InMemoryTransport;
import io.starling.transport.SharedKeys;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.automerge.Document;
import org.automerge.SyncState;

/**
 * S2, initial sync A → B of N documents.
 *
 * <ul>
 *   <li>{@code starling}: two SQLite-backed peers in one JVM over the byte-counting in-memory transport (as
 *       SyncBenchmark). B subscribes to {@code SELECT * FROM docs}; done = A sees B's acknowledgement of its last
 *       change. {@code round_trips} = messages / 2 (the protocol streams batches under a window, so this counts
 *       messages, not waits). {@code payload_bytes} = encoded ids + states; {@code json_payload_bytes} = the
 *       documents' JSON (the Node side's definition). {@code receiver_peak_heap_mb} = the JVM's peak used heap
 *       during the sync minus before it (both peers live in this JVM).
 *   <li>{@code starling-tcp-tls}: the same over real loopback TCP with mutual TLS 1.3 (shared-key identity);
 *       bytes from {@code sync().metrics()} (counted at the socket, TLS included); time from B dialing;
 *       {@code round_trips} = messages / 2, as above (from the same metrics).
 *   <li>{@code automerge-jni}: one Automerge document of N nested maps; B starts empty; Automerge's own sync
 *       protocol (generateSyncMessage/receiveSyncMessage with a SyncState per side) until neither side has a
 *       message; {@code round_trips} = turns in which a message went either way.
 * </ul>
 */
final class S2InitialSync implements Scenario {
    @Override
    public String id() {
        return "S2";
    }

    @Override
    public String title() {
        return "initial sync A→B";
    }

    @Override
    public List<BenchRecord> run(Context ctx, int n) throws Exception {
        List<BenchRecord> out = new ArrayList<>();
        measure(out, "starling", n, () -> inMemory(ctx, n));
        measure(out, "starling-tcp-tls", n, () -> tcpTls(ctx, n));
        measure(out, "automerge-jni", n, () -> automerge(ctx, n));
        return out;
    }

    List<BenchRecord> inMemory(Context ctx, int n) throws Exception {
        String sys = "starling";
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s2");
        try (DefaultStarling a = Bench.open(dir.resolve("a"));
                DefaultStarling b = Bench.open(dir.resolve("b"))) {
            Bench.load(a, ctx.docs(n));
            long payload = Bench.payload(a);
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());
            long heapBefore = Bench.usedHeapAfterGc();
            PeakHeap peak = new PeakHeap();
            long start = System.nanoTime();
            InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
            long seq = a.defaultStore().lastSequence();
            long peerB = Bench.siteId(b);
            Bench.await("S2 sync", () -> a.sync().hasReached(peerB, seq));
            double seconds = (System.nanoTime() - start) / 1e9;
            long peakHeap = peak.stop();
            Bench.awaitQuiet(() -> link.bytesAToB() + link.bytesBToA(), 100);
            out.add(BenchRecord.of(id(), sys, n, "sync_seconds", seconds, "s"));
            out.add(BenchRecord.of(id(), sys, n, "wire_bytes_a_to_b", link.bytesAToB(), "B"));
            out.add(BenchRecord.of(id(), sys, n, "wire_bytes_b_to_a", link.bytesBToA(), "B"));
            out.add(BenchRecord.of(id(), sys, n, "payload_bytes", payload, "B"));
            out.add(BenchRecord.of(id(), sys, n, "json_payload_bytes", Bench.jsonBytes(ctx.docs(n)), "B"));
            out.add(BenchRecord.of(
                    id(), sys, n, "round_trips", (link.messagesAToB() + link.messagesBToA()) / 2.0, "count"));
            out.add(BenchRecord.of(
                    id(), sys, n, "receiver_peak_heap_mb", Bench.mb(Math.max(0, peakHeap - heapBefore)), "MB"));
            link.close();
        } finally {
            Bench.delete(dir);
        }
        return out;
    }

    /** Opens a peer with the shared-key identity; {@code listen} true: on 127.0.0.1 at a free port. */
    static Starling openTls(Path dir, Path key, boolean listen) {
        StarlingConfig.Builder c =
                StarlingConfig.builder().databaseDirectory(dir).appId("bench").identity(Identity.sharedKey(key));
        if (listen) c.listen("127.0.0.1:0");
        return Starling.open(c.build());
    }

    List<BenchRecord> tcpTls(Context ctx, int n) throws Exception {
        String sys = "starling-tcp-tls";
        List<BenchRecord> out = new ArrayList<>();
        Path dir = ctx.newDir("s2tls");
        Path key = dir.resolve("shared.key");
        SharedKeys.generate(key);
        try (Starling a = openTls(dir.resolve("a"), key, true);
                Starling b = openTls(dir.resolve("b"), key, false)) {
            Bench.load(a, ctx.docs(n));
            b.sync().registerSubscription("SELECT * FROM docs", Map.of());
            int port = a.sync().listening().get(0).port();
            long seq = ((DefaultStarling) a).defaultStore().lastSequence();
            long peerB = Bench.siteId(b);
            long heapBefore = Bench.usedHeapAfterGc();
            PeakHeap peak = new PeakHeap();
            long start = System.nanoTime();
            b.sync().connect(Endpoint.tcp("127.0.0.1", port));
            Bench.await("S2 tcp sync", () -> a.sync().hasReached(peerB, seq));
            double seconds = (System.nanoTime() - start) / 1e9;
            long peakHeap = peak.stop();
            Bench.awaitQuiet(
                    () -> a.sync().metrics().bytesSent() + a.sync().metrics().bytesReceived(), 100);
            out.add(BenchRecord.of(id(), sys, n, "sync_seconds", seconds, "s"));
            out.add(BenchRecord.of(
                    id(), sys, n, "wire_bytes_a_to_b", a.sync().metrics().bytesSent(), "B"));
            out.add(BenchRecord.of(
                    id(), sys, n, "wire_bytes_b_to_a", a.sync().metrics().bytesReceived(), "B"));
            out.add(BenchRecord.of(
                    id(),
                    sys,
                    n,
                    "round_trips",
                    (a.sync().metrics().messagesSent() + a.sync().metrics().messagesReceived()) / 2.0,
                    "count"));
            out.add(BenchRecord.of(id(), sys, n, "payload_bytes", Bench.payload((DefaultStarling) a), "B"));
            out.add(BenchRecord.of(id(), sys, n, "json_payload_bytes", Bench.jsonBytes(ctx.docs(n)), "B"));
            out.add(BenchRecord.of(
                    id(), sys, n, "receiver_peak_heap_mb", Bench.mb(Math.max(0, peakHeap - heapBefore)), "MB"));
        } finally {
            Bench.delete(dir);
        }
        return out;
    }

    List<BenchRecord> automerge(Context ctx, int n) {
        String sys = "automerge-jni";
        List<BenchRecord> out = new ArrayList<>();
        List<Map<String, Object>> docs = ctx.docs(n);
        AmDocs a = AmDocs.create();
        Document b = new Document();
        SyncState sa = new SyncState(), sb = new SyncState();
        try {
            a.insertAll(docs);
            long heapBefore = Bench.usedHeapAfterGc();
            long rssBefore = Bench.rss();
            PeakHeap peak = new PeakHeap();
            long start = System.nanoTime();
            AmDocs.SyncStats s = AmDocs.sync(a.doc, sa, b, sb);
            double seconds = (System.nanoTime() - start) / 1e9;
            long peakHeap = peak.stop();
            long rssAfter = Bench.rss();
            if (AmDocs.wrap(b).size() != n)
                throw new IllegalStateException(
                        "automerge B holds " + AmDocs.wrap(b).size() + " of " + n);
            out.add(BenchRecord.of(id(), sys, n, "sync_seconds", seconds, "s"));
            out.add(BenchRecord.of(id(), sys, n, "wire_bytes_a_to_b", s.bytesAToB(), "B"));
            out.add(BenchRecord.of(id(), sys, n, "wire_bytes_b_to_a", s.bytesBToA(), "B"));
            long json = Bench.jsonBytes(docs);
            out.add(BenchRecord.of(id(), sys, n, "payload_bytes", json, "B"));
            out.add(BenchRecord.of(id(), sys, n, "json_payload_bytes", json, "B"));
            out.add(BenchRecord.of(id(), sys, n, "encoded_bytes", a.doc.save().length, "B"));
            out.add(BenchRecord.of(id(), sys, n, "round_trips", s.roundTrips(), "count"));
            out.add(BenchRecord.of(
                    id(), sys, n, "receiver_peak_heap_mb", Bench.mb(Math.max(0, peakHeap - heapBefore)), "MB"));
            out.add(BenchRecord.of(
                    id(), sys, n, "receiver_native_rss_growth_mb", Bench.mb(rssAfter - rssBefore), "MB"));
        } finally {
            sa.free();
            sb.free();
            a.doc.free();
            b.free();
        }
        return out;
    }
}
