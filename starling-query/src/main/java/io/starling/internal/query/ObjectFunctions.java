package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Object functions. Names and values come in code-point order of the names, so the result does not depend on
 * the order in which replicas happened to merge the fields.
 */
final class ObjectFunctions {
    private ObjectFunctions() {}

    static void register(FunctionRegistry.Builder b) {
        b.fn(
                "object_keys",
                1,
                1,
                (env, a) -> {
                    if (!(a[0] instanceof Value.Obj o)) return Value.NULL;
                    List<Value> out = new ArrayList<>();
                    for (String k : Comparisons.sortedKeys(o)) out.add(Value.of(k));
                    return new Value.Arr(out);
                },
                "object_names");
        b.fn("object_values", 1, 1, (env, a) -> {
            if (!(a[0] instanceof Value.Obj o)) return Value.NULL;
            List<Value> out = new ArrayList<>();
            for (String k : Comparisons.sortedKeys(o)) out.add(o.get(k));
            return new Value.Arr(out);
        });
        b.fn("object_length", 1, 1, (env, a) -> a[0] instanceof Value.Obj o ? Value.of((long) o.size()) : Value.NULL);
    }
}
