package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link InMemoryStorage#writeNumberedFrom}, which the simulator uses to plant sequence numbers that do not follow
 * commit order: rows take the numbers given, the highest number stays the highest ever taken, a reader of the log
 * sees the rows in number order (so one committed later can sit below one committed earlier), and a number already
 * taken is refused.
 */
class InMemoryStorageNumberingTest {
    private static byte[] id(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Long> log(InMemoryStorage storage, long after) {
        List<Long> seqs = new ArrayList<>();
        storage.read(tx -> {
            tx.changesSince(after, 100, row -> {
                seqs.add(row.sequence());
                return true;
            });
            return Boolean.TRUE;
        });
        return seqs;
    }

    @Test
    void rowsTakeTheNumbersGivenAndACommitCanLandBelowAnEarlierOne() {
        InMemoryStorage storage = new InMemoryStorage();
        long late = storage.writeNumberedFrom(65, tx -> tx.put("c", id("b"), true, new byte[] {1}));
        assertThat(late).isEqualTo(65);
        long early = storage.writeNumberedFrom(1, tx -> {
            tx.put("c", id("a"), true, new byte[] {2});
            return tx.put("c", id("c"), true, new byte[] {3});
        });
        assertThat(early).isEqualTo(2);
        assertThat(storage.read(DocumentStorage.ReadTx::lastSequence)).isEqualTo(65);
        assertThat(log(storage, 0)).containsExactly(1L, 2L, 65L);
        assertThat(log(storage, 65))
                .as("a reader past 65 never sees rows 1 and 2")
                .isEmpty();

        long ordinary = storage.write(tx -> tx.put("c", id("d"), true, new byte[] {4}));
        assertThat(ordinary).as("an ordinary write numbers above the highest").isEqualTo(66);
    }

    @Test
    void aNumberAlreadyTakenIsRefusedAndNothingIsCommitted() {
        InMemoryStorage storage = new InMemoryStorage();
        storage.write(tx -> tx.put("c", id("a"), true, new byte[] {1}));
        assertThatThrownBy(() -> storage.writeNumberedFrom(1, tx -> tx.put("c", id("b"), true, new byte[] {2})))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("sequence number 1 is taken");
        assertThat(log(storage, 0)).containsExactly(1L);
        assertThatThrownBy(() -> storage.writeNumberedFrom(0, tx -> Boolean.TRUE))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
