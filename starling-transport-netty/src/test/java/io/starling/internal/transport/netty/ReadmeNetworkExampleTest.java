package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Identity;
import io.starling.Presence;
import io.starling.QueryResult;
import io.starling.Starling;
import io.starling.transport.SharedKeys;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The README's networking example, on loopback: two peers with a shared key, one listening, one dialing. */
class ReadmeNetworkExampleTest extends NetworkTestBase {

    @Test
    void readmeNetworkExampleWorks() {
        Path key = tmp.resolve("app.key");
        SharedKeys.generate(key);
        Starling server = peer(b ->
                b.appId("com.example.tasks").identity(Identity.sharedKey(key)).listen("127.0.0.1:0"));
        Starling db = peer(b -> b.appId("com.example.tasks")
                .identity(Identity.sharedKey(key))
                .connect(endpoint(server).host() + ":" + endpoint(server).port()));

        List<Presence.Graph> graphs = new CopyOnWriteArrayList<>();
        db.sync().registerSubscription("SELECT * FROM tasks WHERE done = false", Map.of());
        server.sync().registerSubscription("SELECT * FROM tasks WHERE done = false", Map.of());
        db.presence().observe(graphs::add);
        QueryResult r = db.store().execute("INSERT INTO tasks DOCUMENTS ({'_id': 't1', 'done': false})");

        long serverId = server.config().siteId().getAsLong();
        await("the write reached the server", () -> db.sync().hasReached(serverId, r.commitSequence()));
        assertThat(count(server, "tasks")).isEqualTo(1);
        // the graph itself, not the observer's last event: the session (and its presence) may be there before
        // observe() was called, and then no later change is owed to the observer
        await(
                "presence saw the server",
                () -> db.presence().graph().remotePeers().size() == 1);
        assertThat(graphs).allSatisfy(g -> assertThat(g.remotePeers()).hasSizeLessThanOrEqualTo(1));
        assertThat(db.presence().graph().connections())
                .singleElement()
                .satisfies(c -> assertThat(c.transport()).isEqualTo("tcp"));
    }
}
