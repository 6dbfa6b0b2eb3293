package io.starling.internal.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A path into a document: field names and array positions, such as {@code a.b[0].c}. Never empty.
 * Immutable.
 */
public record Path(List<Segment> segments) {

    public Path {
        if (segments.isEmpty()) throw new IllegalArgumentException("a path has at least one segment");
        segments = List.copyOf(segments);
    }

    /** One step of a path. */
    public sealed interface Segment permits Key, Index {}

    /** A field name. */
    public record Key(String name) implements Segment {
        public Key {
            Objects.requireNonNull(name, "name");
        }
    }

    /** An array position, zero-based; negative counts from the end ({@code -1} is the last item). */
    public record Index(int index) implements Segment {}

    public static Path of(String... fieldNames) {
        List<Segment> s = new ArrayList<>(fieldNames.length);
        for (String n : fieldNames) s.add(new Key(n));
        return new Path(s);
    }

    public Segment first() {
        return segments.get(0);
    }

    public Segment last() {
        return segments.get(segments.size() - 1);
    }

    public int length() {
        return segments.size();
    }

    /** The path without its first segment, or null for a one-segment path. */
    public @Nullable Path tail() {
        return segments.size() == 1 ? null : new Path(segments.subList(1, segments.size()));
    }

    public Path child(Segment s) {
        List<Segment> l = new ArrayList<>(segments);
        l.add(s);
        return new Path(l);
    }

    /** Evaluates this path against a value: MISSING where it leads nowhere. */
    public Value resolve(Value root) {
        Value v = root;
        for (Segment s : segments) {
            if (s instanceof Key k) {
                if (!(v instanceof Value.Obj o)) return Value.MISSING;
                v = o.get(k.name());
            } else {
                if (!(v instanceof Value.Arr a)) return Value.MISSING;
                int i = ((Index) s).index();
                v = a.get(i < 0 ? a.size() + i : i);
            }
        }
        return v;
    }

    /** DQL spelling: {@code a.b[0]}, with backticks around names that are not plain identifiers. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Segment s : segments) {
            if (s instanceof Key k) {
                if (sb.length() > 0) sb.append('.');
                if (k.name().matches("[A-Za-z_][A-Za-z0-9_$]*")) sb.append(k.name());
                else sb.append('`').append(k.name().replace("`", "``")).append('`');
            } else {
                sb.append('[').append(((Index) s).index()).append(']');
            }
        }
        return sb.toString();
    }
}
