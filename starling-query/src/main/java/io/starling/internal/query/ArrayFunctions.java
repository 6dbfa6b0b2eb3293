package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Array functions; a first argument that is not an array gives NULL. */
final class ArrayFunctions {
    private ArrayFunctions() {}

    static void register(FunctionRegistry.Builder b) {
        b.fn(
                "array_contains",
                2,
                2,
                (env, a) ->
                        a[0] instanceof Value.Arr arr ? Comparisons.bool(Comparisons.contains(arr, a[1])) : Value.NULL);
        b.fn(
                "array_length",
                1,
                1,
                (env, a) -> a[0] instanceof Value.Arr arr ? Value.of((long) arr.size()) : Value.NULL);
        b.fn("array_sum", 1, 1, (env, a) -> {
            if (!(a[0] instanceof Value.Arr arr)) return Value.NULL;
            NumericSum s = new NumericSum();
            for (Value v : arr.items()) s.add(v);
            return s.sum();
        });
        b.fn("array_avg", 1, 1, (env, a) -> {
            if (!(a[0] instanceof Value.Arr arr)) return Value.NULL;
            NumericSum s = new NumericSum();
            for (Value v : arr.items()) s.add(v);
            return s.average();
        });
        b.fn("array_min", 1, 1, (env, a) -> extreme(a[0], -1));
        b.fn("array_max", 1, 1, (env, a) -> extreme(a[0], 1));
        b.fn("array_count", 1, 1, (env, a) -> {
            if (!(a[0] instanceof Value.Arr arr)) return Value.NULL;
            long n = 0;
            for (Value v : arr.items()) if (!v.isAbsent()) n++;
            return Value.of(n);
        });
        b.fn("array_distinct", 1, 1, (env, a) -> {
            if (!(a[0] instanceof Value.Arr arr)) return Value.NULL;
            Set<ValueKey> seen = new HashSet<>();
            List<Value> out = new ArrayList<>();
            for (Value v : arr.items()) if (seen.add(new ValueKey(v))) out.add(v);
            return new Value.Arr(out);
        });
        b.fn("array_concat", 2, -1, (env, a) -> {
            long size = 1;
            for (Value v : a) {
                if (!(v instanceof Value.Arr arr)) return Value.NULL;
                size += ValueSize.of(arr, ValueSize.MAX - size + 1) - 1; // the array itself is not an item
                ValueSize.check(size, "array_concat");
            }
            List<Value> out = new ArrayList<>();
            for (Value v : a) out.addAll(((Value.Arr) v).items());
            return new Value.Arr(out);
        });
        b.fn("array_position", 2, 2, (env, a) -> {
            if (!(a[0] instanceof Value.Arr arr)) return Value.NULL;
            for (int i = 0; i < arr.size(); i++) {
                if (Comparisons.deepEquals(arr.items().get(i), a[1])) return Value.of((long) i);
            }
            return Value.of(-1L);
        });
    }

    /** The smallest (sign -1) or largest (sign 1) non-NULL item in ValueOrder; NULL for none. */
    private static Value extreme(Value v, int sign) {
        if (!(v instanceof Value.Arr arr)) return Value.NULL;
        Value best = null;
        for (Value item : arr.items()) {
            if (item.isAbsent()) continue;
            if (best == null || Integer.signum(ValueOrder.compare(item, best)) == sign) best = item;
        }
        return best == null ? Value.NULL : best;
    }
}
