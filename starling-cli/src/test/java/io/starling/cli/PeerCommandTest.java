package io.starling.cli;

import static io.starling.cli.CliRunner.cli;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.cli.CliRunner.Background;
import io.starling.cli.CliRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling peer} in-process (stopped by its {@link StopSignal}, as SIGTERM would) with {@code exec --url}
 * against it, and every mistake in its flags: exit status 2, one clear line, no stack trace, nothing opened.
 */
class PeerCommandTest {
    @TempDir
    Path dir;

    private String db() {
        return dir.resolve("db").toString();
    }

    private Background peer(String... extra) {
        String[] args = new String[extra.length + 5];
        args[0] = "peer";
        args[1] = "--db";
        args[2] = db();
        args[3] = "--http";
        args[4] = "127.0.0.1:0";
        System.arraycopy(extra, 0, args, 5, extra.length);
        Background peer = cli().start(args);
        peer.await("ready", () -> peer.err().contains("\nready; stop with Ctrl-C or SIGTERM\n"));
        return peer;
    }

    private static String url(Background peer) {
        return peer.awaitErrLine("http listening on ");
    }

    @Test
    void printsWhatItIsAndStopsCleanly() throws Exception {
        Background peer = peer("--subscribe", "SELECT * FROM tasks");
        assertThat(peer.err())
                .matches("(?s)peer [0-9a-f]{16} \\(app default, database .*db\\)\n"
                        + "subscribed to SELECT \\* FROM tasks\n"
                        + "http listening on http://127\\.0\\.0\\.1:\\d+\n"
                        + "ready; stop with Ctrl-C or SIGTERM\n");
        Result stopped = peer.stop();
        assertThat(stopped.exitCode()).isZero();
        assertThat(stopped.err()).endsWith("ready; stop with Ctrl-C or SIGTERM\nstopping\nstopped\n");
        assertThat(stopped.out()).isEmpty();
        // the database was closed: another instance can open it
        assertThat(cli().run("exec", "--db", db(), "SELECT * FROM tasks").exitCode())
                .isZero();
    }

    @Test
    void execThroughTheHttpApiPrintsWhatExecOnTheDatabaseWould() throws Exception {
        try (Background peer = peer()) {
            String url = url(peer);
            Result insert = cli().run(
                            "exec",
                            "--url",
                            url,
                            "INSERT INTO cars DOCUMENTS ({'_id': 'a', 'make': 'Ford', 'year': 1999}), ({'_id': 'b', 'make': 'VW'})");
            assertThat(insert.err()).isEmpty();
            assertThat(insert.exitCode()).isZero();
            assertThat(insert.out()).isEqualTo("{\"items\":[],\"mutatedDocumentIds\":[\"a\",\"b\"]}\n");

            Result json = cli().run(
                            "exec",
                            "--url",
                            url + "/",
                            "--args",
                            "{\"y\": 1990}",
                            "SELECT * FROM cars WHERE year > :y");
            assertThat(json.out())
                    .isEqualTo(
                            "{\"items\":[{\"_id\":\"a\",\"make\":\"Ford\",\"year\":1999}],\"mutatedDocumentIds\":[]}\n");

            assertThat(cli().run("exec", "--url", url, "--format", "jsonl", "SELECT _id, make FROM cars ORDER BY _id")
                            .out())
                    .isEqualTo("{\"_id\":\"a\",\"make\":\"Ford\"}\n{\"_id\":\"b\",\"make\":\"VW\"}\n");
            assertThat(cli().run("exec", "--url", url, "--format", "table", "SELECT * FROM cars ORDER BY _id")
                            .out())
                    .isEqualTo("""
                            _id | make | year
                            ----+------+-----
                            a   | Ford | 1999
                            b   | VW   |
                            (2 rows)
                            """);
            assertThat(cli().run("exec", "--url", url, "--format", "table", "DELETE FROM cars WHERE _id = 'b'")
                            .out())
                    .isEqualTo("1 document mutated\n  b\n");
        }
    }

    @Test
    void execThroughTheHttpApiHasTheSameExitStatuses() throws Exception {
        try (Background peer = peer()) {
            String url = url(peer);
            Result syntax = cli().run("exec", "--url", url, "SELECT * FORM cars");
            assertThat(syntax.exitCode()).isEqualTo(2);
            assertThat(syntax.out()).isEmpty();
            assertThat(syntax.err())
                    .isEqualTo("error: query/syntax-error: line 1, column 10: expected FROM but found 'FORM'\n");

            assertThat(cli().run("exec", "--url", url, "INSERT INTO cars DOCUMENTS ({'_id': 'a'})")
                            .exitCode())
                    .isZero();
            Result conflict = cli().run("exec", "--url", url, "INSERT INTO cars DOCUMENTS ({'_id': 'a'})");
            assertThat(conflict.exitCode()).isEqualTo(1);
            assertThat(conflict.err()).startsWith("error: document/id-conflict: ");
        }
    }

    @Test
    void theTokenIsRequiredAndCanComeFromTheEnvironment() throws Exception {
        try (Background peer = peer("--http-token", "s3cret")) {
            String url = url(peer);
            assertThat(peer.err()).contains("http requires 'Authorization: Bearer <token>'");
            Result none = cli().run("exec", "--url", url, "SELECT * FROM c");
            assertThat(none.exitCode()).isEqualTo(2);
            assertThat(none.err()).startsWith("error: http/unauthorized: ");
            assertThat(cli().run("exec", "--url", url, "--token", "wrong", "SELECT * FROM c")
                            .exitCode())
                    .isEqualTo(2);
            Result right = cli().run("exec", "--url", url, "--token", "s3cret", "SELECT * FROM c");
            assertThat(right.err()).isEmpty();
            assertThat(right.exitCode()).isZero();
            assertThat(cli().env("STARLING_HTTP_TOKEN", "s3cret")
                            .run("exec", "--url", url, "SELECT * FROM c")
                            .exitCode())
                    .isZero();
        }
    }

    @Test
    void anUnreachablePeerIsAnIoError() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        Result r = cli().run("exec", "--url", "http://127.0.0.1:" + port, "SELECT * FROM c");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err())
                .isEqualTo("error: io: cannot reach the peer at http://127.0.0.1:" + port + ": connection refused\n");
    }

    @Test
    void execUrlMistakesAreUsageErrors() {
        assertUsage(cli().run("exec", "--url", "ftp://x:1", "SELECT 1"), "--url expects http://HOST:PORT");
        assertUsage(cli().run("exec", "--url", "http://127.0.0.1:1/api", "SELECT 1"), "the peer's address only");
        assertUsage(cli().run("exec", "--url", "http://127.0.0.1:1", "--db", db(), "SELECT 1"), "cannot go with --db");
        assertUsage(cli().run("exec", "--db", db(), "--token", "t", "SELECT 1"), "--token goes with --url");
    }

    @Test
    void attachmentSettingsOutOfRangeAreRefusedNamingTheSetting() {
        CliRunner.Result fast = cli().run("peer", "--db", db(), "--attachment-fetch-timeout", "50ms");
        assertThat(fast.exitCode()).as(fast.err()).isEqualTo(2);
        assertThat(fast.err()).contains("attachments.fetchTimeout must be 100 ms to 1 hour");
        CliRunner.Result many = cli().run("peer", "--db", db(), "--attachment-max-fetches", "65");
        assertThat(many.exitCode()).as(many.err()).isEqualTo(2);
        assertThat(many.err()).contains("attachments.maxConcurrentFetches must be 1 to 64, got 65");
        CliRunner.Result negative = cli().run("peer", "--db", db(), "--attachment-bandwidth=-1");
        assertThat(negative.exitCode()).as(negative.err()).isEqualTo(2);
        assertThat(negative.err()).contains("attachments.bytesPerSecondPerPeer must be 0 (no limit) or more");
        CliRunner.Result word = cli().run("peer", "--db", db(), "--attachment-grace-period", "soon");
        assertThat(word.exitCode()).isEqualTo(2);
        assertThat(word.err()).contains("--attachment-grace-period").contains("expected a duration");
        CliRunner.Result size = cli().run("peer", "--db", db(), "--attachment-max-bytes", "2 parsecs");
        assertThat(size.exitCode()).isEqualTo(2);
        assertThat(size.err()).contains("--attachment-max-bytes").contains("expected a size such as");
        CliRunner.Result zero = cli().run("peer", "--db", db(), "--attachment-max-bytes", "0");
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("expected a size of at least 1 byte");
    }

    @Test
    void attachmentSizesTakeBinaryUnits() {
        assertThat(ByteSizeConverter.parse("1048576")).isEqualTo(1L << 20);
        assertThat(ByteSizeConverter.parse("500MiB")).isEqualTo(500L << 20);
        assertThat(ByteSizeConverter.parse("2g")).isEqualTo(2L << 30);
        assertThat(ByteSizeConverter.parse(" 1 TiB ")).isEqualTo(1L << 40);
    }

    @Test
    void flagMistakesAreUsageErrorsThatOpenNothing() {
        assertThat(cli().run("peer", "--db", db(), "--listen", "nowhere").err())
                .contains("Invalid value for option '--listen'")
                .contains("expected host:port");
        assertThat(cli().run("peer", "--db", db(), "--connect", "udp://h:1").exitCode())
                .isEqualTo(2);
        assertUsage(
                cli().run(
                                "peer",
                                "--db",
                                db(),
                                "--shared-key",
                                dir.resolve("nope.key").toString()),
                "no shared key file at");
        assertUsage(cli().run("peer", "--db", db(), "--http", "localhost"), "--http expects HOST:PORT or PORT");
        assertUsage(cli().run("peer", "--db", db(), "--http", "127.0.0.1:70000"), "outside 0..65535");
        assertUsage(cli().run("peer", "--db", db(), "--http-token", "t"), "--http-token needs --http");
        assertUsage(cli().run("peer", "--db", db(), "--http", "0.0.0.0:0"), "is not a loopback address");
        assertUsage(
                cli().run("peer", "--db", db(), "--http", "127.0.0.1:0", "--http-token", "two words"),
                "printable ASCII");
        assertUsage(
                cli().run("peer", "--db", db(), "--presence-metadata", "{\"name\": "),
                "--presence-metadata: not valid JSON: ");
        assertUsage(
                cli().run("peer", "--db", db(), "--presence-metadata", "[\"kitchen\"]"),
                "--presence-metadata: expected a JSON object");
        assertThat(Files.exists(dir.resolve("db")))
                .as("no database opened for a bad flag")
                .isFalse();
        // the size of the presence metadata is checked by the library, so the database opens, then closes again
        Result big = cli().run("peer", "--db", db(), "--presence-metadata", "{\"n\": \"" + "x".repeat(5000) + "\"}");
        assertUsage(big, "--presence-metadata: peer metadata is 5008 bytes encoded; the limit is 4096");
        // a subscription is checked by the library, so the database opens, then closes again
        Result subscribe = cli().run("peer", "--db", db(), "--subscribe", "SELECT make FROM cars");
        assertThat(subscribe.exitCode()).isEqualTo(2);
        assertThat(subscribe.err()).startsWith("error: query/").doesNotContain("\tat ");
        assertThat(cli().run("exec", "--db", db(), "SELECT * FROM c").exitCode())
                .isZero();
    }

    @Test
    void anHttpAddressInUseIsANetworkError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result r = cli().run("peer", "--db", db(), "--http", "127.0.0.1:" + taken.getLocalPort());
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.err())
                    .contains("error: network/io: cannot serve the HTTP API on 127.0.0.1:" + taken.getLocalPort())
                    .doesNotContain("\tat ");
        }
        // and the database was closed on the way out
        assertThat(cli().run("exec", "--db", db(), "SELECT * FROM c").exitCode())
                .isZero();
    }

    private static void assertUsage(Result r, String message) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("\tat ");
        assertThat(r.err().lines()).hasSize(1);
    }
}
