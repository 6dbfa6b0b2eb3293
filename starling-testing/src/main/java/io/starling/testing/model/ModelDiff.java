package io.starling.testing.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** Where two documents differ, path by path: what a comparison of a replica with the model reports. */
public final class ModelDiff {
    private static final int MAX = 12;

    private ModelDiff() {}

    /**
     * The differences between an expected and an actual document (either null: it does not exist), each as
     * {@code path: expected … , actual …}; empty when they are equal. Values are compared as plain Java values
     * ({@link ModelValues#canonical}): key order does not matter, {@code 1L} is not {@code 1.0}.
     */
    public static List<String> differences(@Nullable Map<String, ?> expected, @Nullable Map<String, ?> actual) {
        List<String> out = new ArrayList<>();
        if (expected == null || actual == null) {
            if (expected != actual)
                out.add("<document>: expected " + (expected == null ? "none" : ModelValues.text(expected)) + ", actual "
                        + (actual == null ? "none" : ModelValues.text(actual)));
            return out;
        }
        walk("", ModelValues.canonical(expected), ModelValues.canonical(actual), out);
        return out;
    }

    private static void walk(String path, @Nullable Object e, @Nullable Object a, List<String> out) {
        if (out.size() >= MAX) return;
        if (e instanceof Map<?, ?> em && a instanceof Map<?, ?> am) {
            TreeSet<String> keys = new TreeSet<>();
            for (Object k : em.keySet()) keys.add((String) k);
            for (Object k : am.keySet()) keys.add((String) k);
            for (String k : keys) {
                walk(
                        path.isEmpty() ? k : path + "." + k,
                        em.containsKey(k) ? em.get(k) : ModelValues.MISSING,
                        am.containsKey(k) ? am.get(k) : ModelValues.MISSING,
                        out);
            }
        } else if (!Objects.equals(e, a)) {
            out.add(path + ": expected " + ModelValues.text(e) + ", actual " + ModelValues.text(a));
        }
    }
}
