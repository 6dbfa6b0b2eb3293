package io.starling.soak;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.QueryResult;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.Sync;
import io.starling.SyncSubscription;
import io.starling.internal.core.Value;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.index.IndexKeyCodec;
import io.starling.internal.sync.Subscription;
import io.starling.internal.sync.SyncStoreView;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One soak peer, in a JVM of its own: a real engine on SQLite in a database directory, listening on TCP and on
 * WebSocket (both TLS 1.3 with the shared key) on 127.0.0.1, dialling the relays it is given, and driven by the soak
 * over stdin/stdout, one JSON object a line each way.
 *
 * <p>Why a driver rather than {@code starling peer --http}: the checks compare the engines' stored CRDT states byte
 * for byte and need the writer's state right before and after each write, read next to the statement in the same
 * process; the workload changes subscriptions while the peer runs. The HTTP API shows documents as JSON and takes
 * subscriptions only at start, and adding a debug endpoint to the product for a test is surface nobody should ship.
 *
 * <pre>
 * java io.starling.soak.SoakPeerMain --db DIR --site HEX --key FILE [--durability FULL|NORMAL] [--connect URL]...
 * stdout: offline {"site": "..."}              the store is open without networking, as the last life left it
 * stdin → stdout, in order:
 *   {"n":1,"cmd":"exec","statement":"…","args":{…},"doc":{"collection":"a","id":…}}
 *       → {"n":1,"ok":true,"mutated":[…],"seq":S,"before":B64|null,"after":B64|null,"afterSeq":S}
 *       → {"n":1,"ok":false,"code":"document/id-conflict","message":"…"}
 *   {"n":2,"cmd":"sub"|"unsub","query":"…","args":{…}}          → {"n":2,"ok":true}
 *   {"n":3,"cmd":"rows","collection":"a","ids":[…]}               → {"n":3,"ok":true,"states":[B64|null,…]}
 *   {"n":4,"cmd":"status"}   → {"n":4,"ok":true,"lastSeq":S,"peers":[{"peer":"hex","acked":S}],"metrics":{…}}
 *   {"n":5,"cmd":"dump","collections":[…],"file":F} → {"n":5,"ok":true}; F holds {"rows":[{"c","id","state"}],
 *                               "subs":[…],"lastSeq":S}
 *   {"n":6,"cmd":"online"}   → {"n":6,"ok":true}, then the engine closes and opens again with networking:
 *                               ready {"site": "...", "tcp": PORT, "ws": PORT}
 *   {"n":7,"cmd":"exit"}     → {"n":7,"ok":true}, then the engine closes and the JVM exits 0
 * </pre>
 *
 * <p>The offline start lets the soak read what a restarted peer's own store kept of its acknowledged writes before
 * sync could bring any of it back from a neighbour: a write lost by the SIGKILL would otherwise be hidden.
 *
 * Logs go to stderr (slf4j-simple), which the soak quotes when a run fails. End of stdin closes the engine too.
 */
public final class SoakPeerMain {
    static final String OFFLINE = "offline ";
    static final String READY = "ready ";
    static final String APP = "soak";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private DefaultStarling db;
    private final PrintStream out;
    private final Map<String, SyncSubscription> subscriptions = new LinkedHashMap<>();

    private SoakPeerMain(DefaultStarling db, PrintStream out) {
        this.db = db;
        this.out = out;
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        StarlingConfig config = config(args);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        // first offline: the store exactly as the last life left it, before any peer can send anything back
        SoakPeerMain peer = new SoakPeerMain(
                open(config.toBuilder().listen(List.of()).connect(List.of()).build()), out);
        out.println(OFFLINE + JSON.writeValueAsString(identity(peer.db)));
        boolean online;
        try {
            online = peer.serve(in) == Ending.ONLINE;
        } finally {
            peer.db.close();
        }
        if (online) {
            peer.db = open(config);
            ObjectNode ready = identity(peer.db);
            for (Endpoint e : peer.db.sync().listening()) {
                ready.put(e.scheme() == Endpoint.Scheme.TCP ? "tcp" : "ws", e.port());
            }
            out.println(READY + JSON.writeValueAsString(ready));
            try {
                peer.serve(in);
            } finally {
                peer.db.close();
            }
        }
        System.exit(0);
    }

    private static DefaultStarling open(StarlingConfig config) {
        Starling opened = Starling.open(config);
        if (!(opened instanceof DefaultStarling db)) {
            opened.close();
            throw new IllegalStateException("the soak reads the engine's stored states: expected DefaultStarling, got "
                    + opened.getClass().getName());
        }
        return db;
    }

    private static ObjectNode identity(DefaultStarling db) {
        ObjectNode n = JSON.createObjectNode();
        n.put("site", Long.toUnsignedString(db.config().siteId().orElseThrow(), 16));
        return n;
    }

    /** Why {@link #serve} returned. */
    private enum Ending {
        EXIT,
        ONLINE,
        END_OF_INPUT
    }

    static StarlingConfig config(String[] args) {
        StarlingConfig.Builder b =
                StarlingConfig.builder().appId(APP).listen("tcp://127.0.0.1:0", "ws://127.0.0.1:0/sync");
        List<String> connect = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) throw new IllegalArgumentException("option " + args[i] + " needs a value");
            switch (args[i++]) {
                case "--db" -> b.databaseDirectory(Path.of(value));
                case "--site" -> b.siteId(Long.parseUnsignedLong(value, 16));
                case "--key" -> b.identity(Identity.sharedKey(Path.of(value)));
                case "--durability" -> b.durability(StarlingConfig.Durability.valueOf(value));
                case "--connect" -> connect.add(value);
                default -> throw new IllegalArgumentException("unknown option " + args[i - 1]);
            }
        }
        if (!connect.isEmpty()) b.connect(connect.toArray(String[]::new));
        return b.build();
    }

    private Ending serve(BufferedReader in) throws IOException {
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) continue;
            JsonNode cmd = JSON.readTree(line);
            ObjectNode reply = JSON.createObjectNode();
            reply.put("n", cmd.path("n").asLong());
            Ending end = null;
            try {
                switch (cmd.path("cmd").asText()) {
                    case "exec" -> exec(cmd, reply);
                    case "sub" -> subscribe(cmd);
                    case "unsub" -> unsubscribe(cmd);
                    case "rows" -> rows(cmd, reply);
                    case "status" -> status(reply);
                    case "dump" -> dump(cmd, reply);
                    case "online" -> end = Ending.ONLINE;
                    case "exit" -> end = Ending.EXIT;
                    default -> throw new IllegalArgumentException("unknown command " + cmd.path("cmd"));
                }
                reply.put("ok", true);
            } catch (StarlingException e) {
                reply.put("ok", false);
                reply.put("code", e.errorCode().code());
                reply.put("message", e.getMessage());
            } catch (RuntimeException e) {
                reply.put("ok", false);
                reply.put("code", "driver");
                java.io.StringWriter trace = new java.io.StringWriter();
                e.printStackTrace(new java.io.PrintWriter(trace));
                reply.put("message", trace.toString());
            }
            out.println(JSON.writeValueAsString(reply));
            if (end != null) return end;
        }
        return Ending.END_OF_INPUT;
    }

    private void exec(JsonNode cmd, ObjectNode reply) {
        Map<String, Object> args = toJava(cmd.path("args"));
        // the document whose stored states the answer carries, when the request names one (an EVICT's does not)
        JsonNode doc = cmd.path("doc");
        String collection = doc.path("collection").asText();
        byte[] id = doc.isMissingNode() ? null : IndexKeyCodec.encodeId(Value.fromJava(toJavaValue(doc.path("id"))));
        SyncStoreView.Row before = id == null ? null : db.syncStore().rowOf(collection, id);
        QueryResult result = db.store().execute(cmd.path("statement").asText(), args);
        // read right after the statement: when the row still carries the statement's sequence, nothing merged into
        // it in between and this is exactly the state the write left
        SyncStoreView.Row after = id == null ? null : db.syncStore().rowOf(collection, id);
        ArrayNode mutated = reply.putArray("mutated");
        for (Object o : result.mutatedDocumentIds()) mutated.add(JSON.valueToTree(o));
        reply.put("seq", result.commitSequence());
        reply.put("before", before == null ? null : B64.encodeToString(before.state()));
        reply.put("after", after == null ? null : B64.encodeToString(after.state()));
        reply.put("afterSeq", after == null ? 0 : after.sequence());
    }

    private static String key(JsonNode cmd) {
        return cmd.path("query").asText() + " " + cmd.path("args");
    }

    private void subscribe(JsonNode cmd) {
        String k = key(cmd);
        if (subscriptions.containsKey(k)) return;
        subscriptions.put(k, db.sync().registerSubscription(cmd.path("query").asText(), toJava(cmd.path("args"))));
    }

    private void unsubscribe(JsonNode cmd) {
        SyncSubscription s = subscriptions.remove(key(cmd));
        if (s != null) s.close();
    }

    private void rows(JsonNode cmd, ObjectNode reply) {
        String collection = cmd.path("collection").asText();
        ArrayNode states = reply.putArray("states");
        for (JsonNode id : cmd.path("ids")) {
            SyncStoreView.Row r =
                    db.syncStore().rowOf(collection, IndexKeyCodec.encodeId(Value.fromJava(toJavaValue(id))));
            states.add(r == null ? null : B64.encodeToString(r.state()));
        }
    }

    private void status(ObjectNode reply) {
        reply.put("lastSeq", db.defaultStore().lastSequence());
        ArrayNode peers = reply.putArray("peers");
        for (Sync.PeerStatus p : db.sync().peers()) {
            ObjectNode n = peers.addObject();
            n.put("peer", Long.toUnsignedString(p.peerId(), 16));
            n.put("connected", p.connected());
            n.put("acked", p.acknowledgedSequence());
        }
        Sync.Metrics m = db.sync().metrics();
        ObjectNode metrics = reply.putObject("metrics");
        metrics.put("messagesSent", m.messagesSent());
        metrics.put("messagesReceived", m.messagesReceived());
        metrics.put("documentsSent", m.documentsSent());
        metrics.put("documentsReceived", m.documentsReceived());
        metrics.put("documentsRefused", m.documentsRefused());
        metrics.put("connectionsRefused", m.connectionsRefused());
        metrics.put("bytesSent", m.bytesSent());
        metrics.put("bytesReceived", m.bytesReceived());
    }

    /**
     * Writes every row of the collections, the subscriptions and the last sequence to the file the command names (not
     * to stdout: the soak keeps every line a peer prints, and dumps are large and frequent while it waits for quiet).
     */
    private void dump(JsonNode cmd, ObjectNode reply) {
        ObjectNode out = JSON.createObjectNode();
        ArrayNode rows = out.putArray("rows");
        for (JsonNode c : cmd.path("collections")) {
            byte[] after = null;
            while (true) {
                List<SyncStoreView.Row> page = db.syncStore().scanCollection(c.asText(), after, 512);
                for (SyncStoreView.Row r : page) {
                    ObjectNode row = rows.addObject();
                    row.put("c", r.collection());
                    row.put("id", B64.encodeToString(r.id()));
                    row.put("state", B64.encodeToString(r.state()));
                }
                if (page.size() < 512) break;
                after = page.get(page.size() - 1).id();
            }
        }
        ArrayNode subs = out.putArray("subs");
        for (Subscription s : db.currentSubscriptions()) {
            ObjectNode n = subs.addObject();
            n.put("collection", s.collection());
            n.put("query", s.query());
            n.set("args", JSON.valueToTree(s.args().toJava()));
        }
        out.put("lastSeq", db.defaultStore().lastSequence());
        Path file = Path.of(cmd.path("file").asText());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            JSON.writeValue(tmp.toFile(), out);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the dump to " + file, e);
        }
        reply.put("file", file.toString());
    }

    @SuppressWarnings("unchecked") // a JSON object converts to a Map keyed by its field names (strings)
    private static Map<String, Object> toJava(JsonNode node) {
        if (node == null || node.isMissingNode() || node.isNull()) return Map.of();
        return (Map<String, Object>) JSON.convertValue(node, Map.class);
    }

    private static Object toJavaValue(JsonNode node) {
        return JSON.convertValue(node, Object.class);
    }
}
