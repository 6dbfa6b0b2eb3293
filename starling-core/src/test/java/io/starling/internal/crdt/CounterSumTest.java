package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import org.junit.jupiter.api.Test;

/**
 * A counter's total ({@link Node.Sum}). Regression: a base of Long.MIN_VALUE with series of -3 and +4 showed
 * -9.223372036854776E18 (the partial sum left 64 bits and turned the total into a float) instead of
 * -9223372036854775807; DocumentStateLawsTest found it with seed 6119614771584409678.
 */
class CounterSumTest {
    private static Value sum(Value base, Value... terms) {
        Node.Sum s = new Node.Sum(base);
        for (Value t : terms) s.add(t);
        return s.value();
    }

    @Test
    void integersAddExactlyWhateverTheOrderOfTheSeries() {
        Value min = Value.of(Long.MIN_VALUE);
        assertThat(sum(min, Value.of(-3), Value.of(4))).isEqualTo(Value.of(Long.MIN_VALUE + 1));
        assertThat(sum(min, Value.of(4), Value.of(-3))).isEqualTo(Value.of(Long.MIN_VALUE + 1));
        assertThat(sum(Value.of(Long.MAX_VALUE), Value.of(5), Value.of(-10))).isEqualTo(Value.of(Long.MAX_VALUE - 5));
    }

    @Test
    void aTotalBeyond64BitsIsTheNearestFloatOfTheExactSum() {
        assertThat(sum(Value.of(Long.MAX_VALUE), Value.of(1))).isEqualTo(Value.of(0x1p63));
        assertThat(sum(Value.of(Long.MIN_VALUE), Value.of(Long.MIN_VALUE), Value.of(Long.MAX_VALUE)))
                .isEqualTo(Value.of(-0x1p63 - 1));
    }

    @Test
    void aFloatMakesAFloatSumInSeriesOrderThatNeverShowsANonFiniteNumber() {
        assertThat(sum(Value.of(1), Value.of(0.5), Value.of(2))).isEqualTo(Value.of(3.5));
        assertThat(sum(Value.of(Double.MAX_VALUE), Value.of(Double.MAX_VALUE))).isEqualTo(Value.of(Double.MAX_VALUE));
        assertThat(sum(Value.of(0), Value.of(-Double.MAX_VALUE), Value.of(-Double.MAX_VALUE)))
                .isEqualTo(Value.of(-Double.MAX_VALUE));
    }
}
