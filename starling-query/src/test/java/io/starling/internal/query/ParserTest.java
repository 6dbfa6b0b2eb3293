package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ParserTest {

    private static DqlException error(String dql) {
        return catchThrowableOfType(DqlException.class, () -> Dql.parse(dql));
    }

    // ---------------------------------------------------------------------------------------------- statements

    @Test
    void select() {
        SelectStatement s = (SelectStatement) Dql.parse(
                "select distinct a.b, c AS total, d e, lower(f) FROM `my coll` WHERE x > 1 GROUP BY a.b, c, d, lower(f) "
                        + "HAVING count(*) > 2 ORDER BY total DESC, a.b ASC LIMIT 10 OFFSET :skip;");
        assertThat(s.collection()).isEqualTo("my coll");
        assertThat(s.isMutation()).isFalse();
        assertThat(s.distinct).isTrue();
        assertThat(s.columns()).containsExactly("b", "total", "e", "($1)");
        assertThat(s.where().toDql()).isEqualTo("(x > 1)");
        assertThat(s.groupBy).hasSize(4);
        assertThat(s.orderBy.get(0).projectionIndex()).isEqualTo(1);
        assertThat(s.orderBy.get(0).descending()).isTrue();
        assertThat(s.orderBy.get(1).projectionIndex()).isEqualTo(-1);
        assertThat(s.limit.expr()).isEqualTo(new Node.Literal(Value.of(10L)));
        assertThat(s.offset.expr()).isEqualTo(new Node.Arg("skip"));
        assertThat(s.isAggregate()).isTrue();
        assertThat(s.toString())
                .isEqualTo(
                        "SELECT DISTINCT a.b, c AS total, d AS e, lower(f) FROM `my coll` WHERE (x > 1) "
                                + "GROUP BY a.b, c, d, lower(f) HAVING (count(*) > 2) ORDER BY total DESC, a.b LIMIT 10 OFFSET :skip");
    }

    @Test
    void selectStar() {
        SelectStatement s = (SelectStatement) Dql.parse("SELECT * FROM cars");
        assertThat(s.selectsAll()).isTrue();
        assertThat(s.columns()).isEmpty();
        assertThat(s.where()).isNull();
        assertThat(s.toString()).isEqualTo("SELECT * FROM cars");
    }

    @Test
    void projectionNames() {
        SelectStatement s = (SelectStatement) Dql.parse(
                "SELECT _id, a.b.c, a[0], 1 + 1, count(*), f(x).y, `we ird`, name AS n FROM t GROUP BY _id, a.b.c, a[0], f(x).y, `we ird`, name"
                        .replace("f(x)", "lower(x)"));
        assertThat(s.columns()).containsExactly("_id", "c", "($1)", "($2)", "($3)", "y", "we ird", "n");
    }

    @Test
    void limitAndOffsetInEitherOrder() {
        SelectStatement s = (SelectStatement) Dql.parse("SELECT * FROM c OFFSET 5 LIMIT :n");
        assertThat(s.offset.expr()).isEqualTo(new Node.Literal(Value.of(5L)));
        assertThat(s.limit.expr()).isEqualTo(new Node.Arg("n"));
    }

    @Test
    void dittoCollectionDeclarationsAreAcceptedAndIgnored() {
        Statement s = Dql.parse(
                "SELECT * FROM COLLECTION cars (features MAP, stats.count COUNTER) WHERE features.seats = 'leather'");
        assertThat(s.collection()).isEqualTo("cars");
        assertThat(Dql.parse("SELECT * FROM collection").collection()).isEqualTo("collection");
        assertThat(Dql.parse("UPDATE COLLECTION products (viewCount COUNTER) APPLY viewCount INCREMENT BY 1")
                        .collection())
                .isEqualTo("products");
    }

    @Test
    void insert() {
        InsertStatement s = (InsertStatement) Dql.parse(
                "INSERT INTO cars DOCUMENTS ({'_id': 1, 'color': 'blue'}), (:doc) ON ID CONFLICT DO UPDATE_LOCAL_DIFF");
        assertThat(s.collection()).isEqualTo("cars");
        assertThat(s.isMutation()).isTrue();
        assertThat(s.documents()).hasSize(2);
        assertThat(s.documents().get(1).toDql()).isEqualTo(":doc");
        assertThat(s.onIdConflict()).isEqualTo(InsertStatement.OnIdConflict.DO_UPDATE_LOCAL_DIFF);
        assertThat(s.initial()).isFalse();
        assertThat(s.toString())
                .isEqualTo(
                        "INSERT INTO cars DOCUMENTS ({'_id': 1, 'color': 'blue'}), (:doc) ON ID CONFLICT DO UPDATE_LOCAL_DIFF");
    }

    @ParameterizedTest
    @CsvSource({
        "'', FAIL",
        "ON ID CONFLICT FAIL, FAIL",
        "ON ID CONFLICT DO NOTHING, DO_NOTHING",
        "on id conflict do update, DO_UPDATE",
        "ON ID CONFLICT DO UPDATE_LOCAL_DIFF, DO_UPDATE_LOCAL_DIFF",
    })
    void conflictPolicies(String clause, InsertStatement.OnIdConflict expected) {
        InsertStatement s = (InsertStatement) Dql.parse("INSERT INTO c DOCUMENTS ({'a': 1}) " + clause);
        assertThat(s.onIdConflict()).isEqualTo(expected);
    }

    @Test
    void initialDocuments() {
        InsertStatement s = (InsertStatement) Dql.parse("INSERT INTO c INITIAL DOCUMENTS (:a), (:b)");
        assertThat(s.initial()).isTrue();
        assertThat(s.onIdConflict()).isEqualTo(InsertStatement.OnIdConflict.FAIL);
    }

    @Test
    void update() {
        UpdateStatement s = (UpdateStatement) Dql.parse(
                "UPDATE cars SET color = 'red', a.b[2].c = a.x + 1 UNSET old, `we ird` APPLY n INCREMENT BY 2, m PN_INCREMENT BY 1.5, "
                        + "k RESTART WITH 0, z RESTART SET d = 1 WHERE _id = :id");
        assertThat(s.collection()).isEqualTo("cars");
        assertThat(s.isMutation()).isTrue();
        assertThat(s.clauses).hasSize(9);
        assertThat(s.clauses.get(1).path())
                .isEqualTo(
                        new Path(List.of(new Path.Key("a"), new Path.Key("b"), new Path.Index(2), new Path.Key("c"))));
        assertThat(s.clauses.get(3).path()).isEqualTo(Path.of("we ird"));
        assertThat(((UpdateStatement.Apply) s.clauses.get(5)).kind()).isEqualTo(UpdateStatement.ApplyKind.INCREMENT);
        UpdateStatement.Apply restart = (UpdateStatement.Apply) s.clauses.get(7);
        assertThat(restart.amount()).isEqualTo(new Node.Literal(Value.of(0L)));
        assertThat(s.where().toDql()).isEqualTo("(_id = :id)");
        assertThat(s.toString())
                .isEqualTo("UPDATE cars SET color = 'red' SET a.b[2].c = (a.x + 1) UNSET old UNSET `we ird` "
                        + "APPLY n INCREMENT BY 2 APPLY m INCREMENT BY 1.5 APPLY k RESTART WITH 0 APPLY z RESTART WITH 0 SET d = 1 "
                        + "WHERE (_id = :id)");
    }

    @Test
    void updatePathsWithStringIndexesAreStatic() {
        UpdateStatement s = (UpdateStatement) Dql.parse("UPDATE c SET a['x y'][-1] = 1");
        assertThat(s.clauses.get(0).path())
                .isEqualTo(new Path(List.of(new Path.Key("a"), new Path.Key("x y"), new Path.Index(-1))));
    }

    @Test
    void deleteAndEvict() {
        DeleteStatement d = (DeleteStatement) Dql.parse("DELETE FROM c WHERE done = true");
        assertThat(d.isMutation()).isTrue();
        assertThat(d.toString()).isEqualTo("DELETE FROM c WHERE (done = TRUE)");
        EvictStatement e = (EvictStatement) Dql.parse("EVICT FROM c");
        assertThat(e.isMutation()).isTrue();
        assertThat(e.where()).isNull();
        assertThat(e.collection()).isEqualTo("c");
    }

    @Test
    void indexStatementsAndExplainParse() {
        CreateIndexStatement c =
                (CreateIndexStatement) Dql.parse("CREATE INDEX IF NOT EXISTS by_color ON cars (color ASC, a.b DESC)");
        assertThat(c.collection()).isEqualTo("cars");
        assertThat(c.name()).isEqualTo("by_color");
        assertThat(c.ifNotExists()).isTrue();
        assertThat(c.isMutation()).isTrue();
        assertThat(c.index().fields())
                .extracting(f -> f.path().toString() + (f.descending() ? " DESC" : ""))
                .containsExactly("color", "a.b DESC");
        DropIndexStatement d = (DropIndexStatement) Dql.parse("  DROP INDEX IF EXISTS by_color ON cars");
        assertThat(d.name()).isEqualTo("by_color");
        assertThat(d.collection()).isEqualTo("cars");
        assertThat(d.ifExists()).isTrue();
        assertThat(d.isMutation()).isTrue();
        assertThat(d.column()).isEqualTo(3);
        ExplainStatement x = (ExplainStatement) Dql.parse("EXPLAIN SELECT * FROM cars WHERE a = 1");
        assertThat(x.isMutation()).isFalse();
        assertThat(x.collection()).isEqualTo("cars");
        assertThat(x.explained()).isInstanceOf(SelectStatement.class);
        assertThat(error("CREATE INDEX i ON c color")).hasMessage("line 1, column 21: expected '(' but found 'color'");
        assertThat(error("EXPLAIN SELEC * FROM c").kind()).isEqualTo(DqlException.Kind.SYNTAX);
    }

    @Test
    void keywordsAreCaseInsensitiveIdentifiersAreNot() {
        SelectStatement s = (SelectStatement) Dql.parse("sElEcT Name FrOm People wHeRe Age >= 18");
        assertThat(s.collection()).isEqualTo("People");
        assertThat(s.columns()).containsExactly("Name");
    }

    @Test
    void contextualKeywordsStayUsableAsFieldNames() {
        Dql.parse(
                "SELECT documents, conflict, id, valued, increment, restart, type, count, value FROM c WHERE index = 1");
        Dql.parse("SELECT a.from, a.`order` FROM c");
    }

    @Test
    void commentsAnywhere() {
        Statement s = Dql.parse("-- list\nSELECT /* everything */ * FROM c -- trailing\n");
        assertThat(s.collection()).isEqualTo("c");
    }

    // ---------------------------------------------------------------------------------------------- expressions

    @ParameterizedTest
    @CsvSource(
            delimiterString = " | ",
            quoteCharacter = '^',
            value = {
                "a OR b AND c                     | (a OR (b AND c))",
                "NOT a = b                        | (NOT (a = b))",
                "NOT a AND b                      | ((NOT a) AND b)",
                "a = 1 OR b <> 2                  | ((a = 1) OR (b != 2))",
                "a == 1                           | (a = 1)",
                "1 + 2 * 3 - 4 / 5 % 6            | ((1 + (2 * 3)) - ((4 / 5) % 6))",
                "'a' || b + 1                     | ('a' || (b + 1))",
                "a || b = c                       | ((a || b) = c)",
                "-a.b                             | -(a.b)",
                "- 5                              | -5",
                "-(5)                             | -(5)",
                "+x                               | x",
                "-9223372036854775808             | -9223372036854775808",
                "9223372036854775808.0            | 9.223372036854776E18",
                "2.50                             | 2.5",
                "x BETWEEN 1 AND 2 AND y          | ((x BETWEEN 1 AND 2) AND y)",
                "x NOT BETWEEN a + 1 AND 5        | (x NOT BETWEEN (a + 1) AND 5)",
                "x IN (1, 2, 3)                   | (x IN [1, 2, 3])",
                "x IN (1)                         | (x IN 1)",
                "x NOT IN :list                   | (x NOT IN :list)",
                "x IN ['a', :b]                   | (x IN ['a', :b])",
                "x IN tags                        | (x IN tags)",
                "name LIKE 'a%' ESCAPE '!'        | (name LIKE 'a%' ESCAPE '!')",
                "name NOT ILIKE :p                | (name NOT ILIKE :p)",
                "a IS NULL OR b IS NOT MISSING    | ((a IS NULL) OR (b IS NOT MISSING))",
                "a IS VALUED                      | (a IS VALUED)",
                "a.b[0].`c d`.e                   | a.b[0].`c d`.e",
                "a['b'][-1]                       | a.b[-1]",
                "(a).b                            | a.b",
                "a[:i].b[0]                       | a[:i].b[0]",
                "a[i + 1]                         | a[(i + 1)]",
                "lower(name).x                    | lower(name).x",
                "[1, 2][0]                        | ([1, 2])[0]",
                "{'a': 1}.a                       | ({'a': 1}).a",
                "{a: 1, \"b\": 'x', `c d`: TRUE}  | {'a': 1, 'b': 'x', 'c d': TRUE}",
                "[]                               | []",
                "{}                               | {}",
                "LOWER(x)                         | lower(x)",
                "substring(x, 1)                  | substr(x, 1)",
                "cast(x AS string)                | cast(x, 'string')",
                "CAST(x, 'INT')                   | cast(x, 'INT')",
                "CASE WHEN a THEN 1 ELSE 2 END    | CASE WHEN a THEN 1 ELSE 2 END",
                "case x when 1 then 'a' end       | CASE x WHEN 1 THEN 'a' END",
                "ANY v IN a SATISFIES v.x = 1 END | ANY v IN a SATISFIES (v.x = 1) END",
                "EVERY v IN a SATISFIES v > a END | EVERY v IN a SATISFIES (v > a) END",
                "ARRAY v.x FOR v IN a WHEN v.y END | ARRAY v.x FOR v IN a WHEN v.y END",
                "ARRAY ARRAY w FOR w IN v END FOR v IN a END | ARRAY ARRAY w FOR w IN v END FOR v IN a END",
                "ARRAY CASE WHEN v THEN 1 END FOR v IN a END | ARRAY CASE WHEN v THEN 1 END FOR v IN a END",
                "'it''s' || \"q\"                 | ('it''s' || 'q')",
                "TRUE AND false OR NULL AND missing | ((TRUE AND FALSE) OR (NULL AND MISSING))",
            })
    void expressionShapes(String src, String printed) {
        assertThat(Dql.parseExpression(src).toDql()).isEqualTo(printed);
    }

    @Test
    void variablesResolveToSlotsAndShadow() {
        Node n = Parser.parseExpression("ANY v IN a SATISFIES ANY v IN v.b SATISFIES v = 1 END END");
        Node.Quantified outer = (Node.Quantified) n;
        assertThat(outer.slot()).isZero();
        Node.Quantified inner = (Node.Quantified) outer.condition();
        assertThat(inner.slot()).isEqualTo(1);
        assertThat(inner.source()).isEqualTo(new Node.VarPath(0, "v", List.of(new Path.Key("b"))));
        assertThat(((Node.Binary) inner.condition()).left()).isEqualTo(new Node.VarPath(1, "v", List.of()));
        assertThat(Parser.parseExpression("ARRAY v FOR v IN v END").toString())
                .as("the source of ARRAY is outside the variable's scope")
                .isEqualTo("ARRAY v FOR v IN v END");
        Node.ArrayFor f = (Node.ArrayFor) Parser.parseExpression("ARRAY v FOR v IN v END");
        assertThat(f.mapping()).isInstanceOf(Node.VarPath.class);
        assertThat(f.source()).isInstanceOf(Node.Field.class);
    }

    @Test
    void argumentsNeedAName() {
        assertThat(Dql.parseExpression(":a").toDql()).isEqualTo(":a");
        assertThat(Dql.parseExpression(":`odd name`")).isEqualTo(new Node.Arg("odd name"));
        assertThat(Dql.parseExpression("{'k'::v}").toDql()).isEqualTo("{'k': :v}");
        assertThat(Dql.parseExpression("{'flag':true}").toDql()).isEqualTo("{'flag': TRUE}");
        assertThatThrownBy(() -> Dql.parseExpression(": a"))
                .hasMessage("line 1, column 1: expected an argument name right after ':'");
    }

    // ---------------------------------------------------------------------------------------------- errors

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '^',
            value = {
                "SELECT * FORM c                        | SYNTAX  | line 1, column 10: expected FROM but found 'FORM'",
                "SELECT a FROM                          | SYNTAX  | line 1, column 14: expected a collection name but found end of input",
                "SELECT a, FROM c                       | SYNTAX  | line 1, column 11: expected an expression but found 'FROM'",
                "^^                                     | SYNTAX  | line 1, column 1: empty statement",
                "^   -- nothing^                        | SYNTAX  | line 1, column 14: empty statement",
                ";                                      | SYNTAX  | line 1, column 1: empty statement",
                "SELECT * FROM c WHERE                  | SYNTAX  | line 1, column 22: expected an expression but found end of input",
                "SELECT * FROM c WHERE a = 1 b          | SYNTAX  | line 1, column 29: unexpected 'b' after the end of the statement",
                "SELECT * FROM c;;                      | SYNTAX  | line 1, column 17: unexpected ';' after the end of the statement",
                "SELECT * FROM c WHERE (a = 1           | SYNTAX  | line 1, column 29: expected ')' but found end of input",
                "SELECT * FROM c WHERE a IS 5           | SYNTAX  | line 1, column 28: expected NULL, MISSING or VALUED after IS but found '5'",
                "SELECT * FROM c WHERE a BETWEEN 1 OR 2 | SYNTAX  | line 1, column 35: expected AND but found 'OR'",
                "SELECT * FROM c WHERE CASE a END       | SYNTAX  | line 1, column 30: expected WHEN but found 'END'",
                "SELECT * FROM c LIMIT x                | SYNTAX  | line 1, column 23: expected an integer or an :argument after LIMIT but found 'x'",
                "SELECT * FROM c LIMIT -1               | INVALID | line 1, column 23: LIMIT must be a non-negative integer but was -1",
                "SELECT * FROM c OFFSET 1.5             | INVALID | line 1, column 24: OFFSET must be a non-negative integer but was 1.5",
                "SELEC * FROM c                         | SYNTAX  | line 1, column 1: expected SELECT, INSERT, UPDATE, DELETE, EVICT, CREATE, DROP or EXPLAIN but found 'SELEC'",
                "SELECT * FROM c WHERE a.               | SYNTAX  | line 1, column 25: expected a field name after '.' but found end of input",
                "SELECT * FROM c WHERE lenght(a) > 1    | INVALID | line 1, column 23: unknown function 'lenght'",
                "SELECT * FROM c WHERE lower(a, b)      | INVALID | line 1, column 23: function 'lower' takes 1 argument but was given 2",
                "SELECT * FROM c WHERE substr(a)        | INVALID | line 1, column 23: function 'substr' takes 2 to 3 arguments but was given 1",
                "SELECT * FROM c WHERE concat()         | INVALID | line 1, column 23: function 'concat' takes at least 1 argument but was given 0",
                "SELECT * FROM c WHERE cast(a AS blob)  | INVALID | line 1, column 23: unknown cast type 'blob' (expected string, number, int, float, boolean, array or object)",
                "SELECT * FROM c WHERE regexp_like(a, '(') | INVALID | line 1, column 23: invalid regular expression: Unclosed group",
                "SELECT * FROM c WHERE regexp_like(a, 'x', 'q') | INVALID | line 1, column 23: unknown regexp_like flag 'q' (expected i, c, m, s or x)",
                "SELECT * FROM c WHERE a LIKE 'x!' ESCAPE '!' | INVALID | line 1, column 25: LIKE pattern ends with its escape character",
                "SELECT * FROM c WHERE a LIKE 'x' ESCAPE 'ab' | INVALID | line 1, column 25: ESCAPE must be a single character",
                "SELECT * FROM c WHERE count(*) > 1     | INVALID | line 1, column 23: aggregate COUNT is not allowed in WHERE",
                "SELECT * FROM c GROUP BY count(a)      | INVALID | line 1, column 26: aggregate COUNT is not allowed in GROUP BY",
                "SELECT sum(count(a)) FROM c            | INVALID | line 1, column 12: aggregate COUNT cannot be nested inside another aggregate",
                "SELECT max(a, b) FROM c                | INVALID | line 1, column 8: aggregate MAX takes 1 argument; for the larger of two values use a CASE",
                "SELECT sum(*) FROM c                   | INVALID | line 1, column 12: SUM(*) is not valid; only COUNT(*) is",
                "SELECT * FROM c GROUP BY a             | INVALID | line 1, column 8: SELECT * cannot be combined with GROUP BY or aggregates",
                "SELECT DISTINCT * FROM c WHERE count(*) > 0 | INVALID | line 1, column 32: aggregate COUNT is not allowed in WHERE",
                "SELECT DISTINCT * FROM c HAVING count(*) > 0 | INVALID | line 1, column 17: SELECT * cannot be combined with GROUP BY or aggregates",
                "SELECT count(a, b) FROM c              | INVALID | line 1, column 8: aggregate COUNT takes 1 argument",
                "SELECT min(a, b) FROM c                | INVALID | line 1, column 8: aggregate MIN takes 1 argument; for the smaller of two values use a CASE",
                "SELECT length(a, a) FROM c             | INVALID | line 1, column 8: function 'length' takes 1 argument but was given 2",
                "SELECT Char_Length() FROM c            | INVALID | line 1, column 8: function 'Char_Length' takes 1 argument but was given 0",
                "SELECT coalesce() FROM c               | INVALID | line 1, column 8: function 'coalesce' takes at least 1 argument but was given 0",
                "UPDATE c APPLY a[0] INCREMENT BY 1     | INVALID | line 1, column 16: APPLY needs a field path without array positions, not a[0] (a counter cannot live inside an array)",
                "UPDATE c SET x = 1 APPLY a.b[-1].c RESTART | INVALID | line 1, column 26: APPLY needs a field path without array positions, not a.b[-1].c (a counter cannot live inside an array)",
                "SELECT a, count(*) FROM c              | INVALID | line 1, column 8: 'a' must appear in GROUP BY or inside an aggregate",
                "SELECT status, customerId, COUNT(*) FROM orders GROUP BY status | INVALID | line 1, column 16: 'customerId' must appear in GROUP BY or inside an aggregate",
                "SELECT a FROM c GROUP BY a ORDER BY b  | INVALID | line 1, column 37: 'b' must appear in GROUP BY or inside an aggregate",
                "SELECT a FROM c GROUP BY a HAVING b > 1 | INVALID | line 1, column 35: 'b' must appear in GROUP BY or inside an aggregate",
                "SELECT a FROM c HAVING a > 1           | INVALID | line 1, column 17: HAVING needs GROUP BY or an aggregate",
                "SELECT count(*) AS n FROM c GROUP BY n | INVALID | line 1, column 38: cannot GROUP BY 'n', it is an aggregate",
                "SELECT a.x, b.x FROM c                 | INVALID | line 1, column 13: duplicate result name 'x'; give one of them an alias with AS",
                "SELECT * FROM c WHERE {'a': 1, 'a': 2} | INVALID | line 1, column 32: duplicate field 'a' in object literal",
                "SELECT * FROM c WHERE ARRAY v END      | SYNTAX  | line 1, column 23: ARRAY needs FOR variable IN source … END",
                "SELECT * FROM c WHERE ANY IN a SATISFIES TRUE END | SYNTAX | line 1, column 27: expected a variable name but found 'IN'",
                "INSERT INTO c DOCUMENTS (5)            | INVALID | line 1, column 26: DOCUMENTS needs an object or an array of objects but got a number",
                "INSERT INTO c DOCUMENTS ({'a': 1}), ([1]) | INVALID | line 1, column 38: DOCUMENTS needs objects, but item 0 of the array is a number",
                "INSERT INTO c DOCUMENTS ({'a': b})     | INVALID | line 1, column 32: field 'b' cannot be used in INSERT; pass values as named arguments (:name)",
                "INSERT INTO c DOCUMENTS ({'n': count(*)}) | INVALID | line 1, column 32: aggregate COUNT is not allowed in INSERT",
                "INSERT INTO c VALUES (1)               | SYNTAX  | line 1, column 15: expected DOCUMENTS or INITIAL DOCUMENTS but found 'VALUES'",
                "INSERT INTO c DOCUMENTS ({}) ON ID CONFLICT DO IT | SYNTAX | line 1, column 48: expected NOTHING, UPDATE or UPDATE_LOCAL_DIFF but found 'IT'",
                "INSERT INTO c INITIAL DOCUMENTS ({}) ON ID CONFLICT DO NOTHING | INVALID | line 1, column 38: INITIAL DOCUMENTS cannot have an ON ID CONFLICT clause; it never overrides a document",
                "UPDATE c WHERE a = 1                   | SYNTAX  | line 1, column 10: expected SET, UNSET or APPLY but found 'WHERE'",
                "UPDATE c SET _id = 2                   | INVALID | line 1, column 14: _id is immutable; it cannot be changed by SET",
                "UPDATE c UNSET _id                     | INVALID | line 1, column 16: _id is immutable; it cannot be changed by UNSET",
                "UPDATE c APPLY _id.n INCREMENT BY 1    | INVALID | line 1, column 16: _id is immutable; it cannot be changed by APPLY",
                "UPDATE c SET a = 1, a = 2              | INVALID | line 1, column 21: SET a is already written by SET at line 1, column 14; a statement may write each field once",
                "UPDATE c SET a.b = 1 UNSET a           | INVALID | line 1, column 28: UNSET a overlaps a.b by SET at line 1, column 14; a statement may write each field once",
                "UPDATE c APPLY n INCREMENT BY 1 SET n.x = 1 | INVALID | line 1, column 37: SET n.x overlaps n by APPLY at line 1, column 16; a statement may write each field once",
                "UPDATE c SET a[0] = 1, a[-1] = 2       | INVALID | line 1, column 24: SET a[-1] overlaps a[0] by SET at line 1, column 14; a statement may write each field once",
                "UPDATE c APPLY n INCREMENT BY 'x'      | INVALID | line 1, column 31: INCREMENT BY needs a number but got 'x'",
                "UPDATE c APPLY n RESTART WITH NULL     | INVALID | line 1, column 31: RESTART WITH needs a number but got NULL",
                "UPDATE c APPLY n DECREMENT BY 1        | SYNTAX  | line 1, column 18: expected INCREMENT BY, PN_INCREMENT BY or RESTART but found 'DECREMENT'",
                "UPDATE c SET a[:i] = 1                 | INVALID | line 1, column 15: a path here must be static: use a constant index or field name in [ ]",
                "UPDATE c SET a = count(*)              | INVALID | line 1, column 18: aggregate COUNT is not allowed in UPDATE",
                "DELETE c WHERE a = 1                   | SYNTAX  | line 1, column 8: expected FROM but found 'c'",
            })
    void errorMessagesAndPositions(String dql, DqlException.Kind kind, String message) {
        DqlException e = error(dql);
        assertThat(e).as(dql).isNotNull();
        assertThat(e.getMessage()).isEqualTo(message);
        assertThat(e.kind()).isEqualTo(kind);
    }

    @Test
    void positionsOnLaterLines() {
        DqlException e = error("SELECT *\nFROM c\nWHERE\n  lenght(name) > 3");
        assertThat(e).hasMessage("line 4, column 3: unknown function 'lenght'");
        assertThat(e.line()).isEqualTo(4);
        assertThat(e.column()).isEqualTo(3);
        assertThat(e.detail()).isEqualTo("unknown function 'lenght'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT * FROM c;", "SELECT * FROM c ; -- done", "DELETE FROM c;"})
    void trailingSemicolon(String dql) {
        assertThat(Dql.parse(dql)).isNotNull();
    }

    @Test
    void exceptionWithoutPositionHasNoPrefix() {
        DqlException e = new DqlException(DqlException.Kind.INVALID, "nope");
        assertThat(e).hasMessage("nope");
        assertThat(e.line()).isZero();
        assertThat(e.column()).isZero();
    }

    @Test
    void statementsPrintBackToEquivalentDql() {
        for (String dql : List.of(
                "SELECT DISTINCT a, b AS c FROM t WHERE (x IN [1, 2]) ORDER BY c DESC LIMIT 3",
                "SELECT count(DISTINCT a) AS n, sum(b) FROM t GROUP BY d HAVING (count(*) > 1)",
                "UPDATE t SET a = 1 UNSET b APPLY n INCREMENT BY 2 WHERE (_id = 'x')",
                "INSERT INTO t INITIAL DOCUMENTS ({'a': 1})",
                "DELETE FROM t",
                "EVICT FROM t WHERE (a < 3)")) {
            assertThat(Dql.parse(dql).toString()).isEqualTo(dql);
            assertThat(Dql.parse(Dql.parse(dql).toString()).toString()).isEqualTo(dql);
        }
    }
}
