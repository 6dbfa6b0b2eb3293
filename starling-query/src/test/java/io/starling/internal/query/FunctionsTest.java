package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every non-date function: normal results, wrong types (NULL), MISSING and NULL inputs. */
class FunctionsTest {

    static final String DOC = "{'s': ' Hello ', 'n': -2.5, 'i': 7, 'z': NULL, 'arr': [3, 1.5, NULL, 'x', 2], "
            + "'o': {'b': 2, 'a': 1, 'c': [1]}, 'e': 'é😀'}";

    private static String eval(String expr) {
        return Eval.dql(Eval.eval(expr, DOC));
    }

    @ParameterizedTest(name = "{0} => {1}")
    @CsvSource(
            delimiterString = " => ",
            quoteCharacter = '~',
            value = {
                // conditional
                "coalesce(nope, z, 3, 4) => 3",
                "coalesce(nope, z) => NULL",
                "ifmissingornull(nope, 'x') => 'x'",
                "ifmissing(nope, z, 1) => NULL",
                "ifmissing(nope, nope) => NULL",
                "ifmissing(i, 1) => 7",
                "ifnull(z, nope, 1) => MISSING",
                "ifnull(z, z) => NULL",
                "ifnull(z, 2) => 2",
                "nvl(z, 'd') => 'd'",
                "nvl(nope, 'd') => 'd'",
                "nvl(i, 'd') => 7",
                "nvl2(i, 'yes', 'no') => 'yes'",
                "nvl2(z, 'yes', 'no') => 'no'",
                "decode(i, 1, 'one', 7, 'seven', 'other') => 'seven'",
                "decode(i, 1, 'one', 'other') => 'other'",
                "decode(i, 1, 'one') => NULL",
                "decode(7.0, 7, 'seven') => 'seven'",
                "decode(z, NULL, 'null!') => 'null!'",
                "nullif(i, 7) => NULL",
                "nullif(i, 8) => 7",
                "nullif(nope, 1) => MISSING",
                "ismissing(nope) => TRUE",
                "ismissing(z) => FALSE",
                "isnull(z) => TRUE",
                "isnull(nope) => FALSE",
                "isnotnull(i) => TRUE",
                "isnotnull(z) => FALSE",
                "isnotnull(nope) => FALSE",
                "isvalued(s) => TRUE",
                // type
                "type(i) => 'number'",
                "type(n) => 'number'",
                "type(s) => 'string'",
                "type(TRUE) => 'boolean'",
                "type(arr) => 'array'",
                "type(o) => 'object'",
                "type(z) => 'null'",
                "type(nope) => 'missing'",
                "typeof(1) => 'number'",
                "is_number(i) => TRUE",
                "is_number(s) => FALSE",
                "isnumber(nope) => MISSING",
                "is_string(s) => TRUE",
                "is_boolean(FALSE) => TRUE",
                "is_array(arr) => TRUE",
                "is_object(o) => TRUE",
                "is_object(z) => NULL",
                "is_binary(s) => FALSE",
                // conversion
                "cast(i AS string) => '7'",
                "cast(n AS STRING) => '-2.5'",
                "cast(2.0, 'string') => '2'",
                "cast(1e20, 'string') => '1.0E20'",
                "cast(TRUE AS string) => 'true'",
                "cast(o AS string) => '{\"b\":2,\"a\":1,\"c\":[1]}'",
                "cast(' 42 ' AS number) => 42",
                "cast('4.5e1' AS number) => 45.0",
                "cast('x' AS number) => NULL",
                "cast('NaN' AS number) => NULL",
                "cast('99999999999999999999' AS number) => 1.0E20",
                "cast(TRUE AS number) => 1",
                "cast(n AS int) => -2",
                "cast('3.9' AS integer) => 3",
                "cast(1e30 AS int) => NULL",
                "cast(i AS float) => 7.0",
                "cast('true' AS boolean) => TRUE",
                "cast('FALSE' AS bool) => FALSE",
                "cast('yes' AS boolean) => NULL",
                "cast(0 AS boolean) => FALSE",
                "cast(n AS boolean) => TRUE",
                "cast(i AS array) => [7]",
                "cast(arr AS array) => [3, 1.5, NULL, 'x', 2]",
                "cast(i AS object) => NULL",
                "cast(o AS object) => {'b': 2, 'a': 1, 'c': [1]}",
                "cast(z AS string) => NULL",
                "cast(nope AS string) => MISSING",
                "cast(i, :t) => MISSING",
                "cast(i, 'bogus' || '') => NULL",
                "tostring(i) => '7'",
                "to_string(arr) => '[3,1.5,null,\"x\",2]'",
                "tonumber('12') => 12",
                "toboolean('true') => TRUE",
                // string
                "lower(s) => ' hello '",
                "upper(s) => ' HELLO '",
                "lower(i) => NULL",
                "lower(z) => NULL",
                "lower(nope) => MISSING",
                "char_length(s) => 7",
                "character_length(e) => 2",
                "length(e) => 2",
                "byte_length(e) => 6",
                "byte_length('abc') => 3",
                "contains(s, 'ell') => TRUE",
                "contains(s, 'xyz') => FALSE",
                "contains(s, 1) => NULL",
                "starts_with(s, ' He') => TRUE",
                "ends_with(s, 'o ') => TRUE",
                "ends_with(s, 'o') => FALSE",
                "substr('hello', 1) => 'ello'",
                "substr('hello', 1, 3) => 'ell'",
                "substr('hello', -3) => 'llo'",
                "substr('hello', -3, 2) => 'll'",
                "substr('hello', 0, 99) => 'hello'",
                "substr('hello', 5) => ''",
                "substr('hello', 6) => NULL",
                "substr('hello', -9) => 'hello'",
                "substr('hello', 1, -1) => NULL",
                "substr('hello', 1.5) => NULL",
                "substr(e, 1) => '😀'",
                "substring('hello', 2.0) => 'llo'",
                "concat('a', 'b', 'c') => 'abc'",
                "concat('a', 1) => NULL",
                "concat('a', z) => NULL",
                "concat('a', nope) => MISSING",
                "trim(s) => 'Hello'",
                "ltrim(s) => 'Hello '",
                "rtrim(s) => ' Hello'",
                "trim('xxhixx', 'x') => 'hi'",
                "trim('--hi', '-') => 'hi'",
                "replace('a-b-c', '-', '+') => 'a+b+c'",
                "replace('a-b-c', '-', '', 1) => 'ab-c'",
                "replace('abc', '', 'x') => 'abc'",
                "position('hello', 'l') => 2",
                "position('hello', 'z') => -1",
                "position(e, '😀') => 1",
                "split('a,b,,c', ',') => ['a', 'b', '', 'c']",
                "split('  a  b ') => ['a', 'b']",
                "split('abc', '') => NULL",
                "repeat('ab', 3) => 'ababab'",
                "repeat('ab', -1) => NULL",
                "reverse('abc') => 'cba'",
                "regexp_like('abc123', '\\d+') => TRUE",
                "regexp_like('abc', '^b') => FALSE",
                "regexp_like('ABC', '^abc$', 'i') => TRUE",
                "regexp_like('ABC', '^abc$', 'i', 'c') => FALSE",
                "regexp_like('a\\nb', '^b$') => FALSE",
                "regexp_like('a\\nb', '^b$', 'm') => TRUE",
                "regexp_like('a\\nb', 'a.b', 's') => TRUE",
                "regexp_like('ab', 'a b', 'x') => TRUE",
                "regexp_like(i, 'x') => NULL",
                "regexp_like(nope, 'x') => MISSING",
                "regexp_like('abc', :p) => MISSING",
                "regexp_like('abc', 'a' || 'b') => TRUE",
                "regexp_like('abc', '(' || '') => NULL",
                "regexp_like('abc', 'a', 'q' || '') => NULL",
                // numeric
                "abs(n) => 2.5",
                "abs(-7) => 7",
                "abs(-9223372036854775808) => 9.223372036854776E18",
                "abs('x') => NULL",
                "abs(nope) => MISSING",
                "ceil(n) => -2",
                "ceil(2.1) => 3",
                "ceiling(i) => 7",
                "floor(n) => -3",
                "floor(1e300) => 1.0E300",
                "round(2.5) => 3",
                "round(-2.5) => -3",
                "round(2.4) => 2",
                "round(1.2345, 2) => 1.23",
                "round(1.235, 2) => 1.24",
                "round(1234, -2) => 1200",
                "round(i, 2) => 7.0",
                "round(i, 0) => 7",
                "round(i) => 7",
                "round(i, -1) => 10",
                "trunc(i, 1) => 7.0",
                "trunc(i, 0) => 7",
                "round(n, 'x') => NULL",
                "trunc(n) => -2",
                "trunc(1.999, 2) => 1.99",
                "truncate(1250, -2) => 1200",
                "sqrt(16) => 4.0",
                "sqrt(-1) => NULL",
                "power(2, 10) => 1024",
                "pow(2, -1) => 0.5",
                "power(2, 63) => 9.223372036854776E18",
                "power(2.0, 2) => 4.0",
                "power(-3, 3) => -27",
                "sign(n) => -1",
                "sign(0) => 0",
                "sign(i) => 1",
                "exp(0) => 1.0",
                "ln(1) => 0.0",
                "ln(0) => NULL",
                "log(1000) => 3.0",
                "log10(100) => 2.0",
                "pi() > 3.14 => TRUE",
                // array
                "array_contains(arr, 3.0) => TRUE",
                "array_contains(arr, 'y') => FALSE",
                "array_contains(s, 'x') => NULL",
                "array_contains(nope, 1) => MISSING",
                "array_length(arr) => 5",
                "array_length([]) => 0",
                "array_length(s) => NULL",
                "array_sum(arr) => 6.5",
                "array_sum([1, 2]) => 3",
                "array_sum([]) => 0",
                "array_avg([1, 2]) => 1.5",
                "array_avg(['x']) => NULL",
                "array_min(arr) => 1.5",
                "array_max(arr) => 'x'",
                "array_min([]) => NULL",
                "array_count(arr) => 4",
                "array_distinct([1, 1.0, 'a', 'a', NULL, NULL]) => [1, 'a', NULL]",
                "array_concat([1], [2, 3], []) => [1, 2, 3]",
                "array_concat([1], 2) => NULL",
                "array_position(arr, 'x') => 3",
                "array_position(arr, 9) => -1",
                // object
                "object_keys(o) => ['a', 'b', 'c']",
                "object_names({}) => []",
                "object_values(o) => [1, 2, [1]]",
                "object_length(o) => 3",
                "object_length(arr) => NULL",
                "object_keys(nope) => MISSING",
                "object_keys(z) => NULL",
            })
    void evaluates(String expr, String expected) {
        assertThat(eval(expr)).isEqualTo(expected);
    }

    @Test
    void namesAreCaseInsensitiveAndAliasesShareOneDefinition() {
        assertThat(Parser.parseExpression("LOWER(x)")).isEqualTo(Parser.parseExpression("lower(x)"));
        assertThat(Parser.parseExpression("SubString(x, 1)")).isEqualTo(Parser.parseExpression("substr(x, 1)"));
        assertThat(FunctionRegistry.names())
                .contains(
                        "coalesce",
                        "lower",
                        "array_contains",
                        "object_keys",
                        "abs",
                        "round",
                        "clock",
                        "date_format",
                        "date_diff",
                        "date_add",
                        "cast",
                        "regexp_like");
    }

    @Test
    void everyRegisteredFunctionCanBeCalledWithMissingAndNull() {
        for (String name : FunctionRegistry.names()) {
            FunctionDef fn = FunctionRegistry.lookup(name);
            int n = Math.max(fn.minArgs, 1);
            if (!fn.accepts(n)) continue;
            String missingArgs = String.join(", ", java.util.Collections.nCopies(n, "nope"));
            String nullArgs = String.join(", ", java.util.Collections.nCopies(n, "z"));
            if (name.equals("cast") || name.equals("regexp_like")) {
                missingArgs = "nope, 'string'";
                nullArgs = "z, 'string'";
            }
            String m = eval(name + "(" + missingArgs + ")");
            String z = eval(name + "(" + nullArgs + ")");
            if (fn.absentPropagates) {
                assertThat(m).as(name + " of MISSING").isEqualTo("MISSING");
                assertThat(z).as(name + " of NULL").isEqualTo("NULL");
            } else {
                assertThat(m).as(name).isNotNull();
            }
        }
    }
}
