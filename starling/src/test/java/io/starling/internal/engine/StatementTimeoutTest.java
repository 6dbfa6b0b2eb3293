package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.QueryResultChange;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Statement deadlines over a real store: a statement that runs past {@link StarlingConfig#statementTimeout()} fails
 * with {@code query/timeout} and keeps nothing it wrote; closing stops running statements. The tests assert outcomes
 * (error codes, store contents), never durations: the work they start would not end on its own.
 */
class StatementTimeoutTest {
    /** Backtracks through every way of splitting 40 'a's into 20 groups: it never ends on its own. */
    static final String CATASTROPHIC = "'^(.*a){20}b'";

    static final String FORTY_AS = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    @TempDir
    Path dir;

    DefaultStarling db;
    DefaultStore store;

    @BeforeEach
    void open() {
        db = DefaultStarling.open(
                StarlingConfig.builder()
                        .databaseDirectory(dir)
                        .statementTimeout(Duration.ofMillis(300))
                        .build(),
                java.time.Clock.systemUTC());
        store = db.defaultStore();
    }

    @AfterEach
    void close() {
        db.close();
        assertThat(store.running().size()).as("statements left registered").isZero();
    }

    private void assertTimesOut(String statement, Map<String, ?> args) {
        assertThatThrownBy(() -> store.execute(statement, args)).isInstanceOfSatisfying(QueryException.class, e -> {
            assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_TIMEOUT);
            assertThat(e.errorCode().code()).isEqualTo("query/timeout");
            assertThat(e.isUserError()).isTrue();
            assertThat(e.getMessage())
                    .isEqualTo("the statement ran longer than its time limit of 300 ms and was stopped;"
                            + " nothing it changed was kept (the limit is StarlingConfig.statementTimeout,"
                            + " --statement-timeout on the command line)");
        });
    }

    @Test
    void aCatastrophicRegularExpressionStopsAtTheDeadline() {
        assertTimesOut("SELECT regexp_like(repeat('a', 40), " + CATASTROPHIC + ") AS r FROM system:info", Map.of());
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 's': 'b'}), ({'_id': 2, 's': :s})", Map.of("s", FORTY_AS));
        assertTimesOut("SELECT * FROM c WHERE regexp_like(s, " + CATASTROPHIC + ")", Map.of());
        assertTimesOut("SELECT * FROM c WHERE regexp_like(s, :p)", Map.of("p", "^(.*a){20}b"));
        assertThat(store.execute("SELECT _id FROM c WHERE regexp_like(s, '^b$')")
                        .items())
                .as("the store goes on serving")
                .hasSize(1);
    }

    @Test
    void aLongScanStopsAtTheDeadline() {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (int i = 0; i < 300; i++) docs.add(Map.of("_id", i, "tags", List.of(i, i + 1, i + 2)));
        store.execute("INSERT INTO c DOCUMENTS (:docs)", Map.of("docs", docs));
        // a cross product through ANY over arrays of a million items per document: far more than 300 ms of work
        assertTimesOut(
                "SELECT _id FROM c WHERE ANY x IN ARRAY i FOR i IN split(repeat('x,', 1000000), ',') END"
                        + " SATISFIES x = 'y' END",
                Map.of());
    }

    @Test
    void aTimedOutUpdateLeavesTheStoreUnchanged() {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (int i = 0; i < 50; i++) docs.add(Map.of("_id", i, "s", i == 49 ? FORTY_AS : "b"));
        store.execute("INSERT INTO c DOCUMENTS (:docs)", Map.of("docs", docs));
        long before = store.lastSequence();
        // the first 49 documents are written, then the last one's SET runs past the deadline
        assertTimesOut("UPDATE c SET r = regexp_like(s, " + CATASTROPHIC + ")", Map.of());
        assertThat(store.lastSequence()).as("no write committed").isEqualTo(before);
        assertThat(store.execute("SELECT COUNT(*) AS n FROM c WHERE r IS NOT MISSING")
                        .items()
                        .get(0)
                        .json())
                .isEqualTo("{\"n\":0}");
    }

    @Test
    void aStatementThatFailsPartwayBreaksItsTransaction() {
        List<Map<String, Object>> docs = new ArrayList<>();
        for (int i = 0; i < 50; i++) docs.add(Map.of("_id", i, "s", i == 49 ? FORTY_AS : "b"));
        store.execute("INSERT INTO c DOCUMENTS (:docs)", Map.of("docs", docs));
        long before = store.lastSequence();
        List<StarlingException> seen = new ArrayList<>();
        assertThatThrownBy(() -> store.transaction(tx -> {
                    tx.execute("INSERT INTO c DOCUMENTS ({'_id': 'other'})");
                    try {
                        tx.execute("UPDATE c SET r = regexp_like(s, " + CATASTROPHIC + ")");
                    } catch (StarlingException timedOut) {
                        seen.add(timedOut); // caught: the transaction must still not commit half an UPDATE
                    }
                    try {
                        tx.execute("INSERT INTO c DOCUMENTS ({'_id': 'later'})");
                    } catch (StarlingException refused) {
                        seen.add(refused);
                    }
                    return null;
                }))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.TRANSACTION_FAILED))
                .hasMessageStartingWith("the transaction was rolled back: a statement failed after writing part of"
                        + " its work (the statement ran longer than its time limit of 300 ms");
        assertThat(seen)
                .extracting(StarlingException::errorCode)
                .containsExactly(ErrorCode.QUERY_TIMEOUT, ErrorCode.TRANSACTION_FAILED);
        assertThat(store.lastSequence()).isEqualTo(before);
        assertThat(store.execute("SELECT _id FROM c WHERE _id = 'other'").items())
                .isEmpty();
    }

    @Test
    void aStatementThatFailsBeforeWritingLeavesItsTransactionUsable() {
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1})");
        String result = store.transaction(tx -> {
            tx.execute("INSERT INTO c DOCUMENTS ({'_id': 2})");
            try {
                tx.execute("INSERT INTO c DOCUMENTS ({'_id': 1})"); // an id conflict: nothing written
            } catch (StarlingException conflict) {
                assertThat(conflict.errorCode()).isEqualTo(ErrorCode.DOCUMENT_ID_CONFLICT);
            }
            try {
                tx.execute("SELECT regexp_like(repeat('a', 40), " + CATASTROPHIC + ") FROM c");
            } catch (QueryException timedOut) {
                assertThat(timedOut.errorCode()).isEqualTo(ErrorCode.QUERY_TIMEOUT);
            }
            tx.execute("INSERT INTO c DOCUMENTS ({'_id': 3})");
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(store.execute("SELECT COUNT(*) AS n FROM c").items().get(0).json())
                .isEqualTo("{\"n\":3}");
    }

    @Test
    void aSlowLiveQueryDoesNotStallTheOthers() throws InterruptedException {
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 's': :s})", Map.of("s", FORTY_AS));
        LinkedBlockingQueue<QueryResultChange> good = new LinkedBlockingQueue<>();
        try (var bad = store.registerObserver(
                        "SELECT * FROM c WHERE regexp_like(s, " + CATASTROPHIC + ")", Map.of(), c -> {});
                var fine = store.registerObserver("SELECT _id FROM c", Map.of(), good::add)) {
            assertThat(good.poll(30, TimeUnit.SECONDS))
                    .as("the good observer's first delivery")
                    .isNotNull();
            store.execute("INSERT INTO c DOCUMENTS ({'_id': 2, 's': 'x'})");
            QueryResultChange next = good.poll(30, TimeUnit.SECONDS);
            assertThat(next).as("a delivery after the change").isNotNull();
            store.observers().awaitEvaluations();
            assertThat(store.observers().timeouts.get())
                    .as("the bad live query was stopped")
                    .isPositive();
        }
    }

    @Test
    void closingStopsRunningStatements() throws Exception {
        db.close();
        db = DefaultStarling.open(
                StarlingConfig.builder()
                        .databaseDirectory(dir)
                        .statementTimeout(Duration.ofHours(1))
                        .build(),
                java.time.Clock.systemUTC());
        store = db.defaultStore();
        store.execute("INSERT INTO c DOCUMENTS ({'_id': 1, 's': :s})", Map.of("s", FORTY_AS));
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Throwable> select = CompletableFuture.supplyAsync(() -> {
            started.countDown();
            try {
                store.execute("SELECT * FROM c WHERE regexp_like(s, " + CATASTROPHIC + ")");
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        CompletableFuture<Throwable> update = CompletableFuture.supplyAsync(() -> {
            try {
                store.execute("UPDATE c SET r = regexp_like(s, " + CATASTROPHIC + ")");
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
        awaitRunning(2);
        db.close(); // would wait for the writer lock held by the UPDATE for an hour without cancellation
        for (CompletableFuture<Throwable> f : List.of(select, update)) {
            assertThat(f.get(30, TimeUnit.SECONDS))
                    .isInstanceOfSatisfying(
                            StarlingException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CLOSED))
                    .hasMessage("the statement was stopped: this Starling instance is closing");
        }
    }

    private void awaitRunning(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (store.running().size() < n) {
            assertThat(System.nanoTime() < deadline)
                    .as(n + " statements running within 30 s")
                    .isTrue();
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    @Test
    void theLimitIsValidatedAndShownAsPeopleWriteIt() {
        assertThatThrownBy(() -> StarlingConfig.builder().statementTimeout(Duration.ZERO))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CONFIG_INVALID))
                .hasMessage("statementTimeout must be 1 ms to 24 hours, got PT0S");
        assertThatThrownBy(() -> StarlingConfig.builder().statementTimeout(Duration.ofDays(2)))
                .hasMessageContaining("must be 1 ms to 24 hours");
        assertThat(StarlingConfig.builder().build().statementTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(RunningStatements.text(Duration.ofMillis(250))).isEqualTo("250 ms");
        assertThat(RunningStatements.text(Duration.ofSeconds(10))).isEqualTo("10 s");
        assertThat(RunningStatements.text(Duration.ofMillis(1500))).isEqualTo("1.5 s");
        assertThat(RunningStatements.text(Duration.ofMinutes(2))).isEqualTo("2 min");
    }

    @Test
    void aValueTooLargeToBuildIsAClearError() {
        assertThatThrownBy(() -> store.execute("SELECT repeat('a', 1e12) AS x FROM system:info"))
                .isInstanceOfSatisfying(QueryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_INVALID);
                    assertThat(e.line()).isEqualTo(1);
                    assertThat(e.column()).isEqualTo(8);
                })
                .hasMessageStartingWith("line 1, column 8: repeat would build a value of size 1000000000000 or more,"
                        + " above the limit of 16777216");
    }
}
