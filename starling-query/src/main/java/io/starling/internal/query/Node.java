package io.starling.internal.query;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/*
 * Evaluator design note
 * ---------------------
 * The AST is the evaluator. Each node is an immutable record (or a final class where it carries derived,
 * precomputed state) with an eval(Env) method; there is no separate interpreter walking the tree with
 * instanceof chains. Why:
 *
 *  - speed: a WHERE over a 100k-document scan is one virtual call per node per document; constants (LIKE
 *    patterns, regular expressions, constant array and object constructors, large constant IN lists) are
 *    compiled once when the node is built, never per row; paths walk the document without building anything;
 *    comparisons and boolean results reuse Value.TRUE/FALSE/NULL/MISSING and allocate nothing;
 *  - thread safety: nodes are immutable, so a parsed statement is cached and shared by the engine; all mutable
 *    state of an evaluation lives in the Env frame, one per execution and thread;
 *  - resolution happens in the parser: function names become FunctionDef references (with a call-site
 *    specialised implementation), ANY/EVERY/ARRAY variables become frame slots, aggregates become slots of the
 *    group's result array. eval never looks anything up by name except :arguments.
 *
 * Semantics live in small classes the nodes call: Comparisons (three-valued =, ordering, deep equality),
 * Arithmetic (integer-preserving math), LikePattern, and the *Functions classes. Equality of nodes is
 * structural and ignores derived state, so parse(print(e)).equals(e) holds (a jqwik property checks it).
 * Printing is fully parenthesised, which is what makes that property easy to keep.
 */

/** An AST node: evaluation and printing. See the design note above. */
sealed interface Node extends Expr
        permits Node.Literal,
                Node.Arg,
                Node.Field,
                Node.VarPath,
                Node.Member,
                Node.Element,
                Node.Neg,
                Node.Not,
                Node.Binary,
                Node.Between,
                Node.In,
                Node.Like,
                Node.Is,
                Node.Case,
                Node.ArrayCtor,
                Node.ObjectCtor,
                Node.Call,
                Node.Aggregate,
                Node.Quantified,
                Node.ArrayFor {

    /** Evaluates against the frame. Never returns Java null. */
    Value eval(Env env);

    void print(StringBuilder sb);

    @Override
    default String toDql() {
        StringBuilder sb = new StringBuilder();
        print(sb);
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------- helpers

    static Value walk(Value v, List<Path.Segment> segments, int from) {
        for (int i = from, n = segments.size(); i < n; i++) {
            Path.Segment s = segments.get(i);
            if (s instanceof Path.Key k) {
                if (!(v instanceof Value.Obj o)) return Value.MISSING;
                v = o.get(k.name());
            } else {
                if (!(v instanceof Value.Arr a)) return Value.MISSING;
                int idx = ((Path.Index) s).index();
                v = a.get(idx < 0 ? a.size() + idx : idx);
            }
        }
        return v;
    }

    static void printSegments(StringBuilder sb, List<Path.Segment> segments, boolean leadingDot) {
        boolean dot = leadingDot;
        for (Path.Segment s : segments) {
            if (s instanceof Path.Key k) {
                if (dot) sb.append('.');
                Keywords.appendIdentifier(sb, k.name());
            } else {
                sb.append('[').append(((Path.Index) s).index()).append(']');
            }
            dot = true;
        }
    }

    static void printList(StringBuilder sb, List<Node> items) {
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) sb.append(", ");
            items.get(i).print(sb);
        }
    }

    /** Three-valued AND over TRUE/FALSE/NULL/MISSING; a non-boolean counts as NULL. */
    static Value and(Value l, Value r) {
        if (l == Value.FALSE || r == Value.FALSE || isFalse(l) || isFalse(r)) return Value.FALSE;
        if (l == Value.MISSING || r == Value.MISSING) return Value.MISSING;
        if (!(l instanceof Value.Bool) || !(r instanceof Value.Bool)) return Value.NULL;
        return Value.TRUE;
    }

    /** Three-valued OR: TRUE dominates, then NULL, then MISSING (N1QL's table). */
    static Value or(Value l, Value r) {
        if (Comparisons.isTrue(l) || Comparisons.isTrue(r)) return Value.TRUE;
        boolean lb = l instanceof Value.Bool, rb = r instanceof Value.Bool;
        if ((!lb && l != Value.MISSING) || (!rb && r != Value.MISSING)) return Value.NULL;
        if (l == Value.MISSING || r == Value.MISSING) return Value.MISSING;
        return Value.FALSE;
    }

    static Value not(Value v) {
        if (v == Value.MISSING) return Value.MISSING;
        if (v instanceof Value.Bool b) return Comparisons.bool(!b.value());
        return Value.NULL;
    }

    private static boolean isFalse(Value v) {
        return v instanceof Value.Bool b && !b.value();
    }

    // ---------------------------------------------------------------------------------------------- leaves

    /** A constant: MISSING, NULL, a boolean, a number or a string. */
    record Literal(Value value) implements Node {
        public Literal {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public Value eval(Env env) {
            return value;
        }

        @Override
        public void print(StringBuilder sb) {
            printValue(sb, value);
        }

        static void printValue(StringBuilder sb, Value v) {
            if (v == Value.MISSING) sb.append("MISSING");
            else if (v == Value.NULL) sb.append("NULL");
            else if (v instanceof Value.Bool b) sb.append(b.value() ? "TRUE" : "FALSE");
            else if (v instanceof Value.Int i) sb.append(i.value());
            else if (v instanceof Value.Dbl d) sb.append(Double.toString(d.value()));
            else if (v instanceof Value.Str s) Keywords.appendString(sb, s.value());
            else if (v instanceof Value.Arr a) {
                sb.append('[');
                for (int i = 0; i < a.size(); i++) {
                    if (i > 0) sb.append(", ");
                    printValue(sb, a.items().get(i));
                }
                sb.append(']');
            } else if (v instanceof Value.Obj o) {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                    if (!first) sb.append(", ");
                    first = false;
                    Keywords.appendString(sb, e.getKey());
                    sb.append(": ");
                    printValue(sb, e.getValue());
                }
                sb.append('}');
            } else {
                sb.append("NULL /* binary */");
            }
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /** A named argument {@code :name}. */
    record Arg(String name) implements Node {
        @Override
        public Value eval(Env env) {
            return env.argument(name);
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append(':').append(name);
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /** A path into the current row: {@code a.b[0].c}. */
    record Field(Path path) implements Node {
        @Override
        public Value eval(Env env) {
            return walk(env.row, path.segments(), 0);
        }

        @Override
        public void print(StringBuilder sb) {
            printSegments(sb, path.segments(), false);
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /** A path into an ANY/EVERY/ARRAY variable: {@code v}, {@code v.a[1]}. */
    record VarPath(int slot, String name, List<Path.Segment> rest) implements Node {
        public VarPath {
            rest = List.copyOf(rest);
        }

        @Override
        public Value eval(Env env) {
            Value v = env.vars[slot];
            return walk(v == null ? Value.MISSING : v, rest, 0);
        }

        @Override
        public void print(StringBuilder sb) {
            Keywords.appendIdentifier(sb, name);
            printSegments(sb, rest, true);
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /** {@code base.name} on a computed base (static paths are {@link Field}). */
    record Member(Node base, String name) implements Node {
        @Override
        public Value eval(Env env) {
            Value b = base.eval(env);
            return b instanceof Value.Obj o ? o.get(name) : Value.MISSING;
        }

        @Override
        public void print(StringBuilder sb) {
            printBase(sb, base);
            sb.append('.');
            Keywords.appendIdentifier(sb, name);
        }

        static void printBase(StringBuilder sb, Node base) {
            boolean bare = base instanceof Field
                    || base instanceof VarPath
                    || base instanceof Member
                    || base instanceof Element
                    || base instanceof Call
                    || base instanceof Arg;
            if (!bare) sb.append('(');
            base.print(sb);
            if (!bare) sb.append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /**
     * {@code base[index]} with a computed index: an integer (or an integral float such as {@code 1.0}) indexes an
     * array, negative from the end; a string names an object field.
     */
    record Element(Node base, Node index) implements Node {
        @Override
        public Value eval(Env env) {
            Value b = base.eval(env);
            Value i = index.eval(env);
            if (b instanceof Value.Arr a && i.isNumber()) {
                Long n = NumericFunctions.integral(i); // 1.0 indexes like 1, as everywhere a count or position is taken
                if (n == null) return Value.MISSING;
                long idx = n < 0 ? a.size() + n : n;
                return idx >= 0 && idx < a.size() ? a.items().get((int) idx) : Value.MISSING;
            }
            if (b instanceof Value.Obj o && i instanceof Value.Str s) return o.get(s.value());
            return Value.MISSING;
        }

        @Override
        public void print(StringBuilder sb) {
            Member.printBase(sb, base);
            sb.append('[');
            index.print(sb);
            sb.append(']');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    // ---------------------------------------------------------------------------------------------- operators

    record Neg(Node operand) implements Node {
        @Override
        public Value eval(Env env) {
            return Arithmetic.negate(operand.eval(env));
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append("-(");
            operand.print(sb);
            sb.append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    record Not(Node operand) implements Node {
        @Override
        public Value eval(Env env) {
            return not(operand.eval(env));
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append("(NOT ");
            operand.print(sb);
            sb.append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    enum BinaryOp {
        OR("OR"),
        AND("AND"),
        EQ("="),
        NE("!="),
        LT("<"),
        LE("<="),
        GT(">"),
        GE(">="),
        CONCAT("||"),
        ADD("+"),
        SUB("-"),
        MUL("*"),
        DIV("/"),
        MOD("%");

        final String symbol;

        BinaryOp(String symbol) {
            this.symbol = symbol;
        }
    }

    record Binary(BinaryOp op, Node left, Node right) implements Node {
        @Override
        public Value eval(Env env) {
            switch (op) {
                case AND: {
                    Value l = left.eval(env);
                    if (isFalse(l)) return Value.FALSE;
                    return and(l, right.eval(env));
                }
                case OR: {
                    Value l = left.eval(env);
                    if (Comparisons.isTrue(l)) return Value.TRUE;
                    return or(l, right.eval(env));
                }
                default:
                    break;
            }
            Value l = left.eval(env), r = right.eval(env);
            switch (op) {
                case EQ:
                    return Comparisons.equal(l, r);
                case NE:
                    return not(Comparisons.equal(l, r));
                case LT:
                    return Comparisons.order(l, r, -1, false);
                case LE:
                    return Comparisons.order(l, r, -1, true);
                case GT:
                    return Comparisons.order(l, r, 1, false);
                case GE:
                    return Comparisons.order(l, r, 1, true);
                case CONCAT:
                    return Arithmetic.concat(l, r);
                case ADD:
                    return Arithmetic.apply(Arithmetic.Op.ADD, l, r);
                case SUB:
                    return Arithmetic.apply(Arithmetic.Op.SUB, l, r);
                case MUL:
                    return Arithmetic.apply(Arithmetic.Op.MUL, l, r);
                case DIV:
                    return Arithmetic.apply(Arithmetic.Op.DIV, l, r);
                default:
                    return Arithmetic.apply(Arithmetic.Op.MOD, l, r);
            }
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('(');
            left.print(sb);
            sb.append(' ').append(op.symbol).append(' ');
            right.print(sb);
            sb.append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /** {@code v [NOT] BETWEEN low AND high}: {@code v >= low AND v <= high} in three-valued logic. */
    record Between(Node value, Node low, Node high, boolean negated) implements Node {
        @Override
        public Value eval(Env env) {
            Value v = value.eval(env);
            Value r = and(Comparisons.order(v, low.eval(env), 1, true), Comparisons.order(v, high.eval(env), -1, true));
            return negated ? not(r) : r;
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('(');
            value.print(sb);
            sb.append(negated ? " NOT BETWEEN " : " BETWEEN ");
            low.print(sb);
            sb.append(" AND ");
            high.print(sb);
            sb.append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /**
     * {@code v [NOT] IN list}: membership when the list evaluates to an array ({@code (a, b)}, {@code [a, b]},
     * {@code :arr}, an array field), equality with the value otherwise ({@code x IN (5)}). A constant list of
     * more than eight items is hashed once.
     */
    final class In implements Node {
        final Node value;
        final Node list;
        private final boolean negated;
        private final @Nullable Set<ValueKey> constantSet;

        In(Node value, Node list, boolean negated) {
            this.value = value;
            this.list = list;
            this.negated = negated;
            Value c = list instanceof ArrayCtor a ? a.constant : null;
            if (c instanceof Value.Arr arr && arr.size() > 8) {
                Set<ValueKey> set = new HashSet<>();
                for (Value item : arr.items()) set.add(new ValueKey(item));
                this.constantSet = set;
            } else {
                this.constantSet = null;
            }
        }

        Node value() {
            return value;
        }

        Node list() {
            return list;
        }

        boolean negated() {
            return negated;
        }

        @Override
        public Value eval(Env env) {
            Value v = value.eval(env);
            Value l = list.eval(env);
            if (v == Value.MISSING || l == Value.MISSING) return Value.MISSING;
            if (v == Value.NULL || l == Value.NULL) return Value.NULL;
            boolean found;
            if (constantSet != null) found = constantSet.contains(new ValueKey(v));
            else if (l instanceof Value.Arr arr) found = Comparisons.contains(arr, v);
            else found = Comparisons.deepEquals(l, v);
            return Comparisons.bool(found != negated);
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('(');
            value.print(sb);
            sb.append(negated ? " NOT IN " : " IN ");
            list.print(sb);
            sb.append(')');
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof In i && negated == i.negated && value.equals(i.value) && list.equals(i.list);
        }

        @Override
        public int hashCode() {
            return Objects.hash(value, list, negated);
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /** {@code v [NOT] LIKE|ILIKE pattern [ESCAPE e]}; constant patterns are compiled once. */
    final class Like implements Node {
        final Node value;
        final Node pattern;
        final @Nullable Node escape; // null: backslash
        private final boolean negated;
        private final boolean ignoreCase;
        private final @Nullable LikePattern compiled; // for a constant pattern and escape
        private volatile @Nullable Cached cache; // last dynamic pattern (an :argument usually stays the same)

        private record Cached(
                String pattern, char escape, @Nullable LikePattern compiled) {}

        Like(Node value, Node pattern, @Nullable Node escape, boolean negated, boolean ignoreCase) {
            this.value = value;
            this.pattern = pattern;
            this.escape = escape;
            this.negated = negated;
            this.ignoreCase = ignoreCase;
            LikePattern c = null;
            if (pattern instanceof Literal p
                    && p.value() instanceof Value.Str ps
                    && (escape == null || escape instanceof Literal)) {
                char esc = escapeChar(escape == null ? null : ((Literal) escape).value());
                if (esc != 0) c = LikePattern.compile(ps.value(), esc, ignoreCase);
            }
            this.compiled = c;
        }

        Node value() {
            return value;
        }

        Node pattern() {
            return pattern;
        }

        /** The ESCAPE operand, or null (backslash). */
        @Nullable
        Node escape() {
            return escape;
        }

        boolean negated() {
            return negated;
        }

        boolean ignoreCase() {
            return ignoreCase;
        }

        /** value, pattern and (when given) escape. */
        List<Node> parts() {
            return escape == null ? List.of(value, pattern) : List.of(value, pattern, escape);
        }

        /** The parse-time check: null when fine, else why the constant pattern or escape is invalid. */
        @Nullable
        String constantProblem() {
            if (escape instanceof Literal e && escapeChar(e.value()) == 0) return "ESCAPE must be a single character";
            if (pattern instanceof Literal p
                    && p.value() instanceof Value.Str
                    && compiled == null
                    && (escape == null || escape instanceof Literal)) {
                return "LIKE pattern ends with its escape character";
            }
            return null;
        }

        /** The escape char, 0 when the value is not a one-character string. */
        private static char escapeChar(@Nullable Value v) {
            if (v == null) return '\\';
            return v instanceof Value.Str s && s.value().length() == 1
                    ? s.value().charAt(0)
                    : 0;
        }

        @Override
        public Value eval(Env env) {
            Value v = value.eval(env);
            Value p = pattern.eval(env);
            Value e = escape == null ? null : escape.eval(env);
            if (v == Value.MISSING || p == Value.MISSING || e == Value.MISSING) return Value.MISSING;
            if (!(v instanceof Value.Str s) || !(p instanceof Value.Str ps)) return Value.NULL;
            LikePattern lp = compiled;
            if (lp == null) {
                char esc = escapeChar(e);
                if (esc == 0) return Value.NULL;
                Cached c = cache;
                if (c == null || c.escape != esc || !c.pattern.equals(ps.value())) {
                    c = new Cached(ps.value(), esc, LikePattern.compile(ps.value(), esc, ignoreCase));
                    cache = c;
                }
                lp = c.compiled;
                if (lp == null) return Value.NULL;
            }
            return Comparisons.bool(lp.matches(s.value(), env.cancellation) != negated);
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('(');
            value.print(sb);
            sb.append(negated ? " NOT" : "").append(ignoreCase ? " ILIKE " : " LIKE ");
            pattern.print(sb);
            if (escape != null) {
                sb.append(" ESCAPE ");
                escape.print(sb);
            }
            sb.append(')');
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Like l
                    && negated == l.negated
                    && ignoreCase == l.ignoreCase
                    && value.equals(l.value)
                    && pattern.equals(l.pattern)
                    && Objects.equals(escape, l.escape);
        }

        @Override
        public int hashCode() {
            return Objects.hash(value, pattern, escape, negated, ignoreCase);
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    enum IsKind {
        NULL,
        MISSING,
        VALUED
    }

    /**
     * {@code v IS [NOT] NULL|MISSING|VALUED}. IS NULL of MISSING is MISSING (SQL++); IS MISSING and IS VALUED
     * are always TRUE or FALSE.
     */
    record Is(Node value, IsKind kind, boolean negated) implements Node {
        @Override
        public Value eval(Env env) {
            Value v = value.eval(env);
            switch (kind) {
                case NULL:
                    if (v == Value.MISSING) return Value.MISSING;
                    return Comparisons.bool((v == Value.NULL) != negated);
                case MISSING:
                    return Comparisons.bool((v == Value.MISSING) != negated);
                default:
                    return Comparisons.bool(!v.isAbsent() != negated);
            }
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('(');
            value.print(sb);
            sb.append(negated ? " IS NOT " : " IS ").append(kind.name()).append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    record WhenThen(Node when, Node then) {}

    /** Searched ({@code operand == null}) or simple CASE; no match and no ELSE gives NULL. */
    record Case(
            @Nullable Node operand,
            List<WhenThen> whens,
            @Nullable Node otherwise) implements Node {
        public Case {
            whens = List.copyOf(whens);
        }

        @Override
        public Value eval(Env env) {
            Value x = operand == null ? null : operand.eval(env);
            for (WhenThen w : whens) {
                Value c = w.when().eval(env);
                if (Comparisons.isTrue(x == null ? c : Comparisons.equal(x, c)))
                    return w.then().eval(env);
            }
            return otherwise == null ? Value.NULL : otherwise.eval(env);
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append("CASE");
            if (operand != null) {
                sb.append(' ');
                operand.print(sb);
            }
            for (WhenThen w : whens) {
                sb.append(" WHEN ");
                w.when().print(sb);
                sb.append(" THEN ");
                w.then().print(sb);
            }
            if (otherwise != null) {
                sb.append(" ELSE ");
                otherwise.print(sb);
            }
            sb.append(" END");
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    // ---------------------------------------------------------------------------------------------- constructors

    /** {@code [a, b, …]}; MISSING items become NULL. Precomputed when every item is a literal. */
    final class ArrayCtor implements Node {
        final List<Node> items;
        final @Nullable Value constant;

        ArrayCtor(List<Node> items) {
            this.items = List.copyOf(items);
            boolean allLiteral = this.items.stream().allMatch(n -> n instanceof Literal);
            if (allLiteral) {
                List<Value> values = new ArrayList<>(this.items.size());
                for (Node n : this.items) values.add(((Literal) n).value());
                this.constant = new Value.Arr(values);
            } else {
                this.constant = null;
            }
        }

        @Override
        public Value eval(Env env) {
            if (constant != null) return constant;
            List<Value> values = new ArrayList<>(items.size());
            long size = 1;
            for (Node n : items) {
                Value v = n.eval(env);
                size += ValueSize.of(v, ValueSize.MAX - size);
                ValueSize.check(size, "an array constructor [...]");
                values.add(v);
            }
            return new Value.Arr(values);
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('[');
            printList(sb, items);
            sb.append(']');
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ArrayCtor a && items.equals(a.items);
        }

        @Override
        public int hashCode() {
            return items.hashCode();
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    record Entry(String key, Node value) {}

    /** {@code {'k': v, …}}; a field whose value is MISSING is left out. Precomputed when all values are literals. */
    final class ObjectCtor implements Node {
        final List<Entry> entries;
        private final @Nullable Value constant;

        ObjectCtor(List<Entry> entries) {
            this.entries = List.copyOf(entries);
            if (this.entries.stream().allMatch(e -> e.value() instanceof Literal)) {
                Map<String, Value> m = new LinkedHashMap<>();
                for (Entry e : this.entries) m.put(e.key(), ((Literal) e.value()).value());
                this.constant = new Value.Obj(m);
            } else {
                this.constant = null;
            }
        }

        @Override
        public Value eval(Env env) {
            if (constant != null) return constant;
            Map<String, Value> m = new LinkedHashMap<>();
            long size = 1;
            for (Entry e : entries) {
                Value v = e.value().eval(env);
                size += e.key().length() + ValueSize.of(v, ValueSize.MAX - size);
                ValueSize.check(size, "an object constructor {...}");
                m.put(e.key(), v);
            }
            return new Value.Obj(m);
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append('{');
            for (int i = 0; i < entries.size(); i++) {
                if (i > 0) sb.append(", ");
                Keywords.appendString(sb, entries.get(i).key());
                sb.append(": ");
                entries.get(i).value().print(sb);
            }
            sb.append('}');
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ObjectCtor c && entries.equals(c.entries);
        }

        @Override
        public int hashCode() {
            return entries.hashCode();
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    // ---------------------------------------------------------------------------------------------- calls

    /**
     * A scalar function call, resolved and specialised at parse time. It keeps the position of its name (not part of
     * equality) for errors its function raises while running, such as a value too large to build.
     */
    final class Call implements Node {
        final FunctionDef fn;
        final List<Node> args;
        private final FunctionDef.Impl impl;
        private final int line;
        private final int column;

        Call(FunctionDef fn, List<Node> args) {
            this(fn, args, 0, 0);
        }

        Call(FunctionDef fn, List<Node> args, int line, int column) {
            this.fn = fn;
            this.args = List.copyOf(args);
            this.impl = fn.binder.bind(this.args);
            this.line = line;
            this.column = column;
        }

        @Override
        public Value eval(Env env) {
            int n = args.size();
            Value[] vals = new Value[n];
            boolean missing = false, nul = false;
            for (int i = 0; i < n; i++) {
                Value v = args.get(i).eval(env);
                vals[i] = v;
                if (v == Value.MISSING) missing = true;
                else if (v == Value.NULL) nul = true;
            }
            if (fn.absentPropagates) {
                if (missing) return Value.MISSING;
                if (nul) return Value.NULL;
            }
            try {
                return impl.apply(env, vals);
            } catch (DqlException e) {
                if (line > 0 && e.line() == 0 && e.kind() == DqlException.Kind.INVALID) throw e.at(line, column);
                throw e;
            }
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append(fn.name).append('(');
            printList(sb, args);
            sb.append(')');
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Call c && fn == c.fn && args.equals(c.args);
        }

        @Override
        public int hashCode() {
            return fn.name.hashCode() * 31 + args.hashCode();
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    enum AggregateKind {
        COUNT,
        SUM,
        AVG,
        MIN,
        MAX
    }

    /**
     * An aggregate ({@code COUNT(*)} has a null argument). It reads its group's result from
     * {@code env.aggregates[slot]}; the executor computes those (see SelectExecution).
     */
    record Aggregate(AggregateKind kind, @Nullable Node argument, boolean distinct, int slot) implements Node {
        @Override
        public Value eval(Env env) {
            return env.aggregates == null ? Value.MISSING : env.aggregates[slot];
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append(kind.name().toLowerCase(java.util.Locale.ROOT)).append('(');
            if (argument == null) {
                sb.append('*');
            } else {
                if (distinct) sb.append("DISTINCT ");
                argument.print(sb);
            }
            sb.append(')');
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    // ---------------------------------------------------------------------------------------------- collections

    /**
     * {@code ANY|EVERY v IN source SATISFIES condition END}. A MISSING source gives MISSING, any other non-array
     * NULL; over an empty array ANY is FALSE and EVERY is TRUE.
     */
    record Quantified(boolean every, int slot, String variable, Node source, Node condition) implements Node {
        @Override
        public Value eval(Env env) {
            Value src = source.eval(env);
            if (src == Value.MISSING) return Value.MISSING;
            if (!(src instanceof Value.Arr arr)) return Value.NULL;
            Value saved = env.vars[slot];
            try {
                for (Value item : arr.items()) {
                    env.cancellation.check();
                    env.vars[slot] = item;
                    boolean t = Comparisons.isTrue(condition.eval(env));
                    if (every && !t) return Value.FALSE;
                    if (!every && t) return Value.TRUE;
                }
                return Comparisons.bool(every);
            } finally {
                env.vars[slot] = saved;
            }
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append(every ? "EVERY " : "ANY ");
            Keywords.appendIdentifier(sb, variable);
            sb.append(" IN ");
            source.print(sb);
            sb.append(" SATISFIES ");
            condition.print(sb);
            sb.append(" END");
        }

        @Override
        public String toString() {
            return toDql();
        }
    }

    /**
     * {@code ARRAY mapping FOR v IN source [WHEN condition] END}: maps the items for which the condition is
     * TRUE; mapped MISSING values are left out. Non-array sources as for {@link Quantified}.
     */
    record ArrayFor(
            Node mapping,
            int slot,
            String variable,
            Node source,
            @Nullable Node condition) implements Node {
        @Override
        public Value eval(Env env) {
            Value src = source.eval(env);
            if (src == Value.MISSING) return Value.MISSING;
            if (!(src instanceof Value.Arr arr)) return Value.NULL;
            Value saved = env.vars[slot];
            try {
                List<Value> out = new ArrayList<>(arr.size());
                long size = 1;
                for (Value item : arr.items()) {
                    env.cancellation.check();
                    env.vars[slot] = item;
                    if (condition != null && !Comparisons.isTrue(condition.eval(env))) continue;
                    Value m = mapping.eval(env);
                    if (m == Value.MISSING) continue;
                    size += ValueSize.of(m, ValueSize.MAX - size);
                    ValueSize.check(size, "ARRAY … FOR");
                    out.add(m);
                }
                return new Value.Arr(out);
            } finally {
                env.vars[slot] = saved;
            }
        }

        @Override
        public void print(StringBuilder sb) {
            sb.append("ARRAY ");
            mapping.print(sb);
            sb.append(" FOR ");
            Keywords.appendIdentifier(sb, variable);
            sb.append(" IN ");
            source.print(sb);
            if (condition != null) {
                sb.append(" WHEN ");
                condition.print(sb);
            }
            sb.append(" END");
        }

        @Override
        public String toString() {
            return toDql();
        }
    }
}
