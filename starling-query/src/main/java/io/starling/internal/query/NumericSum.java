package io.starling.internal.query;

import io.starling.internal.core.Value;

/**
 * Sums numbers the DQL way: integers stay an integer until the sum overflows 64 bits or a float joins in, then
 * the sum continues in floating point. Used by SUM, AVG, array_sum and array_avg; non-numbers are skipped.
 */
final class NumericSum {
    private long longSum;
    private double doubleSum;
    private boolean floating;
    private long count;

    /** Adds the value when it is a number; returns whether it was counted. */
    boolean add(Value v) {
        if (v instanceof Value.Int i) {
            count++;
            if (floating) {
                doubleSum += i.value();
            } else {
                long r = longSum + i.value();
                if (((longSum ^ r) & (i.value() ^ r)) < 0) {
                    floating = true;
                    doubleSum = (double) longSum + (double) i.value();
                } else {
                    longSum = r;
                }
            }
            return true;
        }
        if (v instanceof Value.Dbl d) {
            count++;
            if (!floating) {
                floating = true;
                doubleSum = longSum;
            }
            doubleSum += d.value();
            return true;
        }
        return false;
    }

    long count() {
        return count;
    }

    /** The sum (0 when nothing was added). */
    Value sum() {
        return floating ? Arithmetic.dbl(doubleSum) : Value.of(longSum);
    }

    /** The mean as a float, or NULL when nothing was added. */
    Value average() {
        if (count == 0) return Value.NULL;
        return Arithmetic.dbl((floating ? doubleSum : (double) longSum) / count);
    }
}
