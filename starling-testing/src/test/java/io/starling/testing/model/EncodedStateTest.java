package io.starling.testing.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Path;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.crdt.FieldOp;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The model's own reader of the state codec agrees with states the engine encodes. */
class EncodedStateTest {

    @Test
    void readsEveryStampOfAnEngineState() {
        Stamp a = new Stamp(5L << 16, -1L), b = new Stamp(5L << 16, 1L), c = new Stamp((7L << 16) + 3, Long.MIN_VALUE);
        DocumentState st = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(java.util.Map.of("x", 1L)), b)
                .update(List.of(new FieldOp.Set(Path.of("y"), Value.of(2))), a)
                .update(List.of(new FieldOp.Increment(Path.of("n"), Value.of(3))), c);
        assertThat(EncodedState.stamps(st.encode()))
                .containsExactlyInAnyOrder(
                        ModelStamp.ZERO, // the basis of the increment: it saw no clear
                        new ModelStamp(b.hlc(), b.site()),
                        new ModelStamp(a.hlc(), a.site()),
                        new ModelStamp(c.hlc(), c.site()));
        assertThat(EncodedState.newest(st.encode())).isEqualTo(new ModelStamp(c.hlc(), c.site()));
        // equal hlc: site -1 is the greater (unsigned), whatever order the table lists them in
        DocumentState tie = DocumentState.empty()
                .insert(Value.Obj.EMPTY, b)
                .update(List.of(new FieldOp.Set(Path.of("y"), Value.of(2))), a);
        assertThat(EncodedState.newest(tie.encode())).isEqualTo(new ModelStamp(a.hlc(), -1L));
    }

    @Test
    void refusesWhatIsNotAState() {
        assertThatThrownBy(() -> EncodedState.stamps(new byte[] {2, 0})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncodedState.stamps(new byte[] {1, 1, 5}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
