package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The evaluator polls its {@link Cancellation} wherever work can grow without bound, so a statement stops when told
 * to. The cancellations here count polls instead of reading a clock: they stop the statement after a fixed number of
 * polls, which makes every test deterministic.
 */
class CancellationTest {

    /** Lets {@code allowed} polls pass, then throws TIMEOUT at every poll; counts the polls. */
    static final class StopAfter implements Cancellation {
        final int allowed;
        int polls;

        StopAfter(int allowed) {
            this.allowed = allowed;
        }

        @Override
        public void check() {
            if (++polls > allowed) throw new DqlException(DqlException.Kind.TIMEOUT, "stopped after " + allowed);
        }
    }

    private static Value eval(String expr, Cancellation c) {
        return eval(expr, Map.of(), c);
    }

    private static Value eval(String expr, Map<String, Value> args, Cancellation c) {
        Node n = Parser.parseExpression(expr);
        Env env = new Env(new EvalContext(args, Eval.NOW, c), 8);
        return n.eval(env);
    }

    private static void assertStopped(Runnable work) {
        assertThatThrownBy(work::run)
                .isInstanceOfSatisfying(
                        DqlException.class, e -> assertThat(e.kind()).isEqualTo(DqlException.Kind.TIMEOUT));
    }

    @Test
    void aCatastrophicRegularExpressionStops() {
        // without polling this backtracks for longer than any test run: (.*a){20} tries every split of 40 'a's
        assertStopped(() -> eval("regexp_like(repeat('a', 40), '^(.*a){20}b')", new StopAfter(100)));
        assertStopped(() ->
                eval("regexp_like(repeat('a', 40), :p)", Map.of("p", Value.of("^(.*a){20}b")), new StopAfter(100)));
    }

    @Test
    void aRegularExpressionStillMatchesWhenNothingStopsIt() {
        assertThat(eval("regexp_like(repeat('ab', 10000) || 'c', 'b(ab)*c$')", new StopAfter(1_000)))
                .isEqualTo(Value.TRUE);
    }

    @Test
    void aBacktrackingLikePatternStops() {
        // the general matcher backtracks to the last %: about length × pattern-length steps
        String pattern = "'" + "%a".repeat(2_000) + "b'";
        assertStopped(() -> eval("repeat('a', 200000) LIKE " + pattern, new StopAfter(10)));
        assertStopped(() -> eval("repeat('a', 200000) ILIKE '%" + "A".repeat(3000) + "b%'", new StopAfter(2)));
        assertThat(eval("repeat('a', 20) LIKE '%a%a_a%'", new StopAfter(0))).isEqualTo(Value.TRUE);
    }

    @Test
    void aScanStopsAtTheNextDocument() {
        InMemorySource src = new InMemorySource();
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) docs.add("{'_id': " + i + ", 'a': " + i + "}");
        src.add("c", docs.toArray(String[]::new));
        StopAfter stop = new StopAfter(100);
        SelectStatement s = (SelectStatement) Dql.parse("SELECT a FROM c WHERE a >= 0");
        assertStopped(() -> QueryExecutor.select(s, src, new EvalContext(Map.of(), Eval.NOW, stop)));
        assertThat(src.visited).as("documents read before the scan stopped").isBetween(99, 101);

        src.resetCounters();
        Statement update = Dql.parse("UPDATE c SET b = 1 WHERE a >= 0");
        assertStopped(
                () -> QueryExecutor.matching(update, src, new EvalContext(Map.of(), Eval.NOW, new StopAfter(50))));
        assertThat(src.visited).isBetween(49, 51);
    }

    @Test
    void aScanThatLeavesDocumentsOutUnseenPollsThroughTheHeldStrings() {
        // a source that, like SQLite, leaves out unseen every document without the held string: only the poll runs
        List<List<String>> held = new ArrayList<>();
        DocumentSource leavesAllOut = new DocumentSource() {
            @Override
            public void scan(String collection, java.util.function.Predicate<Value.Obj> visitor) {
                throw new AssertionError("a filtered scan, not a plain one");
            }

            @Override
            public Value.@org.jspecify.annotations.Nullable Obj get(String collection, Value id) {
                return null;
            }

            @Override
            public void scanFiltered(
                    String collection,
                    java.util.Set<String> filterFields,
                    DocumentSource.HeldStrings heldStrings,
                    java.util.function.Predicate<Value.Obj> filter,
                    java.util.@org.jspecify.annotations.Nullable Set<String> fields,
                    java.util.function.Predicate<Value.Obj> visitor) {
                held.add(heldStrings.strings());
                for (int i = 0; i < 1_000_000; i++) heldStrings.poll().run();
            }
        };
        StopAfter stop = new StopAfter(100);
        SelectStatement s = (SelectStatement) Dql.parse("SELECT * FROM c WHERE a = 'x' AND b = :s");
        assertStopped(() ->
                QueryExecutor.select(s, leavesAllOut, new EvalContext(Map.of("s", Value.of("y")), Eval.NOW, stop)));
        assertThat(held).containsExactly(List.of("x", "y"));
        assertThat(stop.polls).as("polls before the scan stopped").isBetween(101, 110);
    }

    @Test
    void idLookupsAndIndexScansPollToo() {
        InMemorySource src = new InMemorySource().index("CREATE INDEX ia ON c (a)");
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) docs.add("{'_id': " + i + ", 'a': " + (i % 10) + "}");
        src.add("c", docs.toArray(String[]::new));
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < 2_000; i++) ids.append(i == 0 ? "" : ", ").append(i);
        assertStopped(() -> QueryExecutor.select(
                (SelectStatement) Dql.parse("SELECT * FROM c WHERE _id IN (" + ids + ")"),
                src,
                new EvalContext(Map.of(), Eval.NOW, new StopAfter(20))));
        assertStopped(() -> QueryExecutor.select(
                (SelectStatement) Dql.parse("SELECT * FROM c WHERE a = 3 OR a = 4"),
                src,
                new EvalContext(Map.of(), Eval.NOW, new StopAfter(20))));
    }

    @Test
    void anyEveryAndArrayPollEachItem() {
        String big = "ARRAY i FOR i IN split(repeat('x,', 5000), ',') END";
        assertStopped(() -> eval("ANY v IN " + big + " SATISFIES v = 'y' END", new StopAfter(6_000)));
        assertStopped(() -> eval("EVERY v IN " + big + " SATISFIES v != 'y' END", new StopAfter(6_000)));
        assertStopped(() -> eval("ARRAY v || v FOR v IN split(repeat('x,', 5000), ',') END", new StopAfter(100)));
        StopAfter enough = new StopAfter(20_000);
        assertThat(eval("ANY v IN " + big + " SATISFIES v = 'y' END", enough)).isEqualTo(Value.FALSE);
        assertThat(enough.polls)
                .as("one poll per item of each of the two loops")
                .isEqualTo(2 * 5001);
    }

    @Test
    void groupsAndDistinctRowsArePolled() {
        InMemorySource src = new InMemorySource();
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) docs.add("{'_id': " + i + ", 'g': " + i + "}");
        src.add("c", docs.toArray(String[]::new));
        // 1,001 polls read the documents (one more for the scan itself); the groups need 1,000 more
        assertStopped(() -> QueryExecutor.select(
                (SelectStatement) Dql.parse("SELECT g, COUNT(*) AS n FROM c GROUP BY g"),
                src,
                new EvalContext(Map.of(), Eval.NOW, new StopAfter(1_500))));
        assertStopped(() -> QueryExecutor.select(
                (SelectStatement) Dql.parse("SELECT DISTINCT g FROM c"),
                src,
                new EvalContext(Map.of(), Eval.NOW, new StopAfter(1_500))));
        assertThat(QueryExecutor.select(
                        (SelectStatement) Dql.parse("SELECT g, COUNT(*) AS n FROM c GROUP BY g"),
                        src,
                        new EvalContext(Map.of(), Eval.NOW, new StopAfter(2_001))))
                .hasSize(1_000);
    }

    @Test
    void aSortPollsEveryFewThousandComparisons() {
        StopAfter stop = new StopAfter(3);
        Comparator<Integer> order = Interruptible.comparator(Comparator.<Integer>naturalOrder(), stop);
        List<Integer> items = new ArrayList<>();
        for (int i = 100_000; i > 0; i--) items.add(i);
        assertStopped(() -> items.sort(order));
        assertThat(stop.polls).isEqualTo(4);
    }

    @Test
    void nothingPollsWithoutACancellation() {
        assertThat(Interruptible.chars("abc", Cancellation.NONE)).isSameAs("abc");
        InMemorySource src = new InMemorySource();
        assertThat(Interruptible.source(src, Cancellation.NONE)).isSameAs(src);
    }
}
