package io.starling.internal.query;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexRange.Bound;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What a WHERE says about the values at some paths: for each path, a {@link ValueSet} that holds the path's value
 * in every document for which the condition is TRUE. It may say too much (a superset) but never too little, so a
 * plan built from it may read extra documents (the full WHERE is applied to each) but never misses one.
 *
 * <p>The rules follow the evaluator's semantics exactly (docs/QUERY-LANGUAGE.md, "Comparisons"):
 * <ul>
 *   <li>{@code p = c}: the values equal to {@code c} under {@code =} — numbers by value, so {@code 5} gives the two
 *       points {@code 5} and {@code 5.0}; MISSING or NULL {@code c} gives the empty set ({@code = NULL} never
 *       matches); an array or object with numbers inside gives the range between its all-integer and all-float
 *       spellings;
 *   <li>{@code p < c} and friends (and BETWEEN): values of {@code c}'s type only (comparisons across types are never
 *       TRUE), so {@code a < 5} lies between {@code TRUE} (exclusive) and {@code ''} (exclusive);
 *   <li>{@code p IN list}: the union of the items' equality sets (MISSING/NULL items match nothing);
 *   <li>{@code p LIKE 'abc%'}: the strings from {@code 'abc'} (inclusive) to {@code 'abd'} (exclusive); a pattern
 *       without wildcards is one string; ILIKE, NOT LIKE and a pattern starting with a wildcard say nothing;
 *   <li>{@code p IS NULL} / {@code p IS MISSING}: one point; a bare {@code p}: the point {@code TRUE};
 *   <li>{@code A AND B}: per path, the intersection; {@code A OR B}: for paths constrained on both sides, the union;
 *   <li>anything else ({@code NOT}, {@code !=}, {@code NOT IN}, functions of fields, comparisons of two fields…):
 *       nothing.
 * </ul>
 * "Constant" operands are literals, arguments, and operators, constructors and function calls over constants;
 * they are evaluated once, when planning.
 */
final class Constraints {
    private Constraints() {}

    private static final Bound TRUE_EXCLUSIVE = new Bound(Value.TRUE, false);

    /** The constraints of {@code condition} on the given paths (other paths are ignored: unconstrained). */
    static Map<Path, ValueSet> of(Node condition, Set<Path> paths, Env env) {
        if (condition instanceof Node.Binary b) {
            switch (b.op()) {
                case AND:
                    return intersect(of(b.left(), paths, env), of(b.right(), paths, env));
                case OR: {
                    Map<Path, ValueSet> l = of(b.left(), paths, env);
                    if (l.isEmpty()) return Map.of();
                    Map<Path, ValueSet> r = of(b.right(), paths, env);
                    Map<Path, ValueSet> out = new HashMap<>();
                    for (Map.Entry<Path, ValueSet> e : l.entrySet()) {
                        ValueSet other = r.get(e.getKey());
                        if (other != null) out.put(e.getKey(), e.getValue().union(other));
                    }
                    return out;
                }
                case EQ:
                case LT:
                case LE:
                case GT:
                case GE: {
                    Path left = path(b.left(), paths), right = path(b.right(), paths);
                    if (left != null && isConstant(b.right()))
                        return Map.of(left, compare(b.op(), eval(b.right(), env)));
                    if (right != null && isConstant(b.left())) {
                        return Map.of(right, compare(flip(b.op()), eval(b.left(), env)));
                    }
                    return Map.of();
                }
                default:
                    return Map.of();
            }
        }
        if (condition instanceof Node.Between bt) {
            Path p = path(bt.value(), paths);
            if (p == null || bt.negated() || !isConstant(bt.low()) || !isConstant(bt.high())) return Map.of();
            return Map.of(
                    p,
                    compare(Node.BinaryOp.GE, eval(bt.low(), env))
                            .intersect(compare(Node.BinaryOp.LE, eval(bt.high(), env))));
        }
        if (condition instanceof Node.In in) {
            Path p = path(in.value(), paths);
            if (p == null || in.negated() || !isConstant(in.list())) return Map.of();
            Value list = eval(in.list(), env);
            if (!(list instanceof Value.Arr arr)) return Map.of(p, equal(list));
            List<ValueSet> items = new ArrayList<>(arr.size());
            for (Value item : arr.items()) items.add(equal(item));
            return Map.of(p, ValueSet.unionAll(items));
        }
        if (condition instanceof Node.Like like) {
            Path p = path(like.value(), paths);
            if (p == null
                    || like.negated()
                    || like.ignoreCase()
                    || !isConstant(like.pattern())
                    || (like.escape() != null && !isConstant(like.escape()))) {
                return Map.of();
            }
            ValueSet s = likePrefix(eval(like.pattern(), env), like.escape() == null ? null : eval(like.escape(), env));
            return s == null ? Map.of() : Map.of(p, s);
        }
        if (condition instanceof Node.Is is) {
            Path p = path(is.value(), paths);
            if (p == null || is.negated()) return Map.of();
            if (is.kind() == Node.IsKind.NULL) return Map.of(p, ValueSet.point(Value.NULL));
            if (is.kind() == Node.IsKind.MISSING) return Map.of(p, ValueSet.point(Value.MISSING));
            return Map.of();
        }
        Path bare = path(condition, paths);
        return bare == null ? Map.of() : Map.of(bare, ValueSet.point(Value.TRUE)); // WHERE flag: TRUE only
    }

    /** Per path, the intersection; a path constrained on one side only keeps that side's set. */
    static Map<Path, ValueSet> intersect(Map<Path, ValueSet> a, Map<Path, ValueSet> b) {
        if (a.isEmpty()) return b;
        if (b.isEmpty()) return a;
        Map<Path, ValueSet> out = new LinkedHashMap<>(a);
        for (Map.Entry<Path, ValueSet> e : b.entrySet()) out.merge(e.getKey(), e.getValue(), ValueSet::intersect);
        return out;
    }

    /** The path of a field reference the planner cares about, else null. */
    private static @Nullable Path path(Node n, Set<Path> paths) {
        return n instanceof Node.Field f && paths.contains(f.path()) ? f.path() : null;
    }

    private static Node.BinaryOp flip(Node.BinaryOp op) {
        switch (op) {
            case LT:
                return Node.BinaryOp.GT;
            case LE:
                return Node.BinaryOp.GE;
            case GT:
                return Node.BinaryOp.LT;
            case GE:
                return Node.BinaryOp.LE;
            default:
                return op;
        }
    }

    /** Values that do not depend on the document: literals, arguments, and operators and calls over them. */
    static boolean isConstant(Node n) {
        if (n instanceof Node.Literal || n instanceof Node.Arg) return true;
        if (n instanceof Node.Neg neg) return isConstant(neg.operand());
        if (n instanceof Node.ArrayCtor a) return a.items.stream().allMatch(Constraints::isConstant);
        if (n instanceof Node.ObjectCtor o) return o.entries.stream().allMatch(e -> isConstant(e.value()));
        if (n instanceof Node.Call c) return c.args.stream().allMatch(Constraints::isConstant);
        if (n instanceof Node.Binary b) {
            return b.op() != Node.BinaryOp.AND
                    && b.op() != Node.BinaryOp.OR
                    && isConstant(b.left())
                    && isConstant(b.right());
        }
        return false;
    }

    static Value eval(Node constant, Env env) {
        env.row = Value.Obj.EMPTY;
        return constant.eval(env);
    }

    // ---------------------------------------------------------------------------------------------- value sets

    /** The values {@code x} for which {@code x = c} is TRUE. */
    static ValueSet equal(Value c) {
        if (c.isAbsent()) return ValueSet.NONE;
        Value low = lowest(c), high = highest(c);
        if (c.isNumber()) return ValueSet.point(low).union(ValueSet.point(high));
        if (low.equals(high)) return ValueSet.point(c);
        return ValueSet.between(new Bound(low, true), new Bound(high, true));
    }

    /** The values {@code x} for which {@code x op c} is TRUE, op one of {@code = < <= > >=}. */
    static ValueSet compare(Node.BinaryOp op, Value c) {
        if (op == Node.BinaryOp.EQ) return equal(c);
        if (c.isAbsent()) return ValueSet.NONE;
        Value low = lowest(c), high = highest(c);
        // Inside an array or object, a number and its other spelling order differently (1 < 1.0 in ValueOrder)
        // although they compare equal: widen to the inclusive bound, the filter decides.
        boolean widen = !c.isNumber() && !low.equals(high);
        ValueSet s;
        switch (op) {
            case LT:
                s = ValueSet.between(null, widen ? new Bound(high, true) : new Bound(low, false));
                break;
            case LE:
                s = ValueSet.between(null, new Bound(high, true));
                break;
            case GT:
                s = ValueSet.between(widen ? new Bound(low, true) : new Bound(high, false), null);
                break;
            default:
                s = ValueSet.between(new Bound(low, true), null);
                break;
        }
        return s.intersect(sameType(c));
    }

    /** All values of {@code c}'s type (numbers together), as {@code < > BETWEEN} never compare across types. */
    static ValueSet sameType(Value c) {
        if (c instanceof Value.Bool) return ValueSet.between(new Bound(Value.FALSE, true), new Bound(Value.TRUE, true));
        if (c.isNumber()) return ValueSet.between(TRUE_EXCLUSIVE, new Bound(Value.of(""), false));
        if (c instanceof Value.Str)
            return ValueSet.between(new Bound(Value.of(""), true), new Bound(Value.Arr.EMPTY, false));
        if (c instanceof Value.Arr)
            return ValueSet.between(new Bound(Value.Arr.EMPTY, true), new Bound(Value.Obj.EMPTY, false));
        if (c instanceof Value.Obj)
            return ValueSet.between(new Bound(Value.Obj.EMPTY, true), new Bound(EMPTY_BINARY, false));
        if (c instanceof Value.Bin) return ValueSet.between(new Bound(EMPTY_BINARY, true), null);
        return ValueSet.NONE;
    }

    private static final Value EMPTY_BINARY = new Value.Bin(new byte[0]);

    /**
     * The strings a constant LIKE pattern can match, as a range; null when the pattern says nothing usable
     * (not a string, a bad escape, or a leading wildcard).
     */
    static @Nullable ValueSet likePrefix(Value pattern, @Nullable Value escape) {
        if (!(pattern instanceof Value.Str ps)) return null;
        char esc = '\\';
        if (escape != null) {
            if (!(escape instanceof Value.Str es) || es.value().length() != 1) return null;
            esc = es.value().charAt(0);
        }
        LikePattern.Prefix prefix = LikePattern.literalPrefix(ps.value(), esc);
        if (prefix == null) return null;
        String text = prefix.text();
        if (prefix.exact()) return ValueSet.point(Value.of(text));
        // a trailing high surrogate may pair with the next character of a matching string: leave it out
        if (!text.isEmpty() && Character.isHighSurrogate(text.charAt(text.length() - 1))) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isEmpty()) return null;
        String next = successor(text);
        return ValueSet.between(
                new Bound(Value.of(text), true), new Bound(next == null ? Value.Arr.EMPTY : Value.of(next), false));
    }

    /**
     * The smallest string, by code point, greater than every string starting with {@code prefix}: the prefix with
     * its last code point below U+10FFFF incremented and what follows dropped; null when there is none.
     */
    static @Nullable String successor(String prefix) {
        int[] cps = prefix.codePoints().toArray();
        for (int k = cps.length - 1; k >= 0; k--) {
            if (cps[k] < Character.MAX_CODE_POINT) {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < k; i++) sb.appendCodePoint(cps[i]);
                return sb.appendCodePoint(cps[k] + 1).toString();
            }
        }
        return null;
    }

    /** {@code v} with every number in its lowest spelling in ValueOrder (the integer when one is equal). */
    static Value lowest(Value v) {
        return spelling(v, true);
    }

    /** {@code v} with every number in its highest spelling in ValueOrder (the float when one is equal). */
    static Value highest(Value v) {
        return spelling(v, false);
    }

    private static Value spelling(Value v, boolean integer) {
        if (v instanceof Value.Int i) {
            if (integer) return v;
            Value d = Value.of((double) i.value());
            return ValueOrder.compareNumbers(v, d) == 0 ? d : v;
        }
        if (v instanceof Value.Dbl d) {
            if (!integer) return v;
            double x = d.value();
            if (x != Math.rint(x) || x < -0x1p63 || x >= 0x1p63) return v;
            Value l = Value.of((long) x);
            return ValueOrder.compareNumbers(l, v) == 0 ? l : v;
        }
        if (v instanceof Value.Arr a) {
            List<Value> items = new ArrayList<>(a.size());
            boolean changed = false;
            for (Value item : a.items()) {
                Value s = spelling(item, integer);
                changed |= s != item;
                items.add(s);
            }
            return changed ? new Value.Arr(items) : v;
        }
        if (v instanceof Value.Obj o) {
            Map<String, Value> fields = new LinkedHashMap<>();
            boolean changed = false;
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                Value s = spelling(e.getValue(), integer);
                changed |= s != e.getValue();
                fields.put(e.getKey(), s);
            }
            return changed ? new Value.Obj(fields) : v;
        }
        return v;
    }
}
