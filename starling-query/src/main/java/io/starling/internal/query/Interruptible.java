package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.index.IndexDefinition;
import io.starling.internal.index.IndexRange;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Wrappers that poll a {@link Cancellation} from inside work the evaluator does not loop over itself: a sort (the
 * comparator), a regular expression (the characters it reads) and the reading of documents (the source). Each polls
 * once every {@link #EVERY} steps, so the cost is one counter increment per step.
 */
final class Interruptible {
    private Interruptible() {}

    /** Steps between two polls of a comparator or character sequence (a power of two). */
    static final int EVERY = 4096;

    /** {@code order}, polling {@code c} every {@link #EVERY} comparisons. Not thread-safe (one sort at a time). */
    static <T> Comparator<T> comparator(Comparator<T> order, Cancellation c) {
        if (c == Cancellation.NONE) return order;
        int[] n = {0};
        return (a, b) -> {
            if ((++n[0] & (EVERY - 1)) == 0) c.check();
            return order.compare(a, b);
        };
    }

    /**
     * The text as a regular expression reads it, polling {@code c} every {@link #EVERY} characters read:
     * {@code java.util.regex} reads its input only through {@link CharSequence#charAt}, so even catastrophic
     * backtracking ({@code '^(.*a){20}b'}) stops when the statement must.
     */
    static CharSequence chars(String text, Cancellation c) {
        return c == Cancellation.NONE ? text : new PollingChars(text, c);
    }

    /** The source with every document read (scanned, index-scanned or looked up) preceded by a poll. */
    static DocumentSource source(DocumentSource src, Cancellation c) {
        return c == Cancellation.NONE || src instanceof PollingSource ? src : new PollingSource(src, c);
    }

    private static final class PollingChars implements CharSequence {
        private final String text;
        private final Cancellation cancellation;
        private int reads;

        PollingChars(String text, Cancellation cancellation) {
            this.text = text;
            this.cancellation = cancellation;
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            if ((++reads & (EVERY - 1)) == 0) cancellation.check();
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    private static final class PollingSource implements DocumentSource {
        private final DocumentSource src;
        private final Cancellation cancellation;

        PollingSource(DocumentSource src, Cancellation cancellation) {
            this.src = src;
            this.cancellation = cancellation;
        }

        @Override
        public void scan(String collection, Predicate<Value.Obj> visitor) {
            cancellation.check();
            src.scan(collection, doc -> {
                cancellation.check();
                return visitor.test(doc);
            });
        }

        @Override
        public void scan(String collection, @Nullable Set<String> fields, Predicate<Value.Obj> visitor) {
            cancellation.check();
            src.scan(collection, fields, doc -> {
                cancellation.check();
                return visitor.test(doc);
            });
        }

        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                Predicate<Value.Obj> filter,
                Predicate<Value.Obj> visitor) {
            scanFiltered(collection, filterFields, filter, null, visitor); // every field: as the source's own default
        }

        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                Predicate<Value.Obj> filter,
                @Nullable Set<String> fields,
                Predicate<Value.Obj> visitor) {
            scanFiltered(collection, filterFields, DocumentSource.HeldStrings.NONE, filter, fields, visitor);
        }

        @Override
        public void scanFiltered(
                String collection,
                Set<String> filterFields,
                DocumentSource.HeldStrings heldStrings,
                Predicate<Value.Obj> filter,
                @Nullable Set<String> fields,
                Predicate<Value.Obj> visitor) {
            cancellation.check();
            src.scanFiltered(
                    collection,
                    filterFields,
                    new DocumentSource.HeldStrings(heldStrings.strings(), () -> {
                        cancellation.check();
                        heldStrings.poll().run();
                    }),
                    doc -> {
                        cancellation.check();
                        return filter.test(doc);
                    },
                    fields,
                    visitor);
        }

        @Override
        public Value.@Nullable Obj get(String collection, Value id) {
            cancellation.check();
            return src.get(collection, id);
        }

        @Override
        public void scanIds(
                String collection,
                IndexRange.@Nullable Bound lower,
                IndexRange.@Nullable Bound upper,
                boolean reverse,
                @Nullable Set<String> fields,
                Predicate<Value.Obj> visitor) {
            cancellation.check();
            src.scanIds(collection, lower, upper, reverse, fields, doc -> {
                cancellation.check();
                return visitor.test(doc);
            });
        }

        @Override
        public List<IndexDefinition> indexes(String collection) {
            return src.indexes(collection);
        }

        @Override
        public void scanIndex(IndexDefinition index, IndexRange range, boolean reverse, Predicate<Value.Obj> visitor) {
            cancellation.check();
            src.scanIndex(index, range, reverse, doc -> {
                cancellation.check();
                return visitor.test(doc);
            });
        }

        @Override
        public long count(String collection) {
            cancellation.check();
            return src.count(collection);
        }
    }
}
