package io.starling;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Using the library" example, kept compiling and true. */
class ReadmeExampleTest {
    record Car(String make, long year) {}

    @Test
    void readmeExampleWorks(@TempDir Path data) throws Exception {
        List<QueryResultChange> seen = new CopyOnWriteArrayList<>();
        try (Starling db = Starling.open(
                StarlingConfig.fromEnvironment().databaseDirectory(data).build())) {
            Store store = db.store();
            store.execute(
                    "INSERT INTO cars DOCUMENTS (:car)",
                    Map.of("car", Map.of("_id", "c1", "make", "Ford", "year", 2019)));

            for (QueryResultItem item : store.execute("SELECT * FROM cars WHERE year > :y", Map.of("y", 2000))
                    .items()) {
                assertThat(item.json()).isEqualTo("{\"_id\":\"c1\",\"make\":\"Ford\",\"year\":2019}");
                assertThat(item.as(Car.class)).isEqualTo(new Car("Ford", 2019));
            }

            try (StoreObserver live = store.registerObserver("SELECT * FROM cars ORDER BY year", Map.of(), seen::add)) {
                store.execute("CREATE INDEX by_year ON cars (year)");
                store.transaction(tx -> {
                    tx.execute("UPDATE cars SET sold = true WHERE _id = 'c1'");
                    return tx.execute("DELETE FROM cars WHERE year < 1990");
                });
                Await.until(
                        "the transaction is delivered",
                        Duration.ofSeconds(30),
                        () -> seen.stream()
                                .anyMatch(c -> c.items().get(0).json().contains("sold")));
            }
        }
        assertThat(seen.get(0).isInitial()).isTrue();
    }
}
