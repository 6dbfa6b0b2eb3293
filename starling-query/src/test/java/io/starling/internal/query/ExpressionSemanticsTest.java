package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Operators and their MISSING / NULL / cross-type behaviour, evaluated against one document. */
class ExpressionSemanticsTest {

    static final String DOC = "{'n': 5, 'f': 2.5, 'one': 1.0, 's': 'abc', 'z': NULL, 'b': TRUE, 'no': FALSE, "
            + "'arr': [1, 2, 3], 'mixed': [1, 'a', NULL], 'o': {'k': 'v', 'n': {'deep': 1}}, 'objs': [{'x': 1}, {'x': 2}], "
            + "'big': 9223372036854775807, 'small': -9223372036854775808, 'e': '', 'we ird': 7}";

    private static String eval(String expr) {
        return Eval.dql(Eval.eval(expr, DOC));
    }

    @ParameterizedTest(name = "{0} => {1}")
    @CsvSource(
            delimiterString = " => ",
            quoteCharacter = '^',
            value = {
                // a computed position may be an integral float, like every other count or position
                "[10, 20, 30][1.0] => 20",
                "[10, 20, 30][-1.0] => 30",
                "[10, 20, 30][1.5] => MISSING",
                "[10, 20, 30][3.0] => MISSING",
                "[10, 20, 30][1e300] => MISSING",
                "[10, 20, 30]['1'] => MISSING",
                // paths
                "n => 5",
                "o.k => 'v'",
                "o.n.deep => 1",
                "arr[0] => 1",
                "arr[-1] => 3",
                "arr[3] => MISSING",
                "objs[1].x => 2",
                "nope => MISSING",
                "nope.deeper => MISSING",
                "s.x => MISSING",
                "n[0] => MISSING",
                "o['k'] => 'v'",
                "o[s] => MISSING",
                "o[lower('K')] => 'v'",
                "arr[n - 4] => 2",
                "arr['0'] => MISSING",
                "`we ird` => 7",
                "z => NULL",
                ":missingArg => MISSING",
                // arithmetic
                "1 + 2 => 3",
                "10 / 4 => 2",
                "-7 / 2 => -3",
                "10 % 4 => 2",
                "-7 % 3 => -1",
                "10 / 4.0 => 2.5",
                "10.0 / 4 => 2.5",
                "1 + 0.5 => 1.5",
                "7.5 % 2 => 1.5",
                "2 * 3 => 6",
                "n * f => 12.5",
                "1 / 0 => NULL",
                "1 % 0 => NULL",
                "1.0 / 0 => NULL",
                "1 / 0.0 => NULL",
                "big + 1 => 9.223372036854776E18",
                "small - 1 => -9.223372036854776E18",
                "big * 2 => 1.8446744073709552E19",
                "small / -1 => 9.223372036854776E18",
                "-small => 9.223372036854776E18",
                "-n => -5",
                "-f => -2.5",
                "-s => NULL",
                "-nope => MISSING",
                "-z => NULL",
                "1e308 * 10 => NULL",
                "s + 1 => NULL",
                "b + 1 => NULL",
                "z + 1 => NULL",
                "nope + 1 => MISSING",
                "nope + z => MISSING",
                "z * nope => MISSING",
                "arr + 1 => NULL",
                // concatenation
                "s || 'd' => 'abcd'",
                "s || n => NULL",
                "s || z => NULL",
                "s || nope => MISSING",
                "'' || '' => ''",
                // equality
                "n = 5 => TRUE",
                "n = 5.0 => TRUE",
                "one = 1 => TRUE",
                "n == 5 => TRUE",
                "n != 5 => FALSE",
                "n <> 4 => TRUE",
                "n = '5' => FALSE",
                "n != '5' => TRUE",
                "b = 1 => FALSE",
                "s = 'abc' => TRUE",
                "arr = [1, 2, 3] => TRUE",
                "arr = [1.0, 2, 3] => TRUE",
                "arr = [1, 2] => FALSE",
                "o = {'n': {'deep': 1}, 'k': 'v'} => TRUE",
                "o = {'k': 'v'} => FALSE",
                "z = NULL => NULL",
                "z = 1 => NULL",
                "z != 1 => NULL",
                "nope = 1 => MISSING",
                "nope = NULL => MISSING",
                "nope != 1 => MISSING",
                "nope = nope => MISSING",
                // ordering
                "n > 4 => TRUE",
                "n >= 5 => TRUE",
                "n < 5.5 => TRUE",
                "n <= 4.9 => FALSE",
                "one <= 1 => TRUE",
                "big > 9223372036854775806 => TRUE",
                "big < 9.3E18 => TRUE",
                "s < 'abd' => TRUE",
                "s > 'ab' => TRUE",
                "'B' < 'a' => TRUE",
                "'é' > 'z' => TRUE",
                "FALSE < TRUE => TRUE",
                "[1, 2] < [1, 3] => TRUE",
                "[1, 2] < [1, 2, 0] => TRUE",
                "[1] <= [1.0] => TRUE",
                "{'a': 1} < {'a': 2} => TRUE",
                "n < 'a' => NULL",
                "s > 1 => NULL",
                "b > 0 => NULL",
                "arr > 'a' => NULL",
                "n > z => NULL",
                "z < nope => MISSING",
                "n < nope => MISSING",
                // logic: AND
                "TRUE AND TRUE => TRUE",
                "TRUE AND FALSE => FALSE",
                "TRUE AND NULL => NULL",
                "TRUE AND MISSING => MISSING",
                "FALSE AND TRUE => FALSE",
                "FALSE AND FALSE => FALSE",
                "FALSE AND NULL => FALSE",
                "FALSE AND MISSING => FALSE",
                "NULL AND TRUE => NULL",
                "NULL AND FALSE => FALSE",
                "NULL AND NULL => NULL",
                "NULL AND MISSING => MISSING",
                "MISSING AND TRUE => MISSING",
                "MISSING AND FALSE => FALSE",
                "MISSING AND NULL => MISSING",
                "MISSING AND MISSING => MISSING",
                "5 AND TRUE => NULL",
                "'x' AND FALSE => FALSE",
                // logic: OR
                "TRUE OR TRUE => TRUE",
                "TRUE OR FALSE => TRUE",
                "TRUE OR NULL => TRUE",
                "TRUE OR MISSING => TRUE",
                "FALSE OR TRUE => TRUE",
                "FALSE OR FALSE => FALSE",
                "FALSE OR NULL => NULL",
                "FALSE OR MISSING => MISSING",
                "NULL OR TRUE => TRUE",
                "NULL OR FALSE => NULL",
                "NULL OR NULL => NULL",
                "NULL OR MISSING => NULL",
                "MISSING OR TRUE => TRUE",
                "MISSING OR FALSE => MISSING",
                "MISSING OR NULL => NULL",
                "MISSING OR MISSING => MISSING",
                "5 OR FALSE => NULL",
                "5 OR TRUE => TRUE",
                // logic: NOT
                "NOT TRUE => FALSE",
                "NOT FALSE => TRUE",
                "NOT NULL => NULL",
                "NOT MISSING => MISSING",
                "NOT 5 => NULL",
                "NOT nope = 1 => MISSING",
                // BETWEEN
                "n BETWEEN 1 AND 5 => TRUE",
                "n BETWEEN 5.5 AND 9 => FALSE",
                "n NOT BETWEEN 1 AND 4 => TRUE",
                "s BETWEEN 'a' AND 'b' => TRUE",
                "n BETWEEN 'a' AND 9 => NULL",
                "n BETWEEN 9 AND 'z' => FALSE",
                "z BETWEEN 1 AND 2 => NULL",
                "nope BETWEEN 1 AND 2 => MISSING",
                "nope NOT BETWEEN 1 AND 2 => MISSING",
                // IN
                "n IN (1, 5) => TRUE",
                "n IN (1, 2) => FALSE",
                "n IN [5.0] => TRUE",
                "n IN arr => FALSE",
                "2 IN arr => TRUE",
                "'a' IN mixed => TRUE",
                "n NOT IN (1, 2) => TRUE",
                "n NOT IN (5) => FALSE",
                "n IN (5) => TRUE",
                "n IN 5 => TRUE",
                "n IN () => FALSE",
                "z IN (1, 2) => NULL",
                "nope IN (1, 2) => MISSING",
                "nope NOT IN (1, 2) => MISSING",
                "1 IN nope => MISSING",
                "1 IN z => NULL",
                "o IN [{'k': 'v', 'n': {'deep': 1}}] => TRUE",
                "[1, 2] IN [[1, 2], [3]] => TRUE",
                "n IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10) => TRUE",
                "5.0 IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10) => TRUE",
                "11 IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10) => FALSE",
                "11 NOT IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10) => TRUE",
                // LIKE / ILIKE
                "s LIKE 'abc' => TRUE",
                "s LIKE 'a%' => TRUE",
                "s LIKE '%c' => TRUE",
                "s LIKE '%b%' => TRUE",
                "s LIKE 'a_c' => TRUE",
                "s LIKE '_' => FALSE",
                "s LIKE '%' => TRUE",
                "e LIKE '%' => TRUE",
                "e LIKE '_' => FALSE",
                "s LIKE 'A%' => FALSE",
                "s ILIKE 'A%' => TRUE",
                "s ILIKE '%B_' => TRUE",
                "s NOT LIKE 'x%' => TRUE",
                "'a%b' LIKE 'a\\%b' => TRUE",
                "'axb' LIKE 'a\\%b' => FALSE",
                "'a_b' LIKE 'a!_b' ESCAPE '!' => TRUE",
                "'aXb' LIKE 'a!_b' ESCAPE '!' => FALSE",
                "'aaab' LIKE '%a%ab' => TRUE",
                "'mississippi' LIKE 'm%iss%pi' => TRUE",
                "'mississippi' LIKE 'm%iss%x' => FALSE",
                "'MiSsIsSiPpI' ILIKE 'm%ISS%pi' => TRUE",
                "n LIKE '5' => NULL",
                "z LIKE 'a' => NULL",
                "nope LIKE 'a' => MISSING",
                "s LIKE nope => MISSING",
                "s LIKE :p => MISSING",
                "s LIKE s => TRUE",
                // IS
                "z IS NULL => TRUE",
                "n IS NULL => FALSE",
                "nope IS NULL => MISSING",
                "z IS NOT NULL => FALSE",
                "n IS NOT NULL => TRUE",
                "nope IS NOT NULL => MISSING",
                "nope IS MISSING => TRUE",
                "z IS MISSING => FALSE",
                "n IS NOT MISSING => TRUE",
                "nope IS NOT MISSING => FALSE",
                "n IS VALUED => TRUE",
                "z IS VALUED => FALSE",
                "nope IS VALUED => FALSE",
                "nope IS NOT VALUED => TRUE",
                // CASE
                "CASE WHEN n > 3 THEN 'big' ELSE 'small' END => 'big'",
                "CASE WHEN n > 9 THEN 'big' END => NULL",
                "CASE WHEN nope THEN 1 WHEN z THEN 2 WHEN TRUE THEN 3 END => 3",
                "CASE n WHEN 4 THEN 'four' WHEN 5.0 THEN 'five' END => 'five'",
                "CASE nope WHEN nope THEN 'x' ELSE 'y' END => 'y'",
                "CASE WHEN TRUE THEN nope END => MISSING",
                // constructors
                "[n, nope, z] => [5, NULL, NULL]",
                "{'a': n, 'b': nope, 'c': z} => {'a': 5, 'c': NULL}",
                "{'a': [1, {'b': 2}]}.a[1].b => 2",
                "[] => []",
                "{} => {}",
                // ANY / EVERY / ARRAY
                "ANY v IN arr SATISFIES v > 2 END => TRUE",
                "ANY v IN arr SATISFIES v > 3 END => FALSE",
                "EVERY v IN arr SATISFIES v > 0 END => TRUE",
                "EVERY v IN arr SATISFIES v > 1 END => FALSE",
                "ANY v IN [] SATISFIES TRUE END => FALSE",
                "EVERY v IN [] SATISFIES FALSE END => TRUE",
                "ANY v IN nope SATISFIES TRUE END => MISSING",
                "EVERY v IN z SATISFIES TRUE END => NULL",
                "ANY v IN s SATISFIES TRUE END => NULL",
                "ANY o IN objs SATISFIES o.x = 2 END => TRUE",
                "ANY v IN mixed SATISFIES v IS NULL END => TRUE",
                "ANY v IN arr SATISFIES v = n - 3 END => TRUE",
                "ANY x IN objs SATISFIES ANY y IN arr SATISFIES x.x = y + 1 END END => TRUE",
                "ARRAY v * 10 FOR v IN arr END => [10, 20, 30]",
                "ARRAY v FOR v IN arr WHEN v != 2 END => [1, 3]",
                "ARRAY o.x FOR o IN objs END => [1, 2]",
                "ARRAY o.y FOR o IN objs END => []",
                "ARRAY v FOR v IN nope END => MISSING",
                "ARRAY v FOR v IN n END => NULL",
                "ARRAY [v, w] FOR v IN [1, 2] WHEN ANY w IN arr SATISFIES w = v END END => [[1, NULL], [2, NULL]]",
                "ARRAY ARRAY v + w FOR w IN [10, 20] END FOR v IN [1, 2] END => [[11, 21], [12, 22]]",
            })
    void evaluates(String expr, String expected) {
        assertThat(eval(expr)).isEqualTo(expected);
    }

    @Test
    void argumentsAreAnyJsonValue() {
        Map<String, Value> args = Map.of(
                "list", Value.fromJava(List.of("a", "b")),
                "n", Value.of(5L),
                "obj", Value.fromJava(Map.of("k", 1)),
                "p", Value.of("a%"));
        Value.Obj doc = (Value.Obj) Eval.value("{'s': 'a', 'n': 5.0}");
        assertThat(Eval.eval("s IN :list", doc, args)).isEqualTo(Value.TRUE);
        assertThat(Eval.eval("s IN (:list)", doc, args))
                .as("a parenthesised array argument is the list")
                .isEqualTo(Value.TRUE);
        assertThat(Eval.eval("n = :n", doc, args)).isEqualTo(Value.TRUE);
        assertThat(Eval.eval(":obj.k", doc, args)).isEqualTo(Value.of(1L));
        assertThat(Eval.eval("s LIKE :p", doc, args)).isEqualTo(Value.TRUE);
        assertThat(Eval.eval("s LIKE :p AND 'b' NOT LIKE :p", doc, args)).isEqualTo(Value.TRUE);
    }

    @Test
    void dynamicLikePatternsAreRecompiledWhenTheyChange() {
        Node like = Parser.parseExpression("s LIKE :p");
        Env env = new Env(Eval.ctx(Map.of("p", Value.of("a%"))), 0);
        env.row = (Value.Obj) Eval.value("{'s': 'abc'}");
        assertThat(like.eval(env)).isEqualTo(Value.TRUE);
        Env env2 = new Env(Eval.ctx(Map.of("p", Value.of("b%"))), 0);
        env2.row = env.row;
        assertThat(like.eval(env2)).isEqualTo(Value.FALSE);
        assertThat(like.eval(env)).isEqualTo(Value.TRUE);
    }

    @Test
    void booleansFromStorageNeedNotBeTheSharedInstances() {
        Value.Obj doc = new Value.Obj(Map.of("b", new Value.Bool(true), "f", new Value.Bool(false)));
        assertThat(Eval.eval("b AND NOT f", doc, Map.of())).isEqualTo(Value.TRUE);
        assertThat(Eval.eval("f OR b", doc, Map.of())).isEqualTo(Value.TRUE);
        assertThat(Eval.eval("f AND nope", doc, Map.of())).isEqualTo(Value.FALSE);
    }

    @Test
    void evaluationDoesNotMutateTheTreeVisibly() {
        Node n = Parser.parseExpression("ANY v IN arr SATISFIES v > 1 END");
        Env env = new Env(Eval.ctx(), 1);
        env.row = (Value.Obj) Eval.value(DOC);
        n.eval(env);
        assertThat(env.vars[0]).as("the variable slot is restored").isNull();
        assertThat(n).isEqualTo(Parser.parseExpression("ANY v IN arr SATISFIES v > 1 END"));
    }
}
