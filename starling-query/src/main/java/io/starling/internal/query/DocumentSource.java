package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexRange;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The documents of a store as the executor sees them; implemented by the engine over storage.
 * Implementations must be safe to call from the thread running the query; the executor never retains the
 * source after a call returns. All methods see one consistent snapshot for the duration of a statement.
 *
 * <p>Orders are {@link io.starling.internal.core.ValueOrder}: "{@code _id} order" means ascending ValueOrder of the
 * {@code _id} values, which is the order of query results without ORDER BY (see docs/QUERY-LANGUAGE.md).
 */
public interface DocumentSource {
    /**
     * Visits the live documents of a collection (each includes {@code "_id"}) in {@code _id} order, until the
     * visitor returns false. A missing collection has no documents.
     */
    void scan(String collection, Predicate<Value.Obj> visitor);

    /**
     * As {@link #scan(String, Predicate)}, but the documents need to hold only {@code _id} and the top-level fields
     * in {@code fields} (every field when null): the statement reads no other. A source may give whole documents; the
     * default does. The documents must not outlive the statement as whole documents (a SELECT projects them).
     */
    default void scan(String collection, @Nullable Set<String> fields, Predicate<Value.Obj> visitor) {
        scan(collection, visitor);
    }

    /**
     * As {@link #scan(String, Predicate)}, but only the documents {@code filter} accepts reach the visitor. The filter
     * reads only the top-level fields in {@code filterFields} ({@code _id} among them when it reads the id), so a
     * source may test it on a document holding just those fields and read a whole document only for the ones that
     * pass (an unindexed {@code SELECT * … WHERE} then decodes only its matches). The default tests whole documents.
     */
    default void scanFiltered(
            String collection, Set<String> filterFields, Predicate<Value.Obj> filter, Predicate<Value.Obj> visitor) {
        scan(collection, doc -> !filter.test(doc) || visitor.test(doc));
    }

    /**
     * As {@link #scanFiltered(String, Set, Predicate, Predicate)}, but the documents that reach the visitor need to
     * hold only {@code _id} and the top-level fields in {@code fields} (every field when null), as for {@link
     * #scan(String, Set, Predicate)}. The default gives whole documents.
     */
    default void scanFiltered(
            String collection,
            Set<String> filterFields,
            Predicate<Value.Obj> filter,
            @Nullable Set<String> fields,
            Predicate<Value.Obj> visitor) {
        scanFiltered(collection, filterFields, filter, visitor);
    }

    /**
     * Strings the matches of a filter hold: for each one, the filter accepts only documents in which some value (a
     * field's, or one nested in it) is that string, as a WHERE {@code a = 'x' AND …} holds {@code 'x'}. A source that
     * leaves documents out unseen because of them calls {@code poll} now and then while it does (the statement's
     * cancellation check: it throws to stop the scan), since the filter, which polls, does not see those documents.
     */
    record HeldStrings(List<String> strings, Runnable poll) {
        public HeldStrings {
            strings = List.copyOf(strings);
        }

        /** No strings: nothing may be left out. */
        public static final HeldStrings NONE = new HeldStrings(List.of(), () -> {});
    }

    /**
     * As {@link #scanFiltered(String, Set, Predicate, Set, Predicate)}, with strings the filter's matches hold: a
     * source may leave out, without testing them, documents whose stored form cannot hold one of them (calling
     * {@link HeldStrings#poll} while it does); the filter still tests every document given. The default ignores the
     * strings.
     */
    default void scanFiltered(
            String collection,
            Set<String> filterFields,
            HeldStrings heldStrings,
            Predicate<Value.Obj> filter,
            @Nullable Set<String> fields,
            Predicate<Value.Obj> visitor) {
        scanFiltered(collection, filterFields, filter, fields, visitor);
    }

    /**
     * Visits the live documents of a collection whose {@code _id} lies between two bounds in ValueOrder (each null
     * when unbounded; the bounds need not be ids: {@code _id > 1.5}), in {@code _id} order, or in descending
     * {@code _id} order with {@code reverse}, until the visitor returns false. {@code fields} is as for
     * {@link #scan(String, Set, Predicate)}. This is the range scan on the primary key behind {@code _id} range
     * predicates and {@code ORDER BY _id}: a store should seek to the first id and stop at the last (costing one
     * seek plus a step per document visited). The default filters a full scan, and a reverse one holds the
     * documents in range in memory; it is there for sources without an id order of their own.
     */
    default void scanIds(
            String collection,
            IndexRange.@Nullable Bound lower,
            IndexRange.@Nullable Bound upper,
            boolean reverse,
            @Nullable Set<String> fields,
            Predicate<Value.Obj> visitor) {
        ValueSet.Interval range = new ValueSet.Interval(lower, upper);
        java.util.ArrayList<Value.Obj> held = new java.util.ArrayList<>();
        scan(collection, fields, doc -> {
            Value id = doc.get("_id");
            if (!range.contains(id)) {
                return upper == null || ValueOrder.compare(id, upper.value()) < 0; // past the upper bound: done
            }
            if (!reverse) return visitor.test(doc);
            held.add(doc);
            return true;
        });
        for (int i = held.size() - 1; i >= 0; i--) if (!visitor.test(held.get(i))) return;
    }

    /** The live document with this {@code _id}, or null. */
    Value.@Nullable Obj get(String collection, Value id);

    /**
     * The secondary indexes of a collection that {@link #scanIndex} can read, in any order; empty when there are
     * none (the default: the planner then scans). Called once per statement, so it should be cheap.
     */
    default List<IndexDefinition> indexes(String collection) {
        return List.of();
    }

    /**
     * Visits the live documents whose key under {@code index} ({@link IndexDefinition#keyOf}) lies in
     * {@code range}, until the visitor returns false, in index order: by key, component by component in
     * {@link io.starling.internal.core.ValueOrder} (reversed for a descending component), documents with equal keys
     * by {@code _id} in ascending ValueOrder. With {@code reverse} the order is exactly reversed (equal keys then by
     * descending {@code _id}). Only called with an index that {@link #indexes} returned for the same statement.
     *
     * @throws UnsupportedOperationException by default: a source that returns indexes must implement this
     */
    default void scanIndex(IndexDefinition index, IndexRange range, boolean reverse, Predicate<Value.Obj> visitor) {
        throw new UnsupportedOperationException(
                getClass().getName() + " returns indexes but cannot scan index " + index.name());
    }

    /**
     * The number of live documents in a collection (0 for a missing one), for {@code SELECT COUNT(*) FROM c}
     * without WHERE. The default counts a {@link #scan}; a store should answer without reading documents.
     */
    default long count(String collection) {
        long[] n = {0};
        scan(collection, doc -> {
            n[0]++;
            return true;
        });
        return n[0];
    }
}
