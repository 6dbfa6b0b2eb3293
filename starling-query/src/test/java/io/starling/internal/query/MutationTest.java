package io.starling.internal.query;

import static io.starling.internal.query.Eval.dql;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.FieldOp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MutationTest {

    private static final Value.Obj DOC =
            (Value.Obj) Eval.value("{'_id': 'a', 'n': 5, 'name': 'x', 'stats': {'views': 1}, 'list': [1, 2]}");

    private static List<FieldOp> ops(String dql, Map<String, Value> args) {
        return QueryExecutor.updateOps((UpdateStatement) Dql.parse(dql), DOC, Eval.ctx(args));
    }

    @Test
    void updateOpsEvaluateAgainstTheDocumentBeforeTheUpdate() {
        List<FieldOp> ops = ops(
                "UPDATE c SET n = n + 1, old = n, name = upper(name) || :suffix UNSET gone "
                        + "APPLY stats.views INCREMENT BY n, counter PN_INCREMENT BY 1.5, k RESTART WITH :k, z RESTART WHERE _id = 'a'",
                Map.of("suffix", Value.of("!"), "k", Value.of(10L)));
        assertThat(ops)
                .containsExactly(
                        new FieldOp.Set(Path.of("n"), Value.of(6L)),
                        new FieldOp.Set(Path.of("old"), Value.of(5L)),
                        new FieldOp.Set(Path.of("name"), Value.of("X!")),
                        new FieldOp.Unset(Path.of("gone")),
                        new FieldOp.Increment(Path.of("stats", "views"), Value.of(5L)),
                        new FieldOp.Increment(Path.of("counter"), Value.of(1.5)),
                        new FieldOp.Restart(Path.of("k"), Value.of(10L)),
                        new FieldOp.Restart(Path.of("z"), Value.of(0L)));
    }

    @Test
    void setToMissingUnsetsAndObjectsAndNullsAreValues() {
        assertThat(ops("UPDATE c SET a = nope, b = NULL, c = {'x': [1]}, list[1] = 9", Map.of()))
                .containsExactly(
                        new FieldOp.Unset(Path.of("a")),
                        new FieldOp.Set(Path.of("b"), Value.NULL),
                        new FieldOp.Set(Path.of("c"), Eval.value("{'x': [1]}")),
                        new FieldOp.Set(new Path(List.of(new Path.Key("list"), new Path.Index(1))), Value.of(9L)));
    }

    @Test
    void nonNumericAmountsAreInvalidAtTheAmount() {
        DqlException e =
                catchThrowableOfType(DqlException.class, () -> ops("UPDATE c APPLY n INCREMENT BY name", Map.of()));
        assertThat(e).hasMessage("line 1, column 31: INCREMENT BY needs a number but got a string");
        assertThat(e.kind()).isEqualTo(DqlException.Kind.INVALID);
        assertThatThrownBy(() -> ops("UPDATE c APPLY n RESTART WITH :v", Map.of("v", Value.fromJava(List.of()))))
                .hasMessage("line 1, column 31: RESTART WITH needs a number but got an array");
        assertThatThrownBy(() -> ops("UPDATE c APPLY n INCREMENT BY nope", Map.of()))
                .hasMessage("line 1, column 31: INCREMENT BY needs a number but got MISSING");
    }

    @Test
    void insertDocuments() {
        InsertStatement s = (InsertStatement) Dql.parse(
                "INSERT INTO c DOCUMENTS ({'_id': :id, 'n': 1 + 1, 'when': clock(), 'skip': :none}), (:doc), ({})");
        List<Value> docs = QueryExecutor.insertDocuments(
                s,
                Eval.ctx(Map.of(
                        "id",
                        Value.of("k1"),
                        "none",
                        Value.MISSING,
                        "doc",
                        Value.fromJava(Map.of("a", List.of(1, 2))))));
        assertThat(docs).hasSize(3);
        assertThat(dql(docs.get(0))).isEqualTo("{'_id': 'k1', 'n': 2, 'when': '2024-06-01T12:00:00.000Z'}");
        assertThat(dql(docs.get(1))).isEqualTo("{'a': [1, 2]}");
        assertThat(dql(docs.get(2))).isEqualTo("{}");
    }

    @Test
    void insertedValuesThatAreNotObjectsAreInvalidAtTheirExpression() {
        InsertStatement s = (InsertStatement) Dql.parse("INSERT INTO c DOCUMENTS ({'a': 1}),\n  (:doc)");
        DqlException e = catchThrowableOfType(
                DqlException.class, () -> QueryExecutor.insertDocuments(s, Eval.ctx(Map.of("doc", Value.of("text")))));
        assertThat(e).hasMessage("line 2, column 4: DOCUMENTS needs an object or an array of objects but got a string");
        assertThat(e.kind()).isEqualTo(DqlException.Kind.INVALID);
        assertThatThrownBy(() -> QueryExecutor.insertDocuments(s, Eval.ctx(Map.of("doc", Value.NULL))))
                .hasMessage("line 2, column 4: DOCUMENTS needs an object or an array of objects but got NULL");
        Value mixed = Value.fromJava(List.of(Map.of("a", 1), "text"));
        assertThatThrownBy(() -> QueryExecutor.insertDocuments(s, Eval.ctx(Map.of("doc", mixed))))
                .as("an array argument must hold objects only")
                .hasMessage("line 2, column 4: DOCUMENTS needs objects, but item 1 of the array is a string");
    }

    @Test
    void anArrayOfDocumentsInsertsEachOfItsObjects() {
        InsertStatement s = (InsertStatement) Dql.parse("INSERT INTO c DOCUMENTS ({'a': 0}), (:docs), ([{'a': 3}])");
        Value docs = Value.fromJava(List.of(Map.of("a", 1), Map.of("a", 2)));
        List<Value> out = QueryExecutor.insertDocuments(s, Eval.ctx(Map.of("docs", docs)));
        assertThat(out).extracting(Eval::dql).containsExactly("{'a': 0}", "{'a': 1}", "{'a': 2}", "{'a': 3}");
        assertThat(QueryExecutor.insertDocuments(s, Eval.ctx(Map.of("docs", Value.Arr.EMPTY))))
                .as("an empty array inserts nothing")
                .hasSize(2);
    }

    @Test
    void checkArgumentsNamesTheFirstMissingReference() {
        Statement s = Dql.parse("SELECT * FROM people WHERE age > :min AND city = :city");
        QueryExecutor.checkArguments(s, Map.of("min", Value.of(1L), "city", Value.NULL));
        DqlException e = catchThrowableOfType(
                DqlException.class, () -> QueryExecutor.checkArguments(s, Map.of("min", Value.of(1L))));
        assertThat(e).hasMessage("line 1, column 50: argument :city was not supplied");
        assertThat(e.kind()).isEqualTo(DqlException.Kind.ARGUMENT);
        assertThat(e.line()).isEqualTo(1);
        assertThat(e.column()).isEqualTo(50);
        assertThatThrownBy(() -> QueryExecutor.checkArguments(Dql.parse("INSERT INTO c DOCUMENTS (:d)"), Map.of()))
                .hasMessage("line 1, column 26: argument :d was not supplied");
        assertThatThrownBy(
                        () -> QueryExecutor.checkArguments(Dql.parse("UPDATE c SET a = 1 WHERE _id = :id"), Map.of()))
                .hasMessage("line 1, column 32: argument :id was not supplied");
        QueryExecutor.checkArguments(Dql.parse("SELECT * FROM c"), Map.of());
    }

    @Test
    void everyEntryPointChecksArguments() {
        InMemorySource src = new InMemorySource();
        assertThatThrownBy(() -> QueryExecutor.matching(Dql.parse("DELETE FROM c WHERE a = :x"), src, Eval.ctx()))
                .hasMessageContaining("argument :x was not supplied");
        assertThatThrownBy(() ->
                        QueryExecutor.updateOps((UpdateStatement) Dql.parse("UPDATE c SET a = :x"), DOC, Eval.ctx()))
                .hasMessageContaining("argument :x was not supplied");
        assertThatThrownBy(() -> QueryExecutor.insertDocuments(
                        (InsertStatement) Dql.parse("INSERT INTO c DOCUMENTS (:x)"), Eval.ctx()))
                .hasMessageContaining("argument :x was not supplied");
    }

    @Test
    void matchingReturnsWhereMatchesOrEverything() {
        InMemorySource src = new InMemorySource()
                .add(
                        "c",
                        "{'_id': 3, 'done': TRUE}",
                        "{'_id': 1, 'done': FALSE}",
                        "{'_id': 2, 'done': TRUE}",
                        "{'_id': 4}");
        assertThat(QueryExecutor.matching(Dql.parse("DELETE FROM c WHERE done"), src, Eval.ctx()))
                .extracting(d -> d.get("_id"))
                .containsExactly(Value.of(2L), Value.of(3L));
        assertThat(QueryExecutor.matching(Dql.parse("EVICT FROM c"), src, Eval.ctx()))
                .hasSize(4);
        assertThat(QueryExecutor.matching(Dql.parse("UPDATE c SET x = 1 WHERE done IS MISSING"), src, Eval.ctx()))
                .extracting(d -> d.get("_id"))
                .containsExactly(Value.of(4L));
        assertThat(QueryExecutor.matching(Dql.parse("SELECT x FROM c WHERE NOT done"), src, Eval.ctx()))
                .hasSize(1);
        assertThatThrownBy(() -> QueryExecutor.matching(Dql.parse("INSERT INTO c DOCUMENTS ({})"), src, Eval.ctx()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
