package io.starling.internal.query;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The running state of one aggregate in one group. MISSING and NULL inputs are ignored by all of them except
 * COUNT(*); SUM and AVG also ignore non-numbers. Over no (counted) input COUNT gives 0 and the others NULL.
 */
abstract class Accumulator {
    abstract void add(Value v);

    abstract Value result();

    static Accumulator of(Node.Aggregate a) {
        Accumulator acc;
        switch (a.kind()) {
            case COUNT:
                acc = a.argument() == null ? new CountAll() : new Count();
                break;
            case SUM:
                acc = new Sum(false);
                break;
            case AVG:
                acc = new Sum(true);
                break;
            case MIN:
                acc = new Extreme(-1);
                break;
            default:
                acc = new Extreme(1);
                break;
        }
        return a.distinct() ? new Distinct(acc) : acc;
    }

    private static final class CountAll extends Accumulator {
        private long n;

        @Override
        void add(Value v) {
            n++;
        }

        @Override
        Value result() {
            return Value.of(n);
        }
    }

    private static final class Count extends Accumulator {
        private long n;

        @Override
        void add(Value v) {
            if (!v.isAbsent()) n++;
        }

        @Override
        Value result() {
            return Value.of(n);
        }
    }

    private static final class Sum extends Accumulator {
        private final NumericSum sum = new NumericSum();
        private final boolean average;

        Sum(boolean average) {
            this.average = average;
        }

        @Override
        void add(Value v) {
            sum.add(v);
        }

        @Override
        Value result() {
            if (average) return sum.average();
            return sum.count() == 0 ? Value.NULL : sum.sum();
        }
    }

    private static final class Extreme extends Accumulator {
        private final int sign;
        private @Nullable Value best;

        Extreme(int sign) {
            this.sign = sign;
        }

        @Override
        void add(Value v) {
            if (v.isAbsent()) return;
            if (best == null || Integer.signum(ValueOrder.compare(v, best)) == sign) best = v;
        }

        @Override
        Value result() {
            return best == null ? Value.NULL : best;
        }
    }

    /** Feeds each distinct (non-absent) value once. */
    private static final class Distinct extends Accumulator {
        private final Accumulator inner;
        private final Set<ValueKey> seen = new HashSet<>();

        Distinct(Accumulator inner) {
            this.inner = inner;
        }

        @Override
        void add(Value v) {
            if (!v.isAbsent() && seen.add(new ValueKey(v))) inner.add(v);
        }

        @Override
        Value result() {
            return inner.result();
        }
    }
}
