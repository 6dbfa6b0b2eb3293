package io.starling.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a workload statement asks for, per document, in the statement's own terms (not in the engine's): the input
 * from which an independent model of the merge contract derives a write's effects. Values are plain Java values as
 * the statement's arguments carry them (null, Boolean, Long, Double, String, List, Map).
 */
sealed interface SoakOp {

    /** The statement in one line for a report, long strings (the blobs) shortened. */
    default String summary() {
        if (this instanceof Insert i) {
            return "INSERT " + SoakPlan.abbreviate(i.fields()) + " ON ID CONFLICT " + i.onConflict();
        }
        if (this instanceof Update u) {
            List<String> clauses = new ArrayList<>();
            for (Clause c : u.clauses()) {
                String path = String.join(".", c.path());
                if (c instanceof Set s) clauses.add("SET " + path + " = " + SoakPlan.abbreviate(s.value()));
                else if (c instanceof Unset) clauses.add("UNSET " + path);
                else if (c instanceof Increment inc) clauses.add("APPLY " + path + " INCREMENT BY " + inc.amount());
                else if (c instanceof Restart r) clauses.add("APPLY " + path + " RESTART WITH " + r.value());
            }
            return "UPDATE " + String.join(", ", clauses);
        }
        return "DELETE";
    }

    /**
     * {@code INSERT … DOCUMENTS (:doc) ON ID CONFLICT <onConflict>}; {@code fields} without {@code _id}.
     *
     * @param onConflict FAIL, DO_NOTHING, DO_UPDATE or DO_UPDATE_LOCAL_DIFF
     */
    record Insert(Map<String, Object> fields, String onConflict) implements SoakOp {}

    /** {@code UPDATE … APPLY … SET … UNSET … WHERE _id = :id}: the clauses in that order. */
    record Update(List<Clause> clauses) implements SoakOp {
        public Update {
            clauses = List.copyOf(clauses);
        }

        /** Only UNSETs of nested paths: the one update that may legitimately store nothing (its parent is no object). */
        boolean onlyNestedUnsets() {
            for (Clause c : clauses) {
                if (!(c instanceof Unset) || c.path().size() < 2) return false;
            }
            return true;
        }
    }

    /** {@code DELETE FROM … WHERE _id = :id}. */
    record Delete() implements SoakOp {}

    /** One clause of an UPDATE; {@code path} is a list of field names. */
    sealed interface Clause {
        List<String> path();
    }

    record Set(List<String> path, @Nullable Object value) implements Clause {}

    record Unset(List<String> path) implements Clause {}

    record Increment(List<String> path, Number amount) implements Clause {}

    record Restart(List<String> path, Number value) implements Clause {}
}
