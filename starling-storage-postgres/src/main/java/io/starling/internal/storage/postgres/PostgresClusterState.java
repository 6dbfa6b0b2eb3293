package io.starling.internal.storage.postgres;

import com.zaxxer.hikari.HikariDataSource;
import io.starling.internal.storage.StorageException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/*
 * Design note — state of the logical server that is not documents.
 *
 * Nodes sharing one database are one server, so what a node decides outside the documents must be shared too:
 *  - the HTTP API keys: a row per key; every node re-reads the rows (its callers bound how stale a node may be);
 *  - jobs that one node at a time must run, such as the Kafka sink: a lease row per job. A node takes the lease
 *    when nobody holds it or the holder let it expire, renews it while it runs the job, and stores the job's
 *    position in the same row *only while it still holds the lease* (the UPDATE names the holder), so a node that
 *    lost the lease can never move the position back or forward. Expiry is judged by the database's clock (now()),
 *    never by the nodes', whose clocks may disagree.
 *
 * Plain tables, INSERT ... ON CONFLICT and conditional UPDATEs: PostgreSQL, CockroachDB and YugabyteDB all take it.
 * Advisory locks would be PostgreSQL-only and tied to one connection; a lease survives a reconnect.
 */

/**
 * The shared state of the nodes of one PostgreSQL database besides the documents: API keys, leases, and the peer ids
 * the authority bound to users. Opening it
 * migrates the schema like {@link PostgresStorage#open} (either may come first). Thread-safe; holds a small
 * connection pool until {@link #close}d.
 */
public final class PostgresClusterState implements AutoCloseable {
    private static final AtomicInteger POOLS = new AtomicInteger();
    private static final String SQLSTATE_UNIQUE_VIOLATION = "23505";

    /** A lease as held: its position, as last stored by any holder (null before the first). */
    public record Lease(@Nullable String position) {}

    /** A peer id the authority bound to a user (starling_peer_bindings): 16 hex digits, user, device key fingerprint. */
    public record PeerBinding(String peerId, String userId, String deviceKey, Instant boundAt) {}

    private final String where;
    private final HikariDataSource pool;

    private PostgresClusterState(String where, HikariDataSource pool) {
        this.where = where;
        this.pool = pool;
    }

    /**
     * Connects to the database at {@code jdbcUrl} and brings its schema up to date.
     *
     * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL
     * @throws StorageException {@code IO} if the server cannot be reached, {@code NEWER_SCHEMA} for a newer schema
     */
    public static PostgresClusterState open(String jdbcUrl) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith(PostgresStorage.URL_PREFIX)) {
            throw new IllegalArgumentException("a PostgreSQL JDBC URL starts with jdbc:postgresql:, got '"
                    + PostgresStorage.redact(jdbcUrl) + "'");
        }
        String where = PostgresStorage.redact(jdbcUrl);
        HikariDataSource pool = PostgresStorage.openPool(
                        jdbcUrl, "starling-postgres-state-" + POOLS.incrementAndGet(), 2, true, 10_000)
                .pool();
        return new PostgresClusterState(where, pool);
    }

    /** The URL without its parameters (which may hold a password), for messages. */
    public String where() {
        return where;
    }

    /** Every API key record, in the order they were made. */
    public List<String> apiKeys() {
        return sql("reading the API keys", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT record FROM starling_api_keys ORDER BY made, id");
                    ResultSet rs = s.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) out.add(rs.getString(1));
                return out;
            }
        });
    }

    /**
     * Files a key record under {@code id}, unless {@code limit} keys are filed already.
     *
     * @return false when the id is taken or the limit is reached (the caller tells which by counting)
     */
    public boolean addApiKey(String id, String record, int limit) {
        return sql("storing an API key", c -> {
            // one statement: two nodes adding at once cannot both pass the limit by more than their own row
            try (PreparedStatement s = c.prepareStatement("INSERT INTO starling_api_keys (id, record) SELECT ?, ?"
                    + " WHERE (SELECT count(*) FROM starling_api_keys) < ?")) {
                s.setString(1, id);
                s.setString(2, record);
                s.setInt(3, limit);
                return s.executeUpdate() == 1;
            } catch (SQLException e) {
                if (SQLSTATE_UNIQUE_VIOLATION.equals(e.getSQLState())) return false;
                throw e;
            }
        });
    }

    /** Removes the key record filed under {@code id}, and returns it (null when there is none). */
    public @Nullable String removeApiKey(String id) {
        return sql("revoking an API key", c -> {
                    try (PreparedStatement s =
                            c.prepareStatement("DELETE FROM starling_api_keys WHERE id = ? RETURNING record")) {
                        s.setString(1, id);
                        try (ResultSet rs = s.executeQuery()) {
                            return java.util.Optional.ofNullable(rs.next() ? rs.getString(1) : null);
                        }
                    }
                })
                .orElse(null);
    }

    /**
     * Binds {@code peerId} to {@code userId} and {@code deviceKey} if nobody has bound it and the user has fewer than
     * {@code perUserLimit} peer ids. One statement on the primary key: of two nodes binding one id at once, exactly
     * one inserts (the other waits for its commit and inserts nothing). Two logins of one user for two new ids at once
     * may each pass the limit by their own row.
     *
     * @return true when this call bound it; false when it was bound already (read it) or the user is at the limit
     */
    public boolean bindPeer(String peerId, String userId, String deviceKey, Instant boundAt, int perUserLimit) {
        return sql("binding peer " + peerId, c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO starling_peer_bindings"
                    + " (peer_id, user_id, device_key, bound_at) SELECT ?, ?, ?, ?"
                    + " WHERE (SELECT count(*) FROM starling_peer_bindings WHERE user_id = ?) < ?"
                    + " ON CONFLICT (peer_id) DO NOTHING")) {
                s.setString(1, peerId);
                s.setString(2, userId);
                s.setString(3, deviceKey);
                s.setObject(4, OffsetDateTime.ofInstant(boundAt, ZoneOffset.UTC));
                s.setString(5, userId);
                s.setInt(6, perUserLimit);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** The binding of {@code peerId}, or null. */
    public @Nullable PeerBinding peerBinding(String peerId) {
        return sql("reading the binding of peer " + peerId, c -> {
                    try (PreparedStatement s = c.prepareStatement("SELECT peer_id, user_id, device_key, bound_at"
                            + " FROM starling_peer_bindings WHERE peer_id = ?")) {
                        s.setString(1, peerId);
                        try (ResultSet rs = s.executeQuery()) {
                            return java.util.Optional.ofNullable(rs.next() ? peerBinding(rs) : null);
                        }
                    }
                })
                .orElse(null);
    }

    /** Replaces the device key of {@code peerId} if it is bound to {@code userId}. @return whether it is */
    public boolean rekeyPeer(String peerId, String userId, String deviceKey) {
        return sql("changing the device key of peer " + peerId, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE starling_peer_bindings SET device_key = ?,"
                    + " changed_at = now() WHERE peer_id = ? AND user_id = ?")) {
                s.setString(1, deviceKey);
                s.setString(2, peerId);
                s.setString(3, userId);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Every binding, by peer id. */
    public List<PeerBinding> peerBindings() {
        return sql("reading the peer bindings", c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT peer_id, user_id, device_key, bound_at"
                            + " FROM starling_peer_bindings ORDER BY peer_id");
                    ResultSet rs = s.executeQuery()) {
                List<PeerBinding> out = new ArrayList<>();
                while (rs.next()) out.add(peerBinding(rs));
                return out;
            }
        });
    }

    /** Deletes the binding of {@code peerId}. @return whether there was one */
    public boolean releasePeer(String peerId) {
        return sql("releasing peer " + peerId, c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM starling_peer_bindings WHERE peer_id = ?")) {
                s.setString(1, peerId);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Deletes every binding of {@code userId}. @return how many there were */
    public int releasePeersOf(String userId) {
        return sql("releasing the peers of a user", c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM starling_peer_bindings WHERE user_id = ?")) {
                s.setString(1, userId);
                return s.executeUpdate();
            }
        });
    }

    private static PeerBinding peerBinding(ResultSet rs) throws SQLException {
        return new PeerBinding(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getObject(4, OffsetDateTime.class).toInstant());
    }

    /**
     * Takes or renews the lease {@code name} for {@code holder} until {@code ttl} from now (database time): it
     * succeeds when nobody holds it, the holder is {@code holder} already, or the holder's time ran out.
     *
     * @return the lease with its stored position, or null when another holder has it
     */
    public @Nullable Lease acquire(String name, String holder, Duration ttl) {
        return sql("taking the lease " + name, c -> {
                    try (PreparedStatement s =
                            c.prepareStatement("INSERT INTO starling_leases (name, holder, expires_at)"
                                    + " VALUES (?, ?, now() + ? * interval '1 millisecond')"
                                    + " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
                                    + " WHERE starling_leases.holder = excluded.holder OR starling_leases.expires_at < now()"
                                    + " RETURNING position")) {
                        s.setString(1, name);
                        s.setString(2, holder);
                        s.setLong(3, ttl.toMillis());
                        try (ResultSet rs = s.executeQuery()) {
                            return java.util.Optional.ofNullable(rs.next() ? new Lease(rs.getString(1)) : null);
                        }
                    }
                })
                .orElse(null);
    }

    /**
     * Stores the lease's position and renews it, if {@code holder} still holds it.
     *
     * @return false when the lease is held by another (or was never taken): nothing was stored
     */
    public boolean store(String name, String holder, String position, Duration ttl) {
        return sql("storing the position of " + name, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE starling_leases SET position = ?,"
                    + " expires_at = now() + ? * interval '1 millisecond' WHERE name = ? AND holder = ?")) {
                s.setString(1, position);
                s.setLong(2, ttl.toMillis());
                s.setString(3, name);
                s.setString(4, holder);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Gives the lease up at once (another node may take it without waiting for it to expire). */
    public void release(String name, String holder) {
        sql("releasing the lease " + name, c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE starling_leases SET expires_at = now() - interval '1 second' WHERE name = ? AND holder = ?")) {
                s.setString(1, name);
                s.setString(2, holder);
                return s.executeUpdate();
            }
        });
    }

    /** The lease's holder and stored position, whoever holds it (null when it was never taken): for status. */
    public @Nullable String holder(String name) {
        return sql("reading the lease " + name, c -> {
                    try (PreparedStatement s = c.prepareStatement(
                            "SELECT holder FROM starling_leases WHERE name = ? AND expires_at >= now()")) {
                        s.setString(1, name);
                        try (ResultSet rs = s.executeQuery()) {
                            return java.util.Optional.ofNullable(rs.next() ? rs.getString(1) : null);
                        }
                    }
                })
                .orElse(null);
    }

    @Override
    public void close() {
        pool.close();
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T sql(String what, Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw PostgresStorage.translate(e, what + " on " + where);
        }
    }
}
