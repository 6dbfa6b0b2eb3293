package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Attachments under online identities, over mutual TLS on 127.0.0.1 (docs/ATTACHMENTS.md, "Access"): a peer gives a
 * blob only to a peer that may read a document it holds that references it. The hub H may do everything and holds
 * alice's task with a photo and carol's task with a manual; alice (A1, and A2 behind A1) and bob (B) read and write
 * the tasks they own.
 */
class OnlineAttachmentAccessTest extends NetworkTestBase {
    private static final URI NO_AUTHORITY = URI.create("http://127.0.0.1:1");
    private static final Map<String, Object> OWN_TASKS =
            Map.of("everything", false, "queriesByCollection", Map.of("tasks", List.of("owner = :userId")));
    private static final Map<String, Object> EVERYTHING = Map.of("everything", true);

    private Authority authority;

    private Path device(String name, String userId, Map<String, Object> rules) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        KeyPair pair = DeviceCredentials.newKeyPair();
        Permissions permissions = Permissions.parse(Value.fromJava(Map.of("read", rules, "write", rules)));
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

    /** An online device that listens, connects to {@code to} if given, and subscribes to every task. */
    private Starling online(Path dir, @Nullable Starling to) {
        StarlingConfig.Builder b = StarlingConfig.builder()
                .appId(APP)
                .databaseDirectory(dir)
                .siteId(OnlineIdentityTest.peerIdOf(dir))
                .identity(Identity.online(
                        NO_AUTHORITY, "dev", "unused-token", tmp.resolve("auth").resolve(Authority.ANCHOR_FILE)))
                // a refused fetch fails after this long without a peer that gives it
                .attachments(new StarlingConfig.Attachments(4, Duration.ofSeconds(2), 0, Duration.ofHours(1)))
                .listen("tcp://127.0.0.1:0");
        if (to != null) b.connect(endpoint(to).toString());
        Starling s = open(b);
        s.sync().registerSubscription("SELECT * FROM tasks", Map.of());
        return s;
    }

    /** How a fetch ended: the content, or the error code and reason. */
    private static String fetch(Starling p, AttachmentToken t) throws Exception {
        CompletableFuture<String> end = new CompletableFuture<>();
        p.store().fetchAttachment(t, new AttachmentFetchListener() {
            @Override
            public void completed(Attachment attachment) {
                end.complete(new String(attachment.data(), StandardCharsets.UTF_8));
            }

            @Override
            public void failed(ErrorCode code, String reason) {
                end.complete(code.code() + ": " + reason);
            }
        });
        return end.get(60, TimeUnit.SECONDS);
    }

    private static boolean holdsTask(Starling p, String id) {
        return !p.store()
                .execute("SELECT _id FROM tasks WHERE _id = :id", Map.of("id", id))
                .items()
                .isEmpty();
    }

    @Test
    void aPeerGivesABlobOnlyToAPeerThatMayReadADocumentReferencingIt() throws Exception {
        authority = Authority.init(tmp.resolve("auth"), Instant.now());
        Starling h = online(device("h", "hub", EVERYTHING), null);
        Starling a1 = online(device("a1", "alice", OWN_TASKS), h);
        Starling a2 = online(device("a2", "alice", OWN_TASKS), a1);
        Starling b = online(device("b", "bob", OWN_TASKS), h);
        await("every device connected", () -> peers(h) == 2 && peers(a1) == 2 && peers(b) == 1);

        AttachmentToken photo = h.store().newAttachment("alice's photo".getBytes(StandardCharsets.UTF_8), Map.of());
        AttachmentToken manual = h.store().newAttachment("carol's manual".getBytes(StandardCharsets.UTF_8), Map.of());
        h.store()
                .execute(
                        "INSERT INTO tasks DOCUMENTS (:a), (:c)",
                        Map.of(
                                "a", Map.of("_id", "a-1", "owner", "alice", "photo", photo),
                                "c", Map.of("_id", "c-1", "owner", "carol", "photo", manual)));
        await("alice's task on both of her devices", () -> holdsTask(a1, "a-1") && holdsTask(a2, "a-1"));

        // alice may read a-1: A2 gets the photo through A1, which fetches it from H on A2's behalf with its own
        // permission (alice's) and never asked for it itself
        assertThat(fetch(a2, photo)).isEqualTo("alice's photo");
        assertThat(((io.starling.internal.engine.DefaultStarling) a1).attachmentRelays())
                .isEqualTo(1);

        // bob knows the photo's id but may read no task that references it: H answers LACK with the reason
        String refused = fetch(b, photo);
        assertThat(refused)
                .startsWith(ErrorCode.ATTACHMENT_UNAVAILABLE.code())
                .contains("permission denied: user 'bob' may read no document here that references attachment "
                        + photo.id());

        // nor may alice have carol's manual: A1 holds no task of carol's to justify it, so it refuses before relaying
        // anything, and H would refuse A1 too
        String notHers = fetch(a2, manual);
        assertThat(notHers).contains("permission denied: user 'alice'");
        assertThat(((io.starling.internal.engine.DefaultStarling) a1).attachmentRelays())
                .isEqualTo(1);
        assertThat(fetch(a1, manual)).contains("permission denied: user 'alice'");

        // the task becomes bob's: now H gives bob the photo
        h.store().execute("UPDATE tasks SET owner = 'bob' WHERE _id = 'a-1'");
        await("bob's new task", () -> holdsTask(b, "a-1"));
        assertThat(fetch(b, photo)).isEqualTo("alice's photo");
    }
}
