package io.starling.testing.sim;

import io.starling.internal.core.Value;
import java.util.List;

/**
 * What an acknowledged statement did to one document, as the workload asked for it: the reference model derives
 * the write's effect on each path from this and from what the writer knew (docs/SIMULATOR.md).
 */
sealed interface DocOp {

    /** INSERT with the given ON ID CONFLICT policy (FAIL, DO_NOTHING, DO_UPDATE, DO_UPDATE_LOCAL_DIFF). */
    record Insert(Value.Obj fields, String onConflict) implements DocOp {}

    /** UPDATE: field changes in clause order (APPLY clauses, then SET, then UNSET). */
    record Update(List<FieldChange> changes) implements DocOp {
        public Update {
            changes = List.copyOf(changes);
        }
    }

    record Delete() implements DocOp {}

    /** One clause of an UPDATE; {@code path} is a list of field names (no array positions). */
    sealed interface FieldChange {
        List<String> path();
    }

    record Set(List<String> path, Value value) implements FieldChange {}

    record Unset(List<String> path) implements FieldChange {}

    record Increment(List<String> path, Value amount) implements FieldChange {}

    record Restart(List<String> path, Value value) implements FieldChange {}
}
