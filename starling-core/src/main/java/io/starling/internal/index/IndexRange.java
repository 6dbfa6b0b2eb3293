package io.starling.internal.index;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A contiguous range of an index, in value terms: the first {@code equal.size()} key components equal the
 * given values exactly (by {@link Value#equals}), and the next component lies between {@code lower} and
 * {@code upper} (each null when unbounded), in {@link io.starling.internal.core.ValueOrder}. Later
 * components are unconstrained. Ranges talk about values, never about directions: a range on a descending
 * component means the same set of keys as on an ascending one; only the byte encoding differs.
 */
public record IndexRange(
        List<Value> equal, @Nullable Bound lower, @Nullable Bound upper) {

    /** One end of a range. */
    public record Bound(Value value, boolean inclusive) {
        public Bound {
            Objects.requireNonNull(value, "value");
        }
    }

    public IndexRange {
        equal = List.copyOf(equal);
    }

    /** Every entry of the index. */
    public static IndexRange all() {
        return new IndexRange(List.of(), null, null);
    }

    /** The first components equal to {@code values}. */
    public static IndexRange equalTo(List<Value> values) {
        return new IndexRange(values, null, null);
    }
}
