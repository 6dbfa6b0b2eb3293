package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import io.starling.testsupport.Await;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The permission scenario of the online identity mode with every peer a real {@code starling peer} in a JVM of its
 * own, over mutual TLS on 127.0.0.1. An authority ({@code starling authority init}, then a peer with {@code
 * --auth-config} and a static provider) logs in alice on two devices A1 and A2, bob on B (each reads and writes the
 * {@code tasks} whose {@code owner} is themselves), a hub H (reads and writes everything) and a viewer V (reads
 * everything, writes nothing). The devices connect with static addresses: A1 – H – B, H – A2, H – V (the line), plus
 * two direct links, B – A2 and V – A1, so that a refusal is shown at a peer next to the writer as well as through H.
 * Every device subscribes to all of {@code tasks} ({@code SELECT * FROM tasks}).
 *
 * <ul>
 *   <li>alice's and bob's tasks never reach the other, directly (B – A2) or through H, and H relays A1's writes to A2;
 *   <li>bob's write to alice's task is refused at H and at A2, counted per peer in their {@code /api/v1/sync}, and
 *       never reaches alice; the viewer's writes are refused by every peer it reaches (H, A1);
 *   <li>a peer of another authority (that authority's own peer, with the certificate it issued itself) is refused in
 *       the TLS handshake, and both sides log why;
 *   <li>a device whose certificate expired, restarted without a way to renew it, does not sync and says so; a
 *       certificate expired beyond the skew tolerance, presented by a misbehaving client, is refused by H in the
 *       handshake (H logs and counts it, the client gets no byte);
 *   <li>bob revoked with {@code starling authority revoke}: the list reaches H only through a third peer R (a hub
 *       device started then, dialling the authority and H); H and A2 cut B off, B learns it is revoked, and nothing
 *       crosses between B and the others afterwards.
 * </ul>
 *
 * <p>The processes are started once for the class (the authority, then in waves, each dialling the listeners of the
 * one before: H; A1 and A2; B and V) and shared by its tests, each of which uses document ids of its own. One to three
 * minutes on a loaded 2-core machine, nearly all of it JVM start-up (the tests themselves take seconds).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OnlinePeersProcessTest {
    private static final Duration SYNC = Duration.ofSeconds(90);
    private static final String TASKS = "SELECT * FROM tasks";
    private static final String OWN =
            "{\"everything\": false, \"queriesByCollection\": {\"tasks\": [\"owner = :userId\"]}}";
    private static final String ALL = "{\"everything\": true}";
    private static final String NONE = "{\"everything\": false}";
    /** The expired device's certificate lives this long, renewed at two thirds while it runs. */
    private static final int SHORT_LIFE_SECONDS = 4;

    @TempDir
    static Path dir;

    private final List<PeerProcess> running = new ArrayList<>();
    private Path auth;
    private Path anchor;
    private PeerProcess authority, h, a1, a2, b, v, other;

    @BeforeAll
    void startEveryProcess() throws Exception {
        auth = dir.resolve("auth");
        assertThat(cli().run("authority", "init", auth.toString()).exitCode()).isZero();
        anchor = auth.resolve(Authority.ANCHOR_FILE);
        Path config = dir.resolve("auth.json");
        Files.writeString(
                config,
                "{\"authority\": \"auth\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + token("tok-alice", "alice", OWN, OWN, 3600) + ", "
                        + token("tok-bob", "bob", OWN, OWN, 3600) + ", "
                        + token("tok-hub", "hub", ALL, ALL, 3600) + ", "
                        + token("tok-viewer", "viewer", ALL, NONE, 3600) + ", "
                        + token("tok-eve", "eve", OWN, OWN, SHORT_LIFE_SECONDS) + "}}}}");
        Path other = dir.resolve("other-auth");
        assertThat(cli().run("authority", "init", other.toString()).exitCode()).isZero();
        Path otherConfig = dir.resolve("other-auth.json");
        Files.writeString(
                otherConfig,
                "{\"authority\": \"other-auth\", \"providers\": {\"dev\": {\"type\": \"static\", \"tokens\": {"
                        + token("tok-mallory", "mallory", ALL, ALL, 3600) + "}}}}");

        ExecutorService starter = Executors.newFixedThreadPool(4);
        try {
            // the authority listens for sync too; nobody dials it until the revocation test
            authority = peer("authority", "--auth-config", config.toString(), "--listen", "127.0.0.1:0");
            // then in waves, each dialling the listeners of the one before: H; A1, A2 and the other authority's
            // peer; B and V. Eve logs in meanwhile and stops: her certificate expires a few seconds later, with
            // nobody to renew it
            Future<Integer> fe = starter.submit(() -> device("e", "tok-eve").stop());
            h = device("h", "tok-hub", "--listen", "127.0.0.1:0");
            Future<PeerProcess> fa1 = starter.submit(
                    () -> device("a1", "tok-alice", "--listen", "127.0.0.1:0", "--connect", h.syncEndpoint()));
            Future<PeerProcess> fa2 = starter.submit(
                    () -> device("a2", "tok-alice", "--listen", "127.0.0.1:0", "--connect", h.syncEndpoint()));
            // a peer of another authority: the authority itself, with the certificate it issues itself
            Future<PeerProcess> fo = starter.submit(() -> peer(
                    "other",
                    "--auth-config",
                    otherConfig.toString(),
                    "--connect",
                    h.syncEndpoint(),
                    "--subscribe",
                    TASKS));
            a1 = fa1.get();
            a2 = fa2.get();
            Future<PeerProcess> fb = starter.submit(
                    () -> device("b", "tok-bob", "--connect", h.syncEndpoint(), "--connect", a2.syncEndpoint()));
            Future<PeerProcess> fv = starter.submit(
                    () -> device("v", "tok-viewer", "--connect", h.syncEndpoint(), "--connect", a1.syncEndpoint()));
            b = fb.get();
            v = fv.get();
            this.other = fo.get();
            assertThat(fe.get()).as("eve stopped cleanly").isEqualTo(143);
        } finally {
            starter.shutdownNow();
        }
        // every device's sessions: A1 with H and V, A2 with H and B, H with the four devices
        for (var p : List.of(Map.entry("H", h), Map.entry("A1", a1), Map.entry("A2", a2))) {
            int expected = p.getKey().equals("H") ? 4 : 2;
            Await.until(
                    p.getKey() + " connected to its " + expected + " neighbours",
                    SYNC,
                    () -> connected(p.getValue()) == expected,
                    () -> connected(p.getValue()));
        }
    }

    /** How many connected peers a peer's {@code /api/v1/sync} lists. */
    private static long connected(PeerProcess p) {
        try {
            long n = 0;
            for (JsonNode peer : p.get(StatusEndpoints.SYNC).get("peers"))
                if (peer.get("connected").asBoolean()) n++;
            return n;
        } catch (Exception e) {
            return -1;
        }
    }

    @AfterAll
    void stopEveryProcess() {
        for (PeerProcess p : running) p.close();
    }

    private static String token(String token, String userId, String read, String write, int seconds) {
        return "\"" + token + "\": {\"userId\": \"" + userId + "\", \"expirationSeconds\": " + seconds
                + ", \"permissions\": {\"read\": " + read + ", \"write\": " + write + "}}";
    }

    private PeerProcess peer(String name, String... args) throws IOException {
        PeerProcess p = PeerProcess.start(dir, name, args);
        synchronized (running) {
            running.add(p);
        }
        return p;
    }

    /** A device logged in at the authority with {@code token}, subscribing to all of {@code tasks}. */
    private PeerProcess device(String name, String token, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(
                "--subscribe",
                TASKS,
                "--login",
                authority.url(),
                "--provider",
                "dev",
                "--token",
                token,
                "--trust",
                anchor.toString()));
        return peer(name, all.toArray(String[]::new));
    }

    // ---- reading the peers

    /** The ids of the tasks a peer holds that start with {@code prefix}. */
    private static Set<String> ids(PeerProcess p, String prefix) {
        try {
            Set<String> ids = new TreeSet<>();
            for (JsonNode item : p.query("SELECT _id FROM tasks")) {
                String id = item.get("_id").asText();
                if (id.startsWith(prefix)) ids.add(id);
            }
            return ids;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String title(PeerProcess p, String id) throws Exception {
        JsonNode items = p.query("SELECT title FROM tasks WHERE _id = '" + id + "'");
        return items.isEmpty() ? null : items.get(0).get("title").asText();
    }

    private static void awaitIds(PeerProcess p, String who, String prefix, Set<String> expected) {
        AtomicReference<Set<String>> last = new AtomicReference<>();
        Await.until(
                who + " to hold exactly " + expected,
                SYNC,
                () -> {
                    last.set(ids(p, prefix));
                    return last.get().equals(expected);
                },
                () -> "it holds " + last.get());
    }

    private static String localId(PeerProcess p) throws Exception {
        return p.get(StatusEndpoints.SYNC).get("local").asText();
    }

    /** {@code field} of {@code at}'s status of its session with {@code remote} ({@code /api/v1/sync}), 0 if none. */
    private static long peerCount(PeerProcess at, PeerProcess remote, String field) {
        try {
            String id = localId(remote);
            for (JsonNode p : at.get(StatusEndpoints.SYNC).get("peers")) {
                if (p.get("peerId").asText().equals(id)) return p.get(field).asLong();
            }
            return 0;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void awaitCount(PeerProcess at, String atName, PeerProcess remote, String remoteName, String field) {
        Await.until(
                atName + " to count " + field + " from " + remoteName + " in its /api/v1/sync",
                SYNC,
                () -> peerCount(at, remote, field) > 0,
                () -> {
                    try {
                        return at.get(StatusEndpoints.SYNC);
                    } catch (Exception e) {
                        return e;
                    }
                });
    }

    private static void awaitStderr(PeerProcess p, String who, String... fragments) {
        Await.until(
                who + " to log a line with " + List.of(fragments),
                SYNC,
                () -> p.stderr()
                        .lines()
                        .anyMatch(l -> List.of(fragments).stream().allMatch(l::contains)),
                p::stderr);
    }

    private static void task(PeerProcess p, String id, String owner, String title) throws Exception {
        var r = p.post(
                "INSERT INTO tasks DOCUMENTS (:t) ON ID CONFLICT DO UPDATE",
                Map.of("t", Map.of("_id", id, "owner", owner, "title", title)));
        assertThat(r.statusCode()).as("insert " + id + ": " + r.body()).isEqualTo(200);
    }

    // ---- the scenario

    @Test
    @Order(1)
    void alicesAndBobsTasksNeverReachTheOtherAndTheHubRelaysAlicesWritesToHerOtherDevice() throws Exception {
        task(a1, "r-a1", "alice", "alice's first");
        task(a1, "r-a2", "alice", "alice's second");
        task(b, "r-b1", "bob", "bob's");
        task(h, "r-h1", "carol", "the hub's, nobody's own");

        awaitIds(h, "H", "r-", Set.of("r-a1", "r-a2", "r-b1", "r-h1"));
        awaitIds(v, "V, who may read everything", "r-", Set.of("r-a1", "r-a2", "r-b1", "r-h1"));
        // A2's links are H and B, and B never holds alice's tasks: they came through H
        awaitIds(a2, "A2", "r-", Set.of("r-a1", "r-a2"));
        // a later write of bob's reaches the hub: everything sent before it on the way to B has arrived there too
        task(b, "r-b2", "bob", "bob's second");
        awaitIds(h, "H", "r-", Set.of("r-a1", "r-a2", "r-b1", "r-b2", "r-h1"));
        task(a1, "r-a3", "alice", "alice's third");
        awaitIds(a2, "A2", "r-", Set.of("r-a1", "r-a2", "r-a3"));

        // every device subscribes to all of tasks, and gets only what its user may read
        assertThat(ids(b, "r-")).as("bob's device").isEqualTo(Set.of("r-b1", "r-b2"));
        assertThat(ids(a1, "r-")).as("alice's first device").isEqualTo(Set.of("r-a1", "r-a2", "r-a3"));
        assertThat(ids(a2, "r-")).as("alice's second device").isEqualTo(Set.of("r-a1", "r-a2", "r-a3"));
        // and that is the senders' filtering, not an accident of timing: H and A2 withheld documents from B
        assertThat(peerCount(h, b, "documentsWithheld")).as("H withheld from B").isPositive();
        assertThat(peerCount(h, a1, "documentsWithheld"))
                .as("H withheld from A1")
                .isPositive();
        assertThat(peerCount(b, a2, "documentsWithheld") + peerCount(a2, b, "documentsWithheld"))
                .as("B and A2 withheld from each other on their direct link")
                .isPositive();
    }

    @Test
    @Order(2)
    void writesARemoteMayNotMakeAreRefusedCountedAndReachNobody() throws Exception {
        task(a1, "w-1", "alice", "alice's");
        awaitIds(a2, "A2", "w-", Set.of("w-1"));
        awaitIds(v, "V", "w-", Set.of("w-1"));
        awaitIds(h, "H", "w-", Set.of("w-1"));

        // bob writes alice's task on his device (a local write is not checked), which B sends to H and to A2 (alice
        // may read it); the viewer changes it and inserts a task of its own, which V sends to H and, alice's task
        // only, to A1
        task(b, "w-1", "alice", "written by bob");
        v.execute("UPDATE tasks SET title = 'written by the viewer' WHERE _id = 'w-1'");
        task(v, "w-v", "viewer", "the viewer's own");

        awaitCount(h, "H", b, "B", "writesDenied");
        awaitCount(a2, "A2", b, "B", "writesDenied");
        awaitCount(h, "H", v, "V", "writesDenied");
        awaitCount(a1, "A1", v, "V", "writesDenied");
        Await.until(
                "H to count both of the viewer's writes as denied",
                SYNC,
                () -> peerCount(h, v, "writesDenied") >= 2,
                () -> peerCount(h, v, "writesDenied"));
        assertThat(h.metric("starling_sync_writes_denied_total")).isGreaterThanOrEqualTo(3);

        // a refused change is dropped for good (not retried, never relayed); alice's next write still flows
        task(a1, "w-2", "alice", "alice's second");
        awaitIds(a2, "A2", "w-", Set.of("w-1", "w-2"));
        awaitIds(h, "H", "w-", Set.of("w-1", "w-2"));
        awaitIds(v, "V", "w-", Set.of("w-1", "w-2", "w-v"));
        for (var p : List.of(Map.entry("A1", a1), Map.entry("A2", a2), Map.entry("H", h))) {
            assertThat(title(p.getValue(), "w-1"))
                    .as("alice's task at " + p.getKey())
                    .isEqualTo("alice's");
            assertThat(ids(p.getValue(), "w-v"))
                    .as("the viewer's task at " + p.getKey())
                    .isEmpty();
        }
        assertThat(title(b, "w-1")).as("bob's own write stays with him").isEqualTo("written by bob");
        assertThat(ids(b, "w-")).as("bob's device").isEqualTo(Set.of("w-1"));
        assertThat(title(v, "w-1")).as("the viewer's own write stays with it").isEqualTo("written by the viewer");
        // the refusals are logged where they happen, naming the user and a change
        String denied = "change(s) its write permission does not allow, such as tasks/";
        awaitStderr(h, "H", "refused (writes from ", "(user 'bob')", denied);
        awaitStderr(h, "H", "refused (writes from ", "(user 'viewer')", denied);
        awaitStderr(a2, "A2", "refused (writes from ", "(user 'bob')", denied);
        awaitStderr(a1, "A1", "refused (writes from ", "(user 'viewer')", denied);
    }

    @Test
    @Order(3)
    void aPeerOfAnotherAuthorityIsRefusedInTheHandshakeAndBothSidesSayWhy() throws Exception {
        task(other, "x-1", "mallory", "from elsewhere");
        task(h, "x-2", "hub", "the hub's");
        // TLS 1.3: the dialler verifies the listener's certificate first
        awaitStderr(other, "the other authority's peer", "cannot sync with", "auth/certificate-other-authority");
        awaitStderr(h, "H", "refused a connection from", "refused this peer's certificate");
        Await.until("H to count a refused connection", SYNC, () -> {
            try {
                return h.get(StatusEndpoints.METRICS).get("connectionsRefused").asLong() > 0;
            } catch (Exception e) {
                return false;
            }
        });
        // the marker reached V through H; nothing crossed between H and the other authority's peer
        awaitIds(v, "V", "x-", Set.of("x-2"));
        assertThat(ids(h, "x-")).isEqualTo(Set.of("x-2"));
        assertThat(ids(other, "x-")).isEqualTo(Set.of("x-1"));
        assertThat(peerCount(h, other, "documentsReceived")).isZero();
        assertThat(other.get(StatusEndpoints.SYNC).get("peers")).isEmpty();
    }

    @Test
    @Order(4)
    void anExpiredCertificateIsRefused() throws Exception {
        // eve's device: its certificate (issued for a few seconds, renewed while it ran) is left to expire
        X509Certificate stored;
        try (InputStream in = Files.newInputStream(dir.resolve("e").resolve(DeviceCredentials.CERTIFICATE_FILE))) {
            stored = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        Instant expiry = stored.getNotAfter().toInstant();
        Await.until(
                "eve's certificate to expire (at " + expiry + ")",
                Duration.ofSeconds(SHORT_LIFE_SECONDS + 30),
                () -> Instant.now().isAfter(expiry.plusSeconds(1)));
        // restarted with nowhere to renew it (nothing listens at port 1), connecting to H
        PeerProcess e = peer(
                "e",
                "--connect",
                h.syncEndpoint(),
                "--subscribe",
                TASKS,
                "--login",
                "http://127.0.0.1:1",
                "--provider",
                "dev",
                "--token",
                "tok-eve",
                "--trust",
                anchor.toString());
        assertThat(e.stderr()).contains("identity: online, NOT SYNCING: the certificate expired at ");
        task(e, "e-1", "eve", "written after expiry");
        awaitStderr(e, "eve's device", "cannot sync with " + h.syncEndpoint(), "no valid device certificate");
        task(h, "e-2", "hub", "the hub's");
        awaitIds(v, "V", "e-", Set.of("e-2"));
        assertThat(ids(h, "e-")).as("H").isEqualTo(Set.of("e-2"));
        assertThat(ids(e, "e-")).as("eve's device").isEqualTo(Set.of("e-1"));
        assertThat(e.get(StatusEndpoints.SYNC).get("peers"))
                .as("eve's sessions")
                .isEmpty();
        assertThat(peerCount(h, e, "documentsReceived")).isZero();

        // a client that does present a certificate expired beyond the skew tolerance is refused by H in the handshake
        long refusedBefore =
                h.get(StatusEndpoints.METRICS).get("connectionsRefused").asLong();
        KeyPair pair = DeviceCredentials.newKeyPair();
        X509Certificate expired = Authority.load(auth)
                .issue(
                        pair.getPublic(),
                        0x6d616c6cL,
                        "mallory",
                        Permissions.everything(),
                        Value.Obj.EMPTY,
                        Duration.ofHours(1),
                        Instant.now().minus(Duration.ofHours(2)));
        String clientSaw = presentOnce(h.syncEndpoint(), pair, expired);
        awaitStderr(h, "H", "refused a connection from", "auth/certificate-expired");
        Await.until("H to count the refused connection", SYNC, () -> {
            try {
                return h.get(StatusEndpoints.METRICS).get("connectionsRefused").asLong() > refusedBefore;
            } catch (Exception ex) {
                return false;
            }
        });
        assertThat(clientSaw).as("what the client read").doesNotStartWith("data");
    }

    @Test
    @Order(5)
    void revokingBobCutsHimOffAtPeersThatLearnOfItThroughAThirdPeer() throws Exception {
        task(b, "rv-before", "bob", "written before the revocation");
        awaitIds(h, "H", "rv-", Set.of("rv-before"));

        assertThat(cli().run("authority", "revoke", auth.toString(), "--user", "bob")
                        .exitCode())
                .isZero();
        awaitStderr(authority, "the authority", "revocation list 1", "adopted");
        // H never dials the authority: the list reaches it through R, a hub device that dials both
        PeerProcess r = device("r", "tok-hub", "--connect", authority.syncEndpoint(), "--connect", h.syncEndpoint());
        awaitStderr(r, "R", "revocation list 1", "adopted");
        awaitStderr(h, "H", "revocation list 1", "adopted");
        awaitStderr(h, "H", "closed here (revoked)");
        awaitStderr(a2, "A2", "revocation list 1", "adopted");
        awaitStderr(b, "B", "revoked by the app's authority");

        // nothing crosses between B and the others any more, in either direction
        task(b, "rv-b", "bob", "bob's, after the revocation");
        task(h, "rv-h", "bob", "the hub's task for bob, after the revocation");
        awaitIds(v, "V", "rv-", Set.of("rv-before", "rv-h"));
        assertThat(ids(h, "rv-")).as("H").isEqualTo(Set.of("rv-before", "rv-h"));
        assertThat(ids(b, "rv-")).as("B").isEqualTo(Set.of("rv-before", "rv-b"));
        assertThat(b.get(StatusEndpoints.SYNC).get("peers"))
                .as("B's sessions")
                .allSatisfy(
                        peer -> assertThat(peer.get("connected").asBoolean()).isFalse());
    }

    /**
     * Opens a TLS 1.3 connection to {@code endpoint} presenting {@code cert} (trusting whatever the server shows, as a
     * misbehaving client would), and says what it read: the exception that ended it, or end of file. Never data: a
     * refused client gets no byte of the protocol.
     */
    private static String presentOnce(String endpoint, KeyPair pair, X509Certificate cert) throws Exception {
        URI uri = URI.create(endpoint);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        char[] password = "unused".toCharArray();
        keys.setKeyEntry("device", pair.getPrivate(), password, new Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(kmf.getKeyManagers(), new TrustManager[] {trustAll}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(30_000);
            socket.setEnabledProtocols(new String[] {"TLSv1.3"});
            socket.startHandshake();
            int first = socket.getInputStream().read();
            return first < 0 ? "end of file" : "data: " + first;
        } catch (IOException e) {
            return e.toString();
        }
    }
}
