package io.starling.internal.storage;

import java.util.Comparator;
import java.util.Objects;
import java.util.function.BiPredicate;
import org.jspecify.annotations.Nullable;

/**
 * An immutable sorted map whose updates return a new map sharing all untouched nodes with the old one
 * (a treap with path copying): {@code O(log n)} expected per operation, and an old version stays valid and
 * unchanged forever. {@link InMemoryStorage} publishes one version per commit, which gives every reader a
 * snapshot for free.
 *
 * <p>Node priorities are a mix of the key's hash code, so the shape depends only on the keys: deterministic,
 * and balanced in expectation for keys whose hash codes are not adversarial. Null keys and values are not
 * allowed. Immutable and thread-safe.
 */
final class PersistentSortedMap<K, V> {

    private static final class Node<K, V> {
        final K key;
        final V value;
        final int priority;
        final @Nullable Node<K, V> left;
        final @Nullable Node<K, V> right;

        Node(K key, V value, int priority, @Nullable Node<K, V> left, @Nullable Node<K, V> right) {
            this.key = key;
            this.value = value;
            this.priority = priority;
            this.left = left;
            this.right = right;
        }

        Node<K, V> with(@Nullable Node<K, V> newLeft, @Nullable Node<K, V> newRight) {
            return new Node<>(key, value, priority, newLeft, newRight);
        }
    }

    private final Comparator<? super K> comparator;
    private final @Nullable Node<K, V> root;
    private final int size;

    private PersistentSortedMap(Comparator<? super K> comparator, @Nullable Node<K, V> root, int size) {
        this.comparator = comparator;
        this.root = root;
        this.size = size;
    }

    static <K, V> PersistentSortedMap<K, V> empty(Comparator<? super K> comparator) {
        return new PersistentSortedMap<>(Objects.requireNonNull(comparator, "comparator"), null, 0);
    }

    int size() {
        return size;
    }

    @Nullable
    V get(K key) {
        Node<K, V> n = root;
        while (n != null) {
            int c = comparator.compare(key, n.key);
            if (c == 0) {
                return n.value;
            }
            n = c < 0 ? n.left : n.right;
        }
        return null;
    }

    /** A map with {@code key} mapped to {@code value}, replacing any previous mapping. */
    PersistentSortedMap<K, V> put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        boolean added = get(key) == null;
        return new PersistentSortedMap<>(comparator, insert(root, key, value, priority(key)), size + (added ? 1 : 0));
    }

    private Node<K, V> insert(@Nullable Node<K, V> n, K key, V value, int priority) {
        if (n == null) {
            return new Node<>(key, value, priority, null, null);
        }
        int c = comparator.compare(key, n.key);
        if (c == 0) {
            return new Node<>(key, value, n.priority, n.left, n.right);
        }
        if (c < 0) {
            Node<K, V> l = insert(n.left, key, value, priority);
            // rotate right when the new child outranks its parent
            return l.priority > n.priority ? l.with(l.left, n.with(l.right, n.right)) : n.with(l, n.right);
        }
        Node<K, V> r = insert(n.right, key, value, priority);
        return r.priority > n.priority ? r.with(n.with(n.left, r.left), r.right) : n.with(n.left, r);
    }

    /** A map without {@code key}; this map itself when the key is absent. */
    PersistentSortedMap<K, V> remove(K key) {
        if (get(key) == null) {
            return this;
        }
        return new PersistentSortedMap<>(comparator, delete(root, key), size - 1);
    }

    private @Nullable Node<K, V> delete(@Nullable Node<K, V> n, K key) {
        if (n == null) {
            return null; // not reached: remove() deletes only a key that is present
        }
        int c = comparator.compare(key, n.key);
        if (c == 0) {
            return merge(n.left, n.right);
        }
        return c < 0 ? n.with(delete(n.left, key), n.right) : n.with(n.left, delete(n.right, key));
    }

    /** Joins two treaps whose keys are all smaller in {@code a} than in {@code b}. */
    private static <K, V> @Nullable Node<K, V> merge(@Nullable Node<K, V> a, @Nullable Node<K, V> b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.priority > b.priority ? a.with(a.left, merge(a.right, b)) : b.with(merge(a, b.left), b.right);
    }

    /**
     * Visits entries in ascending key order starting at {@code from} (inclusive or not; null means from the
     * smallest key) until the visitor returns false.
     *
     * @return false if the visitor stopped the iteration
     */
    boolean forEachFrom(@Nullable K from, boolean inclusive, BiPredicate<? super K, ? super V> visitor) {
        return visit(root, from, inclusive, visitor);
    }

    private boolean visit(
            @Nullable Node<K, V> n, @Nullable K from, boolean inclusive, BiPredicate<? super K, ? super V> visitor) {
        while (n != null) {
            int c = from == null ? 1 : comparator.compare(n.key, from);
            if (c > 0 || (c == 0 && inclusive)) {
                if (!visit(n.left, from, inclusive, visitor) || !visitor.test(n.key, n.value)) {
                    return false;
                }
            }
            n = n.right; // the right subtree is in range whenever n is; when n is not, only it may be
        }
        return true;
    }

    /**
     * Visits entries in descending key order starting at {@code from} (inclusive or not; null means from the largest
     * key) until the visitor returns false.
     *
     * @return false if the visitor stopped the iteration
     */
    boolean forEachDescendingFrom(@Nullable K from, boolean inclusive, BiPredicate<? super K, ? super V> visitor) {
        return visitDescending(root, from, inclusive, visitor);
    }

    private boolean visitDescending(
            @Nullable Node<K, V> n, @Nullable K from, boolean inclusive, BiPredicate<? super K, ? super V> visitor) {
        while (n != null) {
            int c = from == null ? -1 : comparator.compare(n.key, from);
            if (c < 0 || (c == 0 && inclusive)) {
                if (!visitDescending(n.right, from, inclusive, visitor) || !visitor.test(n.key, n.value)) {
                    return false;
                }
            }
            n = n.left; // the left subtree is in range whenever n is; when n is not, only it may be
        }
        return true;
    }

    /** True when the map has no entries. */
    boolean isEmpty() {
        return size == 0;
    }

    private static int priority(Object key) {
        int h = key.hashCode(); // murmur3 finaliser: neighbouring keys get unrelated priorities
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
