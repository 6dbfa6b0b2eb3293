package io.starling.internal.query;

import io.starling.internal.core.Value;

/**
 * Conditional functions: choosing among values by whether they are MISSING or NULL.
 * They see MISSING and NULL arguments themselves (nothing propagates automatically).
 */
final class ConditionalFunctions {
    private ConditionalFunctions() {}

    static void register(FunctionRegistry.Builder b) {
        // first argument that is neither MISSING nor NULL; NULL when there is none
        b.raw("coalesce", 1, -1, (env, a) -> firstValued(a), "ifmissingornull");
        b.raw("ifmissing", 2, -1, (env, a) -> {
            for (Value v : a) if (v != Value.MISSING) return v;
            return Value.NULL;
        });
        b.raw("ifnull", 2, -1, (env, a) -> {
            for (Value v : a) if (v != Value.NULL) return v;
            return Value.NULL;
        });
        b.raw("nvl", 2, 2, (env, a) -> a[0].isAbsent() ? a[1] : a[0]);
        b.raw("nvl2", 3, 3, (env, a) -> a[0].isAbsent() ? a[2] : a[1]);
        b.raw("decode", 3, -1, (env, a) -> {
            int i = 1;
            for (; i + 1 < a.length; i += 2) {
                if (Comparisons.deepEquals(a[0], a[i])) return a[i + 1];
            }
            return i < a.length ? a[i] : Value.NULL;
        });
        b.fn("nullif", 2, 2, (env, a) -> Comparisons.deepEquals(a[0], a[1]) ? Value.NULL : a[0]);
        b.raw("ismissing", 1, 1, (env, a) -> Comparisons.bool(a[0] == Value.MISSING));
        b.raw("isnull", 1, 1, (env, a) -> Comparisons.bool(a[0] == Value.NULL));
        b.raw("isnotnull", 1, 1, (env, a) -> Comparisons.bool(!a[0].isAbsent()), "isvalued");
    }

    private static Value firstValued(Value[] a) {
        for (Value v : a) if (!v.isAbsent()) return v;
        return Value.NULL;
    }
}
