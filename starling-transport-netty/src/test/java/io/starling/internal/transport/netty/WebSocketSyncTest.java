package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.transport.SharedKeys;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A WebSocket client syncing with a WebSocket listener, in playground and in shared-key (TLS) mode. */
class WebSocketSyncTest extends NetworkTestBase {

    void syncOver(Identity identity) {
        Starling server = listener(identity, "ws");
        Endpoint ws = endpoint(server);
        assertThat(ws.scheme()).isEqualTo(Endpoint.Scheme.WS);
        assertThat(ws.path()).isEqualTo("/sync");
        Starling client = peer(c -> c.identity(identity).connect(ws.toString()));
        subscribe(server, "c");
        subscribe(client, "c");
        insert(server, "c", 0, 30);
        insert(client, "c", 100, 20);
        await("client has everything", () -> count(client, "c") == 50);
        await("server has everything", () -> count(server, "c") == 50);
        assertThat(server.sync().metrics().documentsReceived()).isGreaterThanOrEqualTo(20);
        assertThat(server.sync().metrics().bytesReceived()).isPositive();
        await(
                "wire bytes agree",
                () -> server.sync().metrics().bytesSent()
                                == client.sync().metrics().bytesReceived()
                        && client.sync().metrics().bytesSent()
                                == server.sync().metrics().bytesReceived());
    }

    @Test
    void playground() {
        syncOver(Identity.playground());
    }

    @Test
    void sharedKeyOverTls() {
        Path key = tmp.resolve("app.key");
        SharedKeys.generate(key);
        syncOver(Identity.sharedKey(key));
    }

    @Test
    void anotherPathIsNotFoundAndCountedAsRefused() throws Exception {
        Starling server = listener(Identity.playground(), "ws");
        Endpoint ws = endpoint(server);
        try (Socket s = new Socket("127.0.0.1", ws.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /other HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 404");
        }
        await("counted", () -> server.sync().metrics().connectionsRefused() == 1);
    }

    @Test
    void aClientDialingAWrongPathKeepsRetryingWithoutSyncing() {
        Starling server = listener(Identity.playground(), "ws");
        Endpoint wrong =
                new Endpoint(Endpoint.Scheme.WS, "127.0.0.1", endpoint(server).port(), "/elsewhere");
        Starling client = peer(c -> c.connect(wrong.toString()));
        await(
                "refused twice",
                () -> server.sync().metrics().connectionsRefused() >= 2
                        && client.sync().metrics().connectionsRefused() >= 2);
        assertThat(peers(server)).isZero();
    }

    @Test
    void anUpgradeThatNeverCompletesIsClosedAndCounted() throws Exception {
        Starling server = listener(Identity.playground(), "ws");
        try (Socket s = new Socket("127.0.0.1", endpoint(server).port())) {
            s.setSoTimeout(15_000);
            s.getOutputStream().write("GET /sync HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
        }
        await("counted", () -> server.sync().metrics().connectionsRefused() == 1);
    }

    @Test
    void aTlsHandshakeThatNeverStartsIsClosedAndCounted() throws Exception {
        Path key = tmp.resolve("app.key");
        SharedKeys.generate(key);
        Starling server = listener(Identity.sharedKey(key), "tcp");
        try (Socket s = new Socket("127.0.0.1", endpoint(server).port())) {
            s.setSoTimeout(15_000);
            assertThat(s.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
        }
        await("counted", () -> server.sync().metrics().connectionsRefused() == 1);
    }
}
