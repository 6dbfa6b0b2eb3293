package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Permissions enforced by every peer over real sockets with mutual TLS and device certificates of one authority: users
 * alice (two devices) and bob each read and write the {@code tasks} whose {@code owner} is themselves; a hub may do
 * everything; a viewer may read everything and write nothing. In the star A1 – H – B, H – A2, H – V (every device
 * subscribing to all of {@code tasks}): alice's and bob's tasks never reach each other, H relays A1's writes to A2, a
 * write bob makes to alice's task and every write of the viewer are refused at H, counted, and never reach anyone.
 */
class OnlinePermissionsTest extends NetworkTestBase {
    private static final URI NO_AUTHORITY = URI.create("http://127.0.0.1:1");
    private static final Map<String, Object> OWN_TASKS =
            Map.of("everything", false, "queriesByCollection", Map.of("tasks", List.of("owner = :userId")));
    private static final Map<String, Object> EVERYTHING = Map.of("everything", true);
    private static final Map<String, Object> NOTHING = Map.of("everything", false);

    private Authority authority;

    /** A device directory with a key and a certificate for {@code userId} with these read and write rules. */
    private Path device(String name, String userId, Map<String, Object> read, Map<String, Object> write)
            throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        KeyPair pair = DeviceCredentials.newKeyPair();
        Permissions permissions = Permissions.parse(Value.fromJava(Map.of("read", read, "write", write)));
        X509Certificate cert = authority.issue(
                pair.getPublic(),
                OnlineIdentityTest.peerIdOf(dir),
                userId,
                permissions,
                Value.Obj.EMPTY,
                Duration.ofHours(1),
                Instant.now());
        OnlineIdentityTest.writeCredentials(dir, pair.getPrivate(), cert);
        return dir;
    }

    private Starling online(Path dir, Starling hub) {
        StarlingConfig.Builder b = StarlingConfig.builder()
                .appId(APP)
                .databaseDirectory(dir)
                .siteId(OnlineIdentityTest.peerIdOf(dir))
                .identity(Identity.online(NO_AUTHORITY, "dev", "unused-token", anchor()));
        if (hub == null) b.listen("tcp://127.0.0.1:0");
        else b.connect(endpoint(hub).toString());
        Starling s = open(b);
        s.sync().registerSubscription("SELECT * FROM tasks", Map.of());
        return s;
    }

    private Path anchor() {
        return tmp.resolve("auth").resolve(Authority.ANCHOR_FILE);
    }

    private static void task(Starling p, String id, String owner, String title) {
        p.store()
                .execute(
                        "INSERT INTO tasks DOCUMENTS (:t) ON ID CONFLICT DO UPDATE",
                        Map.of("t", Map.of("_id", id, "owner", owner, "title", title)));
    }

    private static Set<String> ids(Starling p) {
        Set<String> ids = new TreeSet<>();
        for (var item : p.store().execute("SELECT _id FROM tasks").items()) {
            ids.add(String.valueOf(item.value().get("_id")));
        }
        return ids;
    }

    private static String title(Starling p, String id) {
        var items = p.store()
                .execute("SELECT title FROM tasks WHERE _id = :id", Map.of("id", id))
                .items();
        return items.isEmpty() ? null : String.valueOf(items.get(0).value().get("title"));
    }

    @Test
    void everyPeerSendsOnlyWhatTheRemoteMayReadAndAppliesOnlyWhatItMayWrite() throws IOException {
        authority = Authority.init(tmp.resolve("auth"), Instant.now());
        Starling h = online(device("h", "hub", EVERYTHING, EVERYTHING), null);
        Starling a1 = online(device("a1", "alice", OWN_TASKS, OWN_TASKS), h);
        Starling a2 = online(device("a2", "alice", OWN_TASKS, OWN_TASKS), h);
        Starling b = online(device("b", "bob", OWN_TASKS, OWN_TASKS), h);
        Starling v = online(device("v", "viewer", EVERYTHING, NOTHING), h);
        await("every device connected to the hub", () -> peers(h) == 4);

        task(a1, "a-1", "alice", "alice's first");
        task(a1, "a-2", "alice", "alice's second");
        task(b, "b-1", "bob", "bob's");
        task(h, "h-1", "carol", "the hub's, nobody's own");

        await("the hub holds every permitted write", () -> ids(h).equals(Set.of("a-1", "a-2", "b-1", "h-1")));
        await("the hub relays A1's writes to A2", () -> ids(a2).equals(Set.of("a-1", "a-2")));
        await("the viewer reads everything", () -> ids(v).equals(Set.of("a-1", "a-2", "b-1", "h-1")));
        await("bob gets his own only", () -> ids(b).equals(Set.of("b-1")));

        // bob writes alice's task (a local write is not checked) and the viewer writes one of its own
        task(b, "a-1", "alice", "written by bob");
        task(v, "v-1", "viewer", "written by the viewer");
        await("the hub refuses both, and counts them", () -> h.sync().metrics().writesDenied() >= 2);
        holds(
                "the refused writes reach nobody, and alice's tasks never reach bob nor bob's alice",
                500,
                () -> "alice's first".equals(title(h, "a-1"))
                        && "alice's first".equals(title(a1, "a-1"))
                        && "alice's first".equals(title(a2, "a-1"))
                        && !ids(h).contains("v-1")
                        && !ids(a1).contains("v-1")
                        && ids(a1).equals(Set.of("a-1", "a-2"))
                        && ids(a2).equals(Set.of("a-1", "a-2"))
                        && ids(b).equals(Set.of("a-1", "b-1")) // its own write stays with it
                        && "written by bob".equals(title(b, "a-1")));
        assertThat(h.sync().peers()).as("the hub reports the denials per peer").anyMatch(p -> p.writesDenied() > 0);

        // alice's later write still reaches A2 through the hub: sync of everything else goes on
        task(a1, "a-3", "alice", "alice's third");
        await("A2 gets it", () -> ids(a2).contains("a-3"));
        assertThat(ids(b)).doesNotContain("a-3");
    }
}
