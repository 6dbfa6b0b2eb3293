package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Starling;
import io.starling.StarlingConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests are refused on their head, before the body is read: a client announcing a 16 MiB body gets its 401, 404
 * or 413 after sending only the head and a little of the body, and nothing of the body is aggregated.
 */
class HttpApiHeadCheckTest {
    private static final int SIXTEEN_MIB = 16 * 1024 * 1024;

    @TempDir
    Path dir;

    private Starling db;
    private HttpApiServer server;

    @BeforeEach
    void open() throws Exception {
        db = Starling.open(
                StarlingConfig.builder().databaseDirectory(dir.resolve("db")).build());
        server = HttpApiServer.start(
                db,
                new InetSocketAddress("127.0.0.1", 0),
                HttpApiServer.Settings.defaults().withToken("s3cret"));
    }

    @AfterEach
    void close() {
        server.close();
        db.close();
    }

    private RawHttp.Answer announce(String head, int bodyBytesSent) throws Exception {
        try (RawHttp http = new RawHttp(server.address().getPort())) {
            http.send(head + "\r\n").send(new byte[bodyBytesSent]);
            // the rest of the body is never sent: an answer now proves the server did not wait to read it
            RawHttp.Answer answer = http.read();
            assertThat(answer.header("connection")).isEqualTo("close");
            assertThat(http.closedByServer()).isTrue();
            return answer;
        }
    }

    @Test
    void anUnauthenticated16MiBBodyIsRefusedBeforeItIsRead() throws Exception {
        RawHttp.Answer a = announce(
                "POST /api/v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + SIXTEEN_MIB + "\r\n",
                1024);
        assertThat(a.status()).isEqualTo(401);
        assertThat(a.body()).contains("http/unauthorized");
        assertThat(a.header("www-authenticate")).isEqualTo("Bearer realm=\"starling\"");
    }

    @Test
    void aWrongPathMethodOrContentTypeIsRefusedBeforeTheBody() throws Exception {
        String auth = "Host: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\nContent-Length: " + SIXTEEN_MIB + "\r\n";
        assertThat(announce("POST /api/v1/nothing HTTP/1.1\r\n" + auth, 10).status())
                .isEqualTo(404);
        assertThat(announce("PUT /api/v1/execute HTTP/1.1\r\n" + auth, 10).status())
                .isEqualTo(405);
        assertThat(announce("POST /api/v1/execute HTTP/1.1\r\nContent-Type: text/plain\r\n" + auth, 10)
                        .status())
                .isEqualTo(415);
    }

    @Test
    void eachPathHasItsOwnBodyLimit() throws Exception {
        RawHttp.Answer presence = announce(
                "GET /api/v1/presence HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
                        + "Content-Length: 10\r\n",
                0);
        assertThat(presence.status()).isEqualTo(413);
        assertThat(presence.body()).contains("takes no request body");

        // a chunked body is counted as it arrives
        try (RawHttp http = new RawHttp(server.address().getPort())) {
            http.send("GET /api/v1/presence HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            RawHttp.Answer chunked = http.read();
            assertThat(chunked.status()).isEqualTo(413);
            assertThat(http.closedByServer()).isTrue();
        }
    }

    @Test
    void anAcceptedRequestStillWorksOnTheSameServer() throws Exception {
        try (RawHttp http = new RawHttp(server.address().getPort())) {
            String body = "{\"statement\": \"SELECT * FROM c\"}";
            http.send("POST /api/v1/execute HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            RawHttp.Answer a = http.read();
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[]}");
        }
    }
}
