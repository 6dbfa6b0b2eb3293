package io.starling.internal.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.storage.DocumentStorage;
import io.starling.testsupport.Await;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The storage's commit signal (LISTEN/NOTIFY, docs/STORAGE.md): a commit of one instance wakes the others, a rolled
 * back transaction notifies nobody, and a listener whose connection is terminated reconnects and wakes once.
 */
class PostgresCommitSignalTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private PostgresStorage storage(String url) {
        PostgresStorage s = PostgresStorage.open(url, PostgresStorage.Options.defaults());
        open.add(s);
        return s;
    }

    private static void put(DocumentStorage storage, String id) {
        storage.write(tx -> tx.put("c", id.getBytes(StandardCharsets.UTF_8), true, new byte[] {1}));
    }

    private static String schemaOf(String url) {
        try (Connection c = DriverManager.getConnection(url);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_schema()")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aCommitOfAnotherInstanceWakesTheSignal() {
        String url = TestPostgres.newSchemaUrl();
        PostgresStorage listening = storage(url);
        PostgresStorage writing = storage(url);
        AtomicInteger wakes = new AtomicInteger();
        DocumentStorage.CommitSignal signal = listening.commitSignal(wakes::incrementAndGet);
        assertThat(signal).as("PostgreSQL takes LISTEN/NOTIFY").isNotNull();
        open.add(signal);
        Await.until("the signal listens", DEADLINE, signal::listening);
        Await.until("the signal wakes once when it starts listening", DEADLINE, () -> wakes.get() >= 1);
        int before = wakes.get();
        put(writing, "a");
        Await.until("a commit of another instance wakes the signal", DEADLINE, () -> wakes.get() > before, wakes::get);
        assertThatThrownBy(() -> listening.commitSignal(() -> {}))
                .as("one signal per instance")
                .isInstanceOf(IllegalStateException.class);
    }

    /**
     * The test listens on the channel itself: a rolled-back write and then a committed one, of one instance, reach
     * it as exactly one notification. PostgreSQL delivers notifications in commit order, so once the committed
     * write's has arrived, one of the rolled-back write would have arrived before it.
     */
    @Test
    void aRolledBackWriteNotifiesNobodyAndACommittedOneNotifiesOnce() throws Exception {
        String url = TestPostgres.newSchemaUrl();
        PostgresStorage writing = storage(url);
        try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN " + PostgresStorage.channelFor(schemaOf(url)));
            }
            PGConnection pg = c.unwrap(PGConnection.class);
            assertThatThrownBy(() -> writing.write(tx -> {
                        tx.put("c", "rolled-back".getBytes(StandardCharsets.UTF_8), true, new byte[] {1});
                        throw new IllegalStateException("roll back");
                    }))
                    .hasMessage("roll back");
            writing.write(tx -> tx.lastSequence()); // a write that takes no sequence number notifies nobody either
            put(writing, "committed");
            List<PGNotification> got = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (got.isEmpty() && System.nanoTime() < deadline) {
                PGNotification[] batch = pg.getNotifications(1_000);
                if (batch != null) got.addAll(List.of(batch));
            }
            assertThat(got).as("notifications of the three writes").hasSize(1);
            assertThat(got.get(0).getParameter())
                    .as("the payload: the committing instance's token")
                    .matches("[0-9a-f]{16}");
            long last = writing.read(DocumentStorage.ReadTx::lastSequence);
            assertThat(last).as("only the committed write took a number").isEqualTo(1);
        }
    }

    @Test
    void aSignalWhoseConnectionIsTerminatedReconnectsAndWakesOnce() {
        String url = TestPostgres.newSchemaUrl();
        PostgresStorage listening = storage(url);
        PostgresStorage writing = storage(url);
        AtomicInteger wakes = new AtomicInteger();
        DocumentStorage.CommitSignal signal = listening.commitSignal(wakes::incrementAndGet);
        assertThat(signal).isNotNull();
        open.add(signal);
        Await.until("the signal listens", DEADLINE, () -> listening.listenerBackendPid() != 0);
        int pid = listening.listenerBackendPid();
        Await.until("the first wake-up", DEADLINE, () -> wakes.get() >= 1);
        int before = wakes.get();
        TestPostgres.execute(url, "SELECT pg_terminate_backend(" + pid + ")");
        Await.until(
                "the signal listens again, on a new connection",
                DEADLINE,
                () -> listening.listenerBackendPid() != 0 && listening.listenerBackendPid() != pid);
        Await.until(
                "listening again wakes (commits made meanwhile were not signalled)",
                DEADLINE,
                () -> wakes.get() > before,
                wakes::get);
        int reconnected = wakes.get();
        put(writing, "after");
        Await.until(
                "a commit after the reconnection wakes the signal",
                DEADLINE,
                () -> wakes.get() > reconnected,
                wakes::get);
        signal.close();
        assertThat(signal.listening()).isFalse();
        assertThat(listening.listenerBackendPid()).isZero();
    }

    /**
     * A commit whose notification never comes back (as behind a proxy that pools connections per transaction, where
     * LISTEN hears nothing) makes the signal say it is not listening, so the engine polls often; the next own commit
     * heard back makes it listen again.
     */
    @Test
    void aSignalThatDoesNotHearItsOwnCommitsSaysItIsNotListening() {
        String url = TestPostgres.newSchemaUrl();
        PostgresStorage storage = storage(url);
        DocumentStorage.CommitSignal signal = storage.commitSignal(() -> {});
        assertThat(signal).isInstanceOf(PostgresCommitSignal.class);
        open.add(signal);
        Await.until("the signal listens", DEADLINE, signal::listening);
        ((PostgresCommitSignal) signal).sending(); // a commit announced whose notification never comes
        Await.until(
                "after " + PostgresCommitSignal.OWN_ECHO.toSeconds() + " s unheard, the signal says it is deaf",
                DEADLINE,
                () -> !signal.listening());
        put(storage, "heard");
        Await.until("an own commit heard back makes it listen again", DEADLINE, signal::listening);
    }
}
