package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.index.IndexRange.Bound;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * Soundness of what the planner reads from a condition: whenever {@code p op c} is TRUE for a value, the value lies in
 * the set {@link Constraints} derives (over extreme numbers, both spellings of a number, nested arrays and objects,
 * binary, surrogates, NULL and MISSING). Plus exactness where the planner relies on it, and the value-set algebra.
 */
class ConstraintsPropertyTest {
    private static final Path P = Path.of("p");

    private static final List<Value> DOMAIN;

    static {
        List<Value> d = new ArrayList<>(List.of(
                Value.MISSING,
                Value.NULL,
                Value.TRUE,
                Value.FALSE,
                Value.of(Long.MIN_VALUE),
                Value.of(Long.MAX_VALUE),
                Value.of(-1L),
                Value.of(0L),
                Value.of(5L),
                Value.of(9007199254740993L),
                Value.of(9007199254740992L),
                Value.of(-0x1p63),
                Value.of(0x1p63),
                Value.of(9007199254740992.0),
                Value.of(5.0),
                Value.of(4.999999999999999),
                Value.of(5.5),
                Value.of(0.0),
                Value.of(-1e-300),
                Value.of(1e300),
                Value.of(Double.NEGATIVE_INFINITY),
                Value.of(Double.POSITIVE_INFINITY),
                Value.of(""),
                Value.of("\u0000"),
                Value.of("a"),
                Value.of("ab"),
                Value.of("a\u0000"),
                Value.of("b"),
                Value.of("a😀"),
                Value.of("a\uD83D"),
                Value.of("a\uDE00"),
                Value.of("\uDBFF\uDFFF"),
                Value.of("\uFFFF"),
                Value.of("%"),
                Value.of("a%b"),
                Value.of("a_"),
                Value.of("é")));
        d.add(new Value.Bin(new byte[0]));
        d.add(new Value.Bin(new byte[] {(byte) 0xFF}));
        List<Value> scalars = List.copyOf(d);
        d.add(Value.Arr.EMPTY);
        d.add(Value.Obj.EMPTY);
        for (Value a : List.of(Value.of(1L), Value.of(1.0), Value.of("a"), Value.NULL)) {
            d.add(new Value.Arr(List.of(a)));
            d.add(new Value.Obj(Map.of("k", a)));
            for (Value b : List.of(Value.of(2L), Value.of(2.0), Value.of(0.5))) {
                d.add(new Value.Arr(List.of(a, b)));
                d.add(new Value.Obj(Map.of("k", a, "j", b)));
                d.add(new Value.Arr(List.of(new Value.Arr(List.of(a)), b)));
            }
        }
        d.add(new Value.Obj(Map.of("k", new Value.Arr(List.of(Value.of(1L), Value.of(2.0))))));
        DOMAIN = List.copyOf(d);
        assertThat(scalars).isNotEmpty();
    }

    private static final List<String> LIKE = List.of(
            "a%", "a", "", "%", "a_", "a\\%%", "a\\_b%", "\uDBFF\uDFFF%", "a\uD83D%", "%a", "_a%", "\u0000%", "a\\");

    @Provide
    Arbitrary<Value> values() {
        return Arbitraries.of(DOMAIN);
    }

    @Provide
    Arbitrary<String> conditions() {
        return Arbitraries.of(
                "p = :c",
                ":c = p",
                "p < :c",
                "p <= :c",
                "p > :c",
                "p >= :c",
                ":c > p",
                ":c <= p",
                "p BETWEEN :c AND :d",
                "p IN [:c, :d]",
                "p IN :c",
                "p IS NULL",
                "p IS MISSING",
                "p",
                "p = :c AND p <= :d",
                "p = :c OR p > :d",
                "(p < :c OR p = :d) AND p >= :c",
                "p LIKE :s",
                "p LIKE :s ESCAPE '%'",
                "p = :c OR :d");
    }

    /** For random constants, every value of the domain (and every LIKE pattern) is checked. */
    @Property(tries = 1000)
    void everyValueTheConditionAcceptsIsInTheSet(
            @ForAll("conditions") String condition, @ForAll("values") Value c, @ForAll("values") Value d) {
        Node n = Parser.parseExpression(condition);
        for (String s : LIKE) {
            Map<String, Value> args = Map.of("c", c, "d", d, "s", Value.of(s));
            Env env = new Env(Eval.ctx(args), 4);
            ValueSet set = Constraints.of(n, Set.of(P), env).get(P);
            if (set == null) continue;
            for (Value v : DOMAIN) {
                env.row = v.isMissing() ? Value.Obj.EMPTY : new Value.Obj(Map.of("p", v));
                if (Comparisons.isTrue(n.eval(env))) {
                    assertThat(set.contains(v))
                            .as("%s with %s accepts %s but the set is %s", condition, args, v, set)
                            .isTrue();
                }
            }
        }
    }

    @Property(tries = 2000)
    void equalityPointsAreExactlyTheEqualValues(@ForAll("values") Value c, @ForAll("values") Value v) {
        ValueSet s = Constraints.equal(c);
        boolean equal = Comparisons.isTrue(Comparisons.equal(v, c));
        if (equal) assertThat(s.contains(v)).isTrue();
        if (s.isPoints() && s.contains(v)) assertThat(equal).as("%s = %s", v, c).isTrue();
    }

    @Property(tries = 2000)
    void unionAndIntersectionAreSetOperations(
            @ForAll("sets") ValueSet a, @ForAll("sets") ValueSet b, @ForAll("values") Value v) {
        assertThat(a.union(b).contains(v)).isEqualTo(a.contains(v) || b.contains(v));
        assertThat(a.intersect(b).contains(v)).isEqualTo(a.contains(v) && b.contains(v));
        for (ValueSet s : List.of(a.union(b), a.intersect(b))) {
            for (int i = 1; i < s.intervals().size(); i++) {
                ValueSet.Interval prev = s.intervals().get(i - 1),
                        next = s.intervals().get(i);
                assertThat(prev.upper()).as("sorted and disjoint: %s", s).isNotNull();
                assertThat(next.lower()).as("sorted and disjoint: %s", s).isNotNull();
                int cmp = io.starling.internal.core.ValueOrder.compare(
                        prev.upper().value(), next.lower().value());
                assertThat(cmp < 0
                                || (cmp == 0
                                        && !prev.upper().inclusive()
                                        && !next.lower().inclusive()))
                        .as("sorted and disjoint: %s", s)
                        .isTrue();
            }
        }
    }

    @Provide
    Arbitrary<ValueSet> sets() {
        Arbitrary<Bound> bound = Combinators.combine(values(), Arbitraries.of(true, false))
                .as(Bound::new)
                .injectNull(0.2);
        Arbitrary<ValueSet> one = Combinators.combine(bound, bound).as(ValueSet::between);
        return one.list().ofMaxSize(4).map(l -> {
            ValueSet s = ValueSet.NONE;
            for (ValueSet x : l) s = s.union(x);
            return s;
        });
    }

    @Test
    void numbersAreOneOrTwoPoints() {
        assertThat(Constraints.equal(Value.of(5L)).points()).containsExactly(Value.of(5L), Value.of(5.0));
        assertThat(Constraints.equal(Value.of(5.5)).points()).containsExactly(Value.of(5.5));
        assertThat(Constraints.equal(Value.of(9007199254740993L)).points())
                .as("no double equals 2^53 + 1")
                .containsExactly(Value.of(9007199254740993L));
        assertThat(Constraints.equal(Value.of(0x1p63)).points())
                .as("beyond the longs")
                .containsExactly(Value.of(0x1p63));
        assertThat(Constraints.equal(Value.of(-0x1p63)).points())
                .containsExactly(Value.of(Long.MIN_VALUE), Value.of(-0x1p63));
        assertThat(Constraints.equal(Value.NULL).isEmpty()).isTrue();
        assertThat(Constraints.equal(Value.MISSING).isEmpty()).isTrue();
    }

    @Test
    void likeSuccessors() {
        assertThat(Constraints.successor("abc")).isEqualTo("abd");
        assertThat(Constraints.successor("a\uDBFF\uDFFF")).isEqualTo("b");
        assertThat(Constraints.successor("\uDBFF\uDFFF")).isNull();
        assertThat(Constraints.likePrefix(Value.of("a\\%%"), null).toString()).isEqualTo("['a%', 'a&')");
        assertThat(Constraints.likePrefix(Value.of("%a"), null)).isNull();
        assertThat(Constraints.likePrefix(Value.of("ab"), null).toString()).isEqualTo("'ab'");
        assertThat(Constraints.likePrefix(Value.of(5L), null)).isNull();
    }
}
