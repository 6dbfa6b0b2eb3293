package io.starling.testing.model;

import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What one statement asks of one document, as the application wrote it (not as the engine stored it): the model
 * derives the write's effects from this and from what the writer knew ({@link DocumentModel#plan}). Paths are lists
 * of field names (array positions are not modelled). Values are plain Java values ({@link ModelValues}).
 */
public sealed interface ModelOp {

    /**
     * A short account of what the statement asks of the document, for reports: an INSERT's conflict policy and
     * fields, an UPDATE's clauses ({@code x = 1, n += 2, o.p unset}), nothing for a DELETE; values cut short.
     */
    default String summary() {
        if (this instanceof Insert ins) return ins.onConflict() + " " + ModelValues.brief(ins.fields());
        if (this instanceof Update up) {
            StringBuilder sb = new StringBuilder();
            for (Change ch : up.changes()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(String.join(".", ch.path()));
                if (ch instanceof Set set) sb.append(" = ").append(ModelValues.brief(set.value()));
                else if (ch instanceof Increment inc) sb.append(" += ").append(inc.amount());
                else if (ch instanceof Restart r) sb.append(" restart ").append(r.value());
                else sb.append(" unset");
            }
            return sb.toString();
        }
        return "";
    }

    /** {@code INSERT … DOCUMENTS (:doc) [ON ID CONFLICT …]}: {@code fields} without {@code _id}. */
    record Insert(Map<String, Object> fields, Conflict onConflict) implements ModelOp {
        @SuppressWarnings("unchecked")
        public Insert {
            fields = (Map<String, Object>) java.util.Objects.requireNonNull(ModelValues.canonical(fields));
            if (fields.containsKey("_id")) throw new IllegalArgumentException("fields must not hold _id");
        }
    }

    /** {@code UPDATE … WHERE _id = …}: clauses applied in order (each sees the ones before it). */
    record Update(List<Change> changes) implements ModelOp {
        public Update {
            changes = List.copyOf(changes);
        }
    }

    /** {@code DELETE … WHERE _id = …}. */
    record Delete() implements ModelOp {}

    /** {@code ON ID CONFLICT}: what an INSERT does when the writer holds the document live. */
    enum Conflict {
        FAIL,
        DO_NOTHING,
        DO_UPDATE,
        DO_UPDATE_LOCAL_DIFF
    }

    /** One clause of an UPDATE. */
    sealed interface Change {
        List<String> path();
    }

    /** {@code SET path = value}: an object value merges into the path key by key. */
    record Set(List<String> path, @Nullable Object value) implements Change {
        public Set {
            path = List.copyOf(path);
            value = ModelValues.canonical(value);
        }
    }

    /** {@code UNSET path}. */
    record Unset(List<String> path) implements Change {
        public Unset {
            path = List.copyOf(path);
        }
    }

    /** {@code APPLY path INCREMENT BY amount} (a Long or a Double). */
    record Increment(List<String> path, Object amount) implements Change {
        public Increment {
            path = List.copyOf(path);
            amount = ModelValues.canonical(amount);
            if (!ModelValues.isNumber(amount)) throw new IllegalArgumentException("not a number: " + amount);
        }
    }

    /** {@code APPLY path RESTART WITH value} (a Long or a Double). */
    record Restart(List<String> path, Object value) implements Change {
        public Restart {
            path = List.copyOf(path);
            value = ModelValues.canonical(value);
            if (!ModelValues.isNumber(value)) throw new IllegalArgumentException("not a number: " + value);
        }
    }
}
