package io.starling.internal.query;

import io.starling.internal.core.Value;

/**
 * A value as a hash key under DQL equality ({@code 1} and {@code 1.0} are the same key): used by GROUP BY,
 * DISTINCT, {@code COUNT(DISTINCT …)} and large constant IN lists. MISSING and NULL are distinct keys.
 */
final class ValueKey {
    final Value value;
    private final int hash;

    ValueKey(Value value) {
        this.value = value;
        this.hash = Comparisons.deepHash(value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueKey k && hash == k.hash && Comparisons.deepEquals(value, k.value);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return String.valueOf(value);
    }
}
