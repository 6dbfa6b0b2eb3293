package io.starling.internal.query;

import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The built-in scalar functions by (case-insensitive) name. Each function family registers itself; aliases map to
 * the same {@link FunctionDef}, so {@code substring(…)} and {@code substr(…)} parse to equal trees. Aggregates
 * (COUNT, SUM, AVG, MIN, MAX) are syntax, not functions, and are not listed here.
 */
final class FunctionRegistry {
    private FunctionRegistry() {}

    private static final Map<String, FunctionDef> BY_NAME;

    static {
        Builder b = new Builder();
        ConditionalFunctions.register(b);
        TypeFunctions.register(b);
        StringFunctions.register(b);
        NumericFunctions.register(b);
        ArrayFunctions.register(b);
        ObjectFunctions.register(b);
        DateFunctions.register(b);
        BY_NAME = Collections.unmodifiableMap(b.map);
    }

    /** The function, or null when there is none of that name. */
    static @Nullable FunctionDef lookup(String name) {
        return BY_NAME.get(name.toLowerCase(Locale.ROOT));
    }

    /** Every registered name and alias, sorted. */
    static Set<String> names() {
        return Collections.unmodifiableSet(new TreeSet<>(BY_NAME.keySet()));
    }

    /** Registration helper handed to each function family. */
    static final class Builder {
        private final Map<String, FunctionDef> map = new HashMap<>();

        /** A function for which MISSING/NULL arguments propagate (the usual case). */
        void fn(String name, int min, int max, FunctionDef.Impl impl, String... aliases) {
            bound(name, min, max, true, args -> impl, aliases);
        }

        /** A function that sees MISSING and NULL arguments itself (conditional and type functions). */
        void raw(String name, int min, int max, FunctionDef.Impl impl, String... aliases) {
            bound(name, min, max, false, args -> impl, aliases);
        }

        void bound(String name, int min, int max, boolean propagates, FunctionDef.Binder binder, String... aliases) {
            FunctionDef def = new FunctionDef(name, min, max, propagates, binder);
            put(name, def);
            for (String a : aliases) put(a, def);
        }

        private void put(String name, FunctionDef def) {
            if (map.put(name, def) != null) throw new IllegalStateException("duplicate function " + name);
        }
    }
}
