package io.starling.internal.query;

import static io.starling.internal.query.Eval.dql;
import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** WHERE _id = … / _id IN … use DocumentSource.get and never scan, and still apply the whole WHERE. */
class IdFastPathTest {
    private InMemorySource src;

    @BeforeEach
    void setUp() {
        src = new InMemorySource()
                .add(
                        "c",
                        "{'_id': 1, 'v': 'one'}",
                        "{'_id': 2, 'v': 'two'}",
                        "{'_id': 'k', 'v': 'kay'}",
                        "{'_id': {'a': 1, 'b': 2}, 'v': 'composite'}");
    }

    private List<Value.Obj> run(String dql, Map<String, Value> args) {
        Statement s = Dql.parse(dql);
        return s instanceof SelectStatement sel
                ? QueryExecutor.select(sel, src, Eval.ctx(args))
                : QueryExecutor.matching(s, src, Eval.ctx(args));
    }

    private void assertNoScan(int expectedGets) {
        assertThat(src.scans).as("scans").isZero();
        assertThat(src.gets).as("gets").isEqualTo(expectedGets);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "SELECT v FROM c WHERE _id = 2",
                "SELECT v FROM c WHERE 2 = _id",
                "SELECT v FROM c WHERE _id == :id",
                "SELECT v FROM c WHERE _id = :id AND v LIKE 't%'",
                "SELECT v FROM c WHERE v IS VALUED AND (_id = :id)",
                "SELECT v FROM c WHERE _id = 2.0",
                "DELETE FROM c WHERE _id = :id",
                "EVICT FROM c WHERE _id = 2",
                "UPDATE c SET x = 1 WHERE _id = :id",
            })
    void equalityUsesGet(String dql) {
        List<Value.Obj> rows = run(dql, Map.of("id", Value.of(2L)));
        assertThat(rows).hasSize(1);
        assertNoScan(1);
    }

    @Test
    void theWholeWhereStillApplies() {
        assertThat(run("SELECT v FROM c WHERE _id = 2 AND v = 'one'", Map.of())).isEmpty();
        assertNoScan(1);
    }

    @Test
    void unknownIdsFindNothing() {
        assertThat(run("DELETE FROM c WHERE _id = 'nope'", Map.of())).isEmpty();
        assertNoScan(1);
        assertThat(run("SELECT * FROM c WHERE _id = NULL", Map.of())).isEmpty();
        assertThat(run("SELECT * FROM c WHERE _id = :id", Map.of("id", Value.MISSING)))
                .isEmpty();
        assertNoScan(1);
    }

    @Test
    void inListsGetEachIdOnceInIdOrder() {
        assertThat(dql(run("SELECT v FROM c WHERE _id IN ['k', 2, 1, 2, 99]", Map.of())))
                .isEqualTo("{'v': 'one'} {'v': 'two'} {'v': 'kay'}");
        assertNoScan(4);
    }

    @Test
    void inWithArgumentsAndParenthesisedLists() {
        assertThat(run("SELECT v FROM c WHERE _id IN :ids", Map.of("ids", Value.fromJava(List.of(1, "k")))))
                .hasSize(2);
        assertThat(run("SELECT v FROM c WHERE _id IN (1, :x)", Map.of("x", Value.of(2L))))
                .hasSize(2);
        assertThat(run("SELECT v FROM c WHERE _id IN (:ids)", Map.of("ids", Value.fromJava(List.of(1, 2)))))
                .hasSize(2);
        assertNoScan(6);
    }

    @Test
    void compositeIds() {
        assertThat(dql(run("SELECT v FROM c WHERE _id = {'b': 2, 'a': 1}", Map.of())))
                .isEqualTo("{'v': 'composite'}");
        assertThat(dql(run("SELECT v FROM c WHERE _id = :id", Map.of("id", Value.fromJava(Map.of("a", 1, "b", 2))))))
                .isEqualTo("{'v': 'composite'}");
        assertNoScan(2);
    }

    @Test
    void otherShapesScan() {
        run("SELECT v FROM c WHERE _id = 1 OR v = 'two'", Map.of());
        run("SELECT v FROM c WHERE _id > 1", Map.of());
        run("SELECT v FROM c WHERE _id NOT IN [1]", Map.of());
        run("SELECT v FROM c WHERE _id = v", Map.of());
        run("SELECT v FROM c WHERE NOT (_id = 1)", Map.of());
        assertThat(src.scans).isEqualTo(5);
        assertThat(src.gets).isZero();
    }

    @Test
    void aggregatesOverTheFastPath() {
        assertThat(dql(run("SELECT COUNT(*) AS n FROM c WHERE _id IN [1, 2, 3]", Map.of())))
                .isEqualTo("{'n': 2}");
        assertNoScan(3);
    }
}
