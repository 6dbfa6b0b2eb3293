package io.starling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code SELECT * FROM *} is a subscription to every collection: accepted by {@link Sync#registerSubscription} in any
 * case and spacing, refused with a clear error (naming the position) when anything follows it or it is given
 * arguments, and refused as a statement, which reads one collection.
 */
class EveryCollectionSubscriptionTest {
    @TempDir
    Path dir;

    @Test
    void selectStarFromStarSubscribesToEveryCollectionAndIsNoQuery() {
        try (Starling db =
                Starling.open(StarlingConfig.builder().databaseDirectory(dir).build())) {
            SyncSubscription every = db.sync().registerSubscription("  select *\n FROM * -- all of it\n;", Map.of());
            assertThat(every.query()).isEqualTo("SELECT * FROM *");
            assertThat(db.sync().subscriptions()).containsExactly(every);

            assertThatThrownBy(() -> db.sync().registerSubscription("SELECT * FROM * WHERE a = 1", Map.of()))
                    .isInstanceOfSatisfying(
                            QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_INVALID))
                    .hasMessageContaining("line 1, column 17")
                    .hasMessageContaining("takes nothing after FROM *");
            assertThatThrownBy(() -> db.sync().registerSubscription("SELECT * FROM *", Map.of("a", 1)))
                    .isInstanceOf(QueryException.class)
                    .hasMessageContaining("takes no arguments");
            assertThatThrownBy(() -> db.store().execute("SELECT * FROM *"))
                    .isInstanceOfSatisfying(
                            QueryException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_INVALID))
                    .hasMessageContaining("line 1, column 15")
                    .hasMessageContaining("only a sync subscription");
            assertThatThrownBy(() -> db.store().execute("DELETE FROM *"))
                    .isInstanceOf(QueryException.class)
                    .hasMessageContaining("only a sync subscription");
            // a collection named * is still reachable with backticks, as any name
            db.store().execute("INSERT INTO `*` DOCUMENTS ({'_id': 1})");
            assertThat(db.store().execute("SELECT * FROM `*`").items()).hasSize(1);

            every.close();
            assertThat(db.sync().subscriptions()).isEmpty();
        }
    }
}
