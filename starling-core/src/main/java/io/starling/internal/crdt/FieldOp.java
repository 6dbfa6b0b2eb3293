package io.starling.internal.crdt;

import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import java.util.Objects;

/**
 * One field mutation of an UPDATE (or of an INSERT ... ON ID CONFLICT DO UPDATE), with its right-hand side
 * already evaluated against the document as it was before the statement. The CRDT layer turns it into
 * timestamped state; see docs/DATA-MODEL.md.
 */
public sealed interface FieldOp permits FieldOp.Set, FieldOp.Unset, FieldOp.Increment, FieldOp.Restart {

    Path path();

    /** {@code SET path = value}. An object value merges into an existing object (MAP semantics). */
    record Set(Path path, Value value) implements FieldOp {
        public Set {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(value, "value");
            if (value.isMissing()) throw new IllegalArgumentException("cannot SET a field to MISSING; use UNSET");
        }
    }

    /** {@code UNSET path}: removes the field (a timestamped removal). */
    record Unset(Path path) implements FieldOp {
        public Unset {
            Objects.requireNonNull(path, "path");
        }
    }

    /** {@code APPLY path INCREMENT BY amount}: a COUNTER increment; amount is an Int or a Dbl. */
    record Increment(Path path, Value amount) implements FieldOp {
        public Increment {
            Objects.requireNonNull(path, "path");
            if (!amount.isNumber()) throw new IllegalArgumentException("INCREMENT BY needs a number");
        }
    }

    /** {@code APPLY path RESTART WITH value}: resets a COUNTER; value is an Int or a Dbl. */
    record Restart(Path path, Value value) implements FieldOp {
        public Restart {
            Objects.requireNonNull(path, "path");
            if (!value.isNumber()) throw new IllegalArgumentException("RESTART WITH needs a number");
        }
    }
}
