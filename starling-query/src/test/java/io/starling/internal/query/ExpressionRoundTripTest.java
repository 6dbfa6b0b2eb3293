package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Printing an expression and parsing it back gives an equal tree (and printing is then a fixed point). */
class ExpressionRoundTripTest {

    @Property(tries = 2000)
    void printThenParseIsIdentity(@ForAll("expressions") Node e) {
        String text = e.toDql();
        Node back;
        try {
            back = Parser.parseExpression(text);
        } catch (DqlException x) {
            throw new AssertionError("printed " + text + " which does not parse: " + x.getMessage(), x);
        }
        assertThat(back).as(text).isEqualTo(e);
        assertThat(back.toDql()).isEqualTo(text);
    }

    @Provide
    Arbitrary<Node> expressions() {
        return expr(4, List.of());
    }

    private static final List<String> FIELDS =
            List.of("a", "b", "_id", "Name", "from", "select", "we ird", "x`y", "é", "count");
    private static final List<String> FUNCTIONS = List.of(
            "lower",
            "upper",
            "abs",
            "coalesce",
            "concat",
            "substr",
            "array_length",
            "ifmissing",
            "date_add",
            "type",
            "round",
            "object_keys",
            "clock");

    private Arbitrary<Node> expr(int depth, List<String> scope) {
        if (depth <= 0) return leaf(scope);
        int d = depth - 1;
        Arbitrary<Node> sub = Arbitraries.lazy(() -> expr(d, scope));
        return Arbitraries.frequencyOf(
                Tuple.of(4, leaf(scope)),
                Tuple.of(
                        3,
                        Combinators.combine(Arbitraries.of(Node.BinaryOp.class), sub, sub)
                                .as(Node.Binary::new)),
                Tuple.of(1, sub.map(Node.Neg::new)),
                Tuple.of(1, sub.map(Node.Not::new)),
                Tuple.of(
                        1,
                        Combinators.combine(sub, sub, sub, Arbitraries.of(true, false))
                                .as(Node.Between::new)),
                Tuple.of(
                        1,
                        Combinators.combine(sub, sub, Arbitraries.of(true, false))
                                .as(Node.In::new)),
                Tuple.of(1, like(d, scope)),
                Tuple.of(
                        1,
                        Combinators.combine(sub, Arbitraries.of(Node.IsKind.class), Arbitraries.of(true, false))
                                .as(Node.Is::new)),
                Tuple.of(1, caseExpr(d, scope)),
                Tuple.of(1, sub.list().ofMaxSize(3).map(Node.ArrayCtor::new)),
                Tuple.of(1, objectCtor(d, scope)),
                Tuple.of(2, call(d, scope)),
                Tuple.of(1, member(d, scope)),
                Tuple.of(1, element(d, scope)),
                Tuple.of(1, quantified(d, scope)),
                Tuple.of(1, arrayFor(d, scope)));
    }

    private Arbitrary<Node> leaf(List<String> scope) {
        List<Tuple.Tuple2<Integer, Arbitrary<? extends Node>>> choices = new ArrayList<>();
        choices.add(Tuple.of(3, literal()));
        choices.add(Tuple.of(1, Arbitraries.of("p", "q", "from", "x1").map(Node.Arg::new)));
        choices.add(Tuple.of(3, path().map(Node.Field::new)));
        if (!scope.isEmpty()) {
            choices.add(Tuple.of(
                    2,
                    Combinators.combine(Arbitraries.integers().between(0, scope.size() - 1), segments(0, 2))
                            .as((slot, rest) -> new Node.VarPath(slot, scope.get(slot), rest))));
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        Arbitrary<Node> a = Arbitraries.frequencyOf(choices.toArray(new Tuple.Tuple2[0]));
        return a;
    }

    private static Arbitrary<Node> literal() {
        return Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.longs().map(l -> (Node) new Node.Literal(Value.of(l)))),
                Tuple.of(
                        1,
                        Arbitraries.of(Long.MIN_VALUE, Long.MAX_VALUE, 0L, -1L)
                                .map(l -> (Node) new Node.Literal(Value.of(l)))),
                Tuple.of(2, Arbitraries.doubles().filter(Double::isFinite).map(x ->
                        (Node) new Node.Literal(Value.of(x)))),
                Tuple.of(1, Arbitraries.of(1e-7, -2.5e300, 0.1, 123456789.125).map(x ->
                        (Node) new Node.Literal(Value.of(x)))),
                Tuple.of(3, Arbitraries.strings().all().ofMaxLength(6).map(s -> (Node) new Node.Literal(Value.of(s)))),
                Tuple.of(
                        1,
                        Arbitraries.strings()
                                .withChars("'\"\\`%_\n\t ")
                                .ofMaxLength(4)
                                .map(s -> (Node) new Node.Literal(Value.of(s)))),
                Tuple.of(
                        1,
                        Arbitraries.of(Value.TRUE, Value.FALSE, Value.NULL, Value.MISSING)
                                .map(v -> (Node) new Node.Literal(v))));
    }

    private static Arbitrary<Path> path() {
        return Combinators.combine(Arbitraries.of(FIELDS), segments(0, 3)).as((first, rest) -> {
            List<Path.Segment> segs = new ArrayList<>();
            segs.add(new Path.Key(first));
            segs.addAll(rest);
            return new Path(segs);
        });
    }

    /** Any text that may name a field: valid Unicode (a lone surrogate is refused with a clear error instead). */
    private static net.jqwik.api.arbitraries.StringArbitrary names() {
        return Arbitraries.strings().all().excludeChars(surrogates());
    }

    private static char[] surrogates() {
        char[] cs = new char[0xE000 - 0xD800];
        for (int i = 0; i < cs.length; i++) cs[i] = (char) (0xD800 + i);
        return cs;
    }

    private static Arbitrary<List<Path.Segment>> segments(int min, int max) {
        Arbitrary<Path.Segment> seg = Arbitraries.oneOf(
                Arbitraries.of(FIELDS).map(Path.Key::new),
                names().ofMinLength(1).ofMaxLength(3).map(Path.Key::new),
                Arbitraries.integers().between(-3, 5).map(Path.Index::new));
        return seg.list().ofMinSize(min).ofMaxSize(max);
    }

    private Arbitrary<Node> like(int d, List<String> scope) {
        Arbitrary<Node> pattern = Arbitraries.oneOf(
                Arbitraries.strings().withChars("ab%_").ofMaxLength(5).map(s -> (Node) new Node.Literal(Value.of(s))),
                Arbitraries.of("p").map(Node.Arg::new),
                Arbitraries.lazy(() -> expr(d, scope)));
        Arbitrary<Node> escape = Arbitraries.of("!", "#")
                .map(s -> (Node) new Node.Literal(Value.of(s)))
                .injectNull(0.6);
        return Combinators.combine(
                        Arbitraries.lazy(() -> expr(d, scope)),
                        pattern,
                        escape,
                        Arbitraries.of(true, false),
                        Arbitraries.of(true, false))
                .filter((v, p, e, n, i) -> !constantPatternHoldsEscape(p, e)) // the parser refuses a dangling escape
                .as((v, p, e, n, i) -> (Node) new Node.Like(v, p, e, n, i));
    }

    /**
     * A constant pattern containing the escape character (backslash unless ESCAPE names another) may end
     * with it, which does not parse.
     */
    private static boolean constantPatternHoldsEscape(Node pattern, Node escape) {
        if (!(pattern instanceof Node.Literal p && p.value() instanceof Value.Str ps)) return false;
        String esc = escape instanceof Node.Literal e && e.value() instanceof Value.Str es ? es.value() : "\\";
        return ps.value().contains(esc);
    }

    private Arbitrary<Node> caseExpr(int d, List<String> scope) {
        Arbitrary<Node.WhenThen> when = Combinators.combine(
                        Arbitraries.lazy(() -> expr(d, scope)), Arbitraries.lazy(() -> expr(d, scope)))
                .as(Node.WhenThen::new);
        return Combinators.combine(
                        Arbitraries.lazy(() -> expr(d, scope)).injectNull(0.5),
                        when.list().ofMinSize(1).ofMaxSize(3),
                        Arbitraries.lazy(() -> expr(d, scope)).injectNull(0.5))
                .as((o, w, e) -> (Node) new Node.Case(o, w, e));
    }

    private Arbitrary<Node> objectCtor(int d, List<String> scope) {
        Arbitrary<Node.Entry> entry = Combinators.combine(
                        names().ofMaxLength(3), Arbitraries.lazy(() -> expr(d, scope)))
                .as(Node.Entry::new);
        return entry.list().ofMaxSize(3).map(entries -> {
            Set<String> seen = new LinkedHashSet<>();
            List<Node.Entry> unique = new ArrayList<>();
            for (Node.Entry e : entries) if (seen.add(e.key())) unique.add(e);
            return new Node.ObjectCtor(unique);
        });
    }

    private Arbitrary<Node> call(int d, List<String> scope) {
        return Arbitraries.of(FUNCTIONS).flatMap(name -> {
            FunctionDef fn = FunctionRegistry.lookup(name);
            int max = fn.maxArgs < 0 ? fn.minArgs + 2 : fn.maxArgs;
            return Arbitraries.lazy(() -> expr(d, scope))
                    .list()
                    .ofMinSize(fn.minArgs)
                    .ofMaxSize(max)
                    .map(args -> new Node.Call(fn, args));
        });
    }

    /** A Member on a base that is not a path (on a path it would be a longer path). */
    private Arbitrary<Node> member(int d, List<String> scope) {
        return Combinators.combine(
                        Arbitraries.lazy(() -> expr(d, scope))
                                .filter(b -> !(b instanceof Node.Field) && !(b instanceof Node.VarPath)),
                        Arbitraries.of(FIELDS))
                .as((b, n) -> (Node) new Node.Member(b, n));
    }

    /** An Element whose index is computed (or, on a non-path base, an integer literal). */
    private Arbitrary<Node> element(int d, List<String> scope) {
        return Combinators.combine(Arbitraries.lazy(() -> expr(d, scope)), Arbitraries.lazy(() -> expr(d, scope)))
                .as((b, i) -> (Node) new Node.Element(b, i))
                .filter(e -> {
                    Node.Element el = (Node.Element) e;
                    boolean pathBase = el.base() instanceof Node.Field || el.base() instanceof Node.VarPath;
                    if (el.index() instanceof Node.Literal l) {
                        if (l.value() instanceof Value.Str) return false;
                        if (l.value() instanceof Value.Int i && pathBase && i.value() == (int) i.value()) return false;
                    }
                    return true;
                });
    }

    private Arbitrary<Node> quantified(int d, List<String> scope) {
        String var = "v" + scope.size();
        List<String> inner = new ArrayList<>(scope);
        inner.add(var);
        return Combinators.combine(
                        Arbitraries.of(true, false),
                        Arbitraries.lazy(() -> expr(d, scope)),
                        Arbitraries.lazy(() -> expr(d, inner)))
                .as((every, src, cond) -> new Node.Quantified(every, scope.size(), var, src, cond));
    }

    private Arbitrary<Node> arrayFor(int d, List<String> scope) {
        String var = "v" + scope.size();
        List<String> inner = new ArrayList<>(scope);
        inner.add(var);
        return Combinators.combine(
                        Arbitraries.lazy(() -> expr(d, inner)),
                        Arbitraries.lazy(() -> expr(d, scope)),
                        Arbitraries.lazy(() -> expr(d, inner)).injectNull(0.5))
                .as((mapping, src, cond) -> new Node.ArrayFor(mapping, scope.size(), var, src, cond));
    }
}
