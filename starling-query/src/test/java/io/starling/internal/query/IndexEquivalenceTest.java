package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.index.IndexDefinition;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The planner never changes a result: over random data sets (mixed types, MISSING and NULL, nested fields, numbers
 * spelled as integers and floats), random single and composite indexes with random directions, and random
 * statements (=, IN, ranges, BETWEEN, LIKE, AND/OR/NOT, IS NULL/MISSING; ORDER BY, LIMIT, OFFSET, DISTINCT,
 * GROUP BY, aggregates), a source with indexes returns exactly the list a source without indexes returns, and
 * UPDATE/DELETE matching returns exactly the documents the WHERE accepts, in _id order. jqwik prints the seed and
 * the shrunk failing scenario.
 */
class IndexEquivalenceTest {

    /** One data set, its indexes, a statement and its arguments. */
    record Scenario(
            List<Value.Obj> docs, List<IndexDefinition> indexes, String select, String where, Map<String, Value> args) {
        @Override
        public String toString() {
            StringBuilder sb =
                    new StringBuilder("\n  statement: ").append(select).append("\n  indexes:");
            for (IndexDefinition d : indexes) sb.append("\n    ").append(d);
            sb.append("\n  args: ").append(args).append("\n  docs:");
            for (Value.Obj d : docs) sb.append("\n    ").append(Eval.dql(d));
            return sb.toString();
        }
    }

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE)
    void indexedPlansReturnWhatAFullScanReturns(@ForAll("scenarios") Scenario sc) {
        InMemorySource src = new InMemorySource().addAll("c", sc.docs());
        for (IndexDefinition d : sc.indexes()) src.index(d);
        EvalContext ctx = Eval.ctx(sc.args());

        SelectStatement select = (SelectStatement) Dql.parse(sc.select());
        List<Value.Obj> expected = QueryExecutor.select(select, src.withoutIndexes(), ctx);
        List<Value.Obj> actual = QueryExecutor.select(select, src, ctx);
        assertThat(Eval.dql(actual)).as("%s", sc).isEqualTo(Eval.dql(expected));
        assertThat(actual).as("%s", sc).isEqualTo(expected);
        // scans that decode only the fields the statement reads (FieldRefs) give the same result
        assertThat(QueryExecutor.select(select, src.narrowing(), ctx))
                .as("%s", sc)
                .isEqualTo(expected);

        Statement delete = Dql.parse("DELETE FROM c" + (sc.where() == null ? "" : " WHERE " + sc.where()));
        List<Value.Obj> bruteForce = new ArrayList<>();
        for (Value.Obj d : sc.docs().stream().sorted(QueryPlan.BY_ID).toList()) {
            if (QueryExecutor.matches(delete, d, ctx)) bruteForce.add(d);
        }
        assertThat(QueryExecutor.matching(delete, src, ctx)).as("%s", sc).isEqualTo(bruteForce);
        assertThat(QueryExecutor.matching(delete, src.withoutIndexes(), ctx))
                .as("%s", sc)
                .isEqualTo(bruteForce);

        Value.Obj plan = QueryExecutor.explain((ExplainStatement) Dql.parse("EXPLAIN " + sc.select()), src, ctx);
        assertThat(plan.get("plan")).isInstanceOf(Value.Obj.class);
        Statistics.label("access").collect(accessOf(plan.get("plan")));
        String json = JsonText.write(plan);
        Statistics.label("sort avoided")
                .collect(
                        json.contains("\"avoided\":true")
                                ? (json.contains("},{") ? "yes, several ranges" : "yes")
                                : "no");
    }

    /** The access operator at the bottom of an EXPLAIN tree. */
    private static String accessOf(Value op) {
        Value.Obj o = (Value.Obj) op;
        Value input = o.get("input");
        return input instanceof Value.Obj ? accessOf(input) : ((Value.Str) o.get("operator")).value();
    }

    // ---------------------------------------------------------------------------------------------- generators

    private static final Value.Bin BIN_EMPTY = new Value.Bin(new byte[0]);
    private static final Value.Bin BIN_ONE = new Value.Bin(new byte[] {1});

    /** Field values: small domains, so that equal keys, ties and cross-type neighbours are frequent. */
    private static final List<Value> VALUES = List.of(
            Value.NULL,
            Value.TRUE,
            Value.FALSE,
            Value.of(-2L),
            Value.of(0L),
            Value.of(1L),
            Value.of(2L),
            Value.of(3L),
            Value.of(-1.5),
            Value.of(0.0),
            Value.of(1.0),
            Value.of(2.0),
            Value.of(2.5),
            Value.of(""),
            Value.of("a"),
            Value.of("ab"),
            Value.of("abc"),
            Value.of("abd"),
            Value.of("b"),
            Value.of("B"),
            Value.of("a%"),
            Value.of("é"),
            Value.of("😀"),
            Value.of("a😀"),
            Value.of("\uDBFF\uDFFF"),
            arr(),
            arr(Value.of(1L)),
            arr(Value.of(1.0)),
            arr(Value.of(1L), Value.of(2L)),
            arr(Value.of(1.0), Value.of(1L)),
            arr(Value.of("a")),
            arr(Value.NULL),
            Value.Obj.EMPTY,
            obj(Value.of(1L)),
            obj(Value.of(1.0)),
            obj(Value.of("a")));

    /** A few values drawn more often, so that conditions and IN lists meet the data. */
    private static final List<Value> COMMON = List.of(
            Value.of(1L),
            Value.of(2L),
            Value.of(2.0),
            Value.of("a"),
            Value.of("ab"),
            Value.of("a😀"),
            Value.TRUE,
            Value.NULL);

    /** Constants written in statements (binary has no literal; it comes in through arguments). */
    private static final List<Value> CONSTANTS;

    static {
        List<Value> c = new ArrayList<>(VALUES);
        c.add(Value.of(1.5));
        c.add(Value.of("ac"));
        CONSTANTS = List.copyOf(c);
    }

    private static final List<Value> IDS = List.of(
            Value.of(-3L),
            Value.of(-1L),
            Value.of(0L),
            Value.of(1L),
            Value.of(2L),
            Value.of(3L),
            Value.of(5L),
            Value.of(8L),
            Value.of(13L),
            Value.of(64L),
            Value.of(128L),
            Value.of(""),
            Value.of("a"),
            Value.of("aa"),
            Value.of("ab"),
            Value.of("b"),
            Value.of("ba"),
            Value.of("😀"),
            Value.TRUE,
            Value.FALSE,
            obj(Value.of(1L)),
            obj(Value.of(2L)));

    private static final List<String> PATHS = List.of("a", "b", "c", "n.x", "_id", "n");

    private static final List<String> LIKE_PATTERNS = List.of(
            "'a%'",
            "'ab%'",
            "'a'",
            "''",
            "'%'",
            "'%b'",
            "'a_c'",
            "'a\\\\%%'",
            "'😀%'",
            "'é%'",
            "'A%'",
            "'_%'",
            "'\uDBFF\uDFFF%'",
            "'a\uD83D%'");

    private static Value.Arr arr(Value... items) {
        return new Value.Arr(List.of(items));
    }

    private static Value.Obj obj(Value k) {
        return new Value.Obj(Map.of("k", k));
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<Value> fieldValue = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(Value.MISSING)),
                Tuple.of(3, Arbitraries.of(VALUES)),
                Tuple.of(3, Arbitraries.of(COMMON)),
                Tuple.of(1, Arbitraries.of(BIN_EMPTY, BIN_ONE)));
        Arbitrary<Value> nested = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(Value.MISSING)),
                Tuple.of(1, fieldValue),
                Tuple.of(4, fieldValue.map(x -> x.isMissing() ? Value.Obj.EMPTY : new Value.Obj(Map.of("x", x)))));
        Arbitrary<List<Value>> fields =
                Combinators.combine(fieldValue, fieldValue, fieldValue, nested).as(List::of);
        Arbitrary<List<Value.Obj>> docs = Arbitraries.of(IDS)
                .list()
                .uniqueElements()
                .ofMaxSize(24)
                .flatMap(ids -> fields.list().ofSize(ids.size()).map(fs -> {
                    List<Value.Obj> out = new ArrayList<>();
                    for (int i = 0; i < ids.size(); i++) {
                        Map<String, Value> m = new LinkedHashMap<>();
                        m.put("_id", ids.get(i));
                        m.put("a", fs.get(i).get(0));
                        m.put("b", fs.get(i).get(1));
                        m.put("c", fs.get(i).get(2));
                        m.put("n", fs.get(i).get(3));
                        out.add(new Value.Obj(m));
                    }
                    return out;
                }));
        Arbitrary<String> indexPaths = Arbitraries.frequency(
                Tuple.of(5, "a"),
                Tuple.of(3, "b"),
                Tuple.of(1, "c"),
                Tuple.of(2, "n.x"),
                Tuple.of(1, "_id"),
                Tuple.of(1, "n"));
        Arbitrary<IndexDefinition.Field> field = Combinators.combine(indexPaths, Arbitraries.of(false, true))
                .as((p, desc) -> new IndexDefinition.Field(path(p), desc));
        Arbitrary<List<IndexDefinition.Field>> keys =
                field.list().ofMinSize(1).ofMaxSize(3).uniqueElements(IndexDefinition.Field::path);
        Arbitrary<List<IndexDefinition>> indexes = Arbitraries.frequencyOf(
                        Tuple.of(1, Arbitraries.just(List.<List<IndexDefinition.Field>>of())),
                        Tuple.of(9, keys.list().ofMinSize(1).ofMaxSize(3)))
                .map(ks -> {
                    List<IndexDefinition> out = new ArrayList<>();
                    for (int i = 0; i < ks.size(); i++) out.add(new IndexDefinition("ix" + i, "c", ks.get(i)));
                    return out;
                });
        Arbitrary<Value> arg = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.of(CONSTANTS)), Tuple.of(1, Arbitraries.of(BIN_EMPTY, BIN_ONE, Value.MISSING)));
        Arbitrary<Map<String, Value>> args = Combinators.combine(
                        arg, arg.list().ofMaxSize(4), Arbitraries.of(LIKE_PATTERNS))
                .as((p, arr, like) -> Map.of("p", p, "arr", new Value.Arr(arr), "s", Eval.value(like)));
        return indexes.flatMap(ix -> {
            Arbitrary<String> paths = pathsFor(ix);
            Arbitrary<String> where = Arbitraries.frequencyOf(
                            Tuple.of(3, leaf(paths)),
                            Tuple.of(
                                    2,
                                    Combinators.combine(leaf(paths), leaf(paths))
                                            .as((x, y) -> x + " AND " + y)),
                            Tuple.of(4, condition(3, paths)))
                    .injectNull(0.1);
            Arbitrary<Tuple.Tuple2<String, String>> statement = ix.isEmpty()
                    ? statement(where, paths)
                    : Arbitraries.frequencyOf(Tuple.of(3, statement(where, paths)), Tuple.of(2, indexShaped(ix)));
            return Combinators.combine(docs, statement, args)
                    .as((d, st, a) -> new Scenario(d, ix, st.get1(), st.get2(), a));
        });
    }

    /** Paths for conditions and ORDER BY: mostly the indexes' fields, leading ones first. */
    private static Arbitrary<String> pathsFor(List<IndexDefinition> indexes) {
        List<Tuple.Tuple2<Integer, String>> weighted = new ArrayList<>();
        for (String p : PATHS) weighted.add(Tuple.of(1, p));
        for (IndexDefinition d : indexes) {
            for (int i = 0; i < d.fields().size(); i++) {
                weighted.add(Tuple.of(i == 0 ? 4 : 2, d.fields().get(i).path().toString()));
            }
        }
        @SuppressWarnings("unchecked")
        Tuple.Tuple2<Integer, String>[] array = weighted.toArray(new Tuple.Tuple2[0]);
        return Arbitraries.frequency(array);
    }

    private static Path path(String dotted) {
        return Path.of(dotted.split("\\."));
    }

    /** A SELECT and its WHERE text (null when none). */
    private Arbitrary<Tuple.Tuple2<String, String>> statement(Arbitrary<String> where, Arbitrary<String> paths) {
        Arbitrary<Integer> shape = Arbitraries.integers().between(0, 6);
        Arbitrary<String> limit =
                Arbitraries.integers().between(0, 6).map(n -> " LIMIT " + n).injectNull(0.4);
        Arbitrary<String> offset =
                Arbitraries.integers().between(0, 3).map(n -> " OFFSET " + n).injectNull(0.6);
        Arbitrary<List<String>> order = Combinators.combine(
                        Arbitraries.frequencyOf(Tuple.of(6, paths), Tuple.of(1, Arbitraries.just("bb"))),
                        Arbitraries.of("", " DESC", " ASC"))
                .as((p, d) -> p + d)
                .list()
                .ofMaxSize(3);
        Arbitrary<List<String>> groupOrder = Combinators.combine(Arbitraries.of("a", "n"), Arbitraries.of("", " DESC"))
                .as((p, d) -> p + d)
                .list()
                .ofMaxSize(2);
        return Combinators.combine(shape, where, order, groupOrder, limit, offset)
                .as((sh, w, o, go, l, off) -> {
                    String w1 = w == null ? "" : " WHERE " + w;
                    String tail = (l == null ? "" : l) + (off == null ? "" : off);
                    String sql;
                    switch (sh) {
                        case 0:
                            sql = "SELECT * FROM c" + w1 + orderBy(o, false) + tail;
                            break;
                        case 1:
                            sql = "SELECT a, b AS bb, n.x FROM c" + w1 + orderBy(o, true) + tail;
                            break;
                        case 2:
                            sql = "SELECT DISTINCT a FROM c" + w1 + orderBy(o, false) + tail;
                            break;
                        case 3:
                            sql = "SELECT COUNT(*) AS n, SUM(a) AS s, MIN(b) AS mn, MAX(c) AS mx, AVG(a) AS av FROM c"
                                    + w1 + tail;
                            break;
                        case 4:
                            sql = "SELECT a, COUNT(*) AS n, MIN(b) AS mn FROM c" + w1 + " GROUP BY a"
                                    + orderBy(go, true) + tail;
                            break;
                        case 5:
                            sql = "SELECT COUNT(*) AS n FROM c" + w1 + tail;
                            break;
                        default:
                            sql = "SELECT _id, a FROM c" + w1 + orderBy(o, false) + tail;
                            break;
                    }
                    return Tuple.of(sql, w);
                });
    }

    /**
     * A query made for one of the indexes: conditions on its leading fields, ORDER BY along its fields (in its
     * directions, all reversed, or mixed), LIMIT and OFFSET — the shapes where ranges, order and push-down meet.
     */
    private Arbitrary<Tuple.Tuple2<String, String>> indexShaped(List<IndexDefinition> ix) {
        return Arbitraries.of(ix).flatMap(d -> {
            List<String> fields = new ArrayList<>();
            for (IndexDefinition.Field f : d.fields()) fields.add(f.path().toString());
            Arbitrary<String> first = leaf(Arbitraries.just(fields.get(0)));
            Arbitrary<String> second =
                    fields.size() > 1 ? leaf(Arbitraries.just(fields.get(1))).injectNull(0.5) : Arbitraries.just(null);
            Arbitrary<Integer> orderLength = Arbitraries.integers().between(0, fields.size());
            Arbitrary<Integer> direction = Arbitraries.integers().between(0, 2); // as the index, reversed, random
            Arbitrary<List<Boolean>> coins = Arbitraries.of(false, true).list().ofSize(fields.size());
            Arbitrary<String> limit =
                    Arbitraries.integers().between(1, 5).map(n -> " LIMIT " + n).injectNull(0.3);
            Arbitrary<String> offset = Arbitraries.integers()
                    .between(1, 3)
                    .map(n -> " OFFSET " + n)
                    .injectNull(0.7);
            Arbitrary<String> select =
                    Arbitraries.of("SELECT * FROM c", "SELECT _id, " + fields.get(0) + " AS k FROM c");
            return Combinators.combine(select, first, second, orderLength, direction, coins, limit, offset)
                    .as((sel, w1, w2, len, dir, coin, l, off) -> {
                        String where = w2 == null ? w1 : w1 + " AND " + w2;
                        List<String> order = new ArrayList<>();
                        for (int i = 0; i < len; i++) {
                            boolean desc = d.fields().get(i).descending();
                            if (dir == 1 || (dir == 2 && coin.get(i))) desc = !desc;
                            order.add(fields.get(i) + (desc ? " DESC" : ""));
                        }
                        String sql = sel + " WHERE " + where
                                + (order.isEmpty() ? "" : " ORDER BY " + String.join(", ", order))
                                + (l == null ? "" : l) + (off == null ? "" : off);
                        return Tuple.of(sql, where);
                    });
        });
    }

    /** ORDER BY over the items; the alias {@code bb} only where the statement defines it. */
    private static String orderBy(List<String> items, boolean aliases) {
        List<String> usable = new ArrayList<>();
        for (String i : items) if (aliases || !i.startsWith("bb")) usable.add(i);
        return usable.isEmpty() ? "" : " ORDER BY " + String.join(", ", usable);
    }

    private Arbitrary<String> condition(int depth, Arbitrary<String> paths) {
        if (depth == 0) return leaf(paths);
        Arbitrary<String> sub = Arbitraries.lazy(() -> condition(depth - 1, paths));
        return Arbitraries.frequencyOf(
                Tuple.of(6, leaf(paths)),
                Tuple.of(2, Combinators.combine(sub, sub).as((x, y) -> "(" + x + " AND " + y + ")")),
                Tuple.of(2, Combinators.combine(sub, sub).as((x, y) -> "(" + x + " OR " + y + ")")),
                Tuple.of(1, sub.map(x -> "NOT (" + x + ")")));
    }

    private Arbitrary<String> leaf(Arbitrary<String> paths) {
        Arbitrary<String> constant = Arbitraries.frequencyOf(
                        Tuple.of(1, Arbitraries.of(CONSTANTS)), Tuple.of(1, Arbitraries.of(COMMON)))
                .map(Eval::dql);
        Arbitrary<String> constants = constant.list().ofMaxSize(4).map(l -> "[" + String.join(", ", l) + "]");
        return Combinators.combine(
                        Arbitraries.integers().between(0, 27),
                        paths,
                        constant,
                        constant,
                        constants,
                        Arbitraries.of(LIKE_PATTERNS))
                .as((kind, p, v, w, list, like) -> {
                    switch (kind) {
                        case 0:
                        case 1:
                            return p + " = " + v;
                        case 2:
                            return v + " = " + p;
                        case 3:
                            return p + " != " + v;
                        case 4:
                            return p + " < " + v;
                        case 5:
                            return p + " <= " + v;
                        case 6:
                            return p + " > " + v;
                        case 7:
                            return p + " >= " + v;
                        case 8:
                            return v + " < " + p;
                        case 9:
                            return p + " BETWEEN " + v + " AND " + w;
                        case 10:
                            return p + " NOT BETWEEN " + v + " AND " + w;
                        case 11:
                            return p + " IN " + list;
                        case 12:
                            return p + " IN :arr";
                        case 13:
                            return p + " NOT IN " + list;
                        case 14:
                            return p + " LIKE " + like;
                        case 15:
                            return p + " ILIKE " + like;
                        case 16:
                            return p + " IS NULL";
                        case 17:
                            return p + " IS NOT NULL";
                        case 18:
                            return p + " IS MISSING";
                        case 19:
                            return p + " IS NOT MISSING";
                        case 20:
                            return p;
                        case 21:
                            return "_id IN " + list;
                        case 22:
                            return p + " = :p";
                        case 23:
                            return p + " > :p";
                        case 24:
                            return p + " LIKE :s";
                        case 25:
                            return p + " LIKE 'a!%%' ESCAPE '!'";
                        case 26:
                            return p + " >= 1 + 1";
                        default:
                            return "_id = " + v;
                    }
                });
    }
}
