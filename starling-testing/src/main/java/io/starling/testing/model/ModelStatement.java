package io.starling.testing.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A statement on one document as the application sends it — its DQL text and named arguments — rendered from what it
 * asks ({@link ModelOp}). The one place where the workloads that check the engine against the model (the simulator,
 * the soak) spell their statements, so that the statement issued and the op the model plans are the same thing:
 *
 * <pre>{@code
 * ModelOp.Update op = new ModelOp.Update(List.of(new ModelOp.Increment(List.of("n"), 2L)));
 * ModelStatement s = ModelStatement.update("a", 7L, op);
 * // s.text(): UPDATE a APPLY n INCREMENT BY :v0 WHERE _id = :id    s.args(): {id=7, v0=2}
 * store.execute(s.text(), s.args());
 * }</pre>
 *
 * <p>The id is passed as the application passes it (a composite id's keys in any order); values are the op's own.
 * {@code args} may hold null values (SET x = null) and keeps its order. Immutable.
 */
public record ModelStatement(String text, Map<String, Object> args) {

    public ModelStatement {
        args = Collections.unmodifiableMap(new LinkedHashMap<>(args));
    }

    /** The statement for {@code op} on one document; an INSERT spells out its ON ID CONFLICT clause. */
    public static ModelStatement of(String collection, Object id, ModelOp op) {
        if (op instanceof ModelOp.Insert ins) return insert(collection, id, ins, true);
        if (op instanceof ModelOp.Update up) return update(collection, id, up);
        return delete(collection, id);
    }

    /**
     * {@code INSERT INTO c DOCUMENTS (:doc) [ON ID CONFLICT …]}, the document {@code _id} first, then the op's fields.
     * Without {@code conflictClause} the clause is left out, which means FAIL (only allowed for FAIL).
     */
    public static ModelStatement insert(String collection, Object id, ModelOp.Insert op, boolean conflictClause) {
        if (!conflictClause && op.onConflict() != ModelOp.Conflict.FAIL)
            throw new IllegalArgumentException("ON ID CONFLICT " + op.onConflict() + " must be spelled out");
        String clause = conflictClause
                ? " ON ID CONFLICT "
                        + op.onConflict()
                                .name()
                                .replace("DO_UPDATE_LOCAL_DIFF", "DO UPDATE_LOCAL_DIFF")
                                .replace("DO_", "DO ")
                : "";
        LinkedHashMap<String, Object> doc = new LinkedHashMap<>();
        doc.put("_id", id);
        doc.putAll(op.fields());
        return new ModelStatement(
                "INSERT INTO " + collection + " DOCUMENTS (:doc)" + clause, Collections.singletonMap("doc", doc));
    }

    /**
     * {@code UPDATE c APPLY … SET … UNSET … WHERE _id = :id}: the arguments {@code id}, then {@code v0}, {@code v1}, …
     * for the clauses' values in the op's order (each group of clauses keeps its order within the group).
     */
    public static ModelStatement update(String collection, Object id, ModelOp.Update op) {
        LinkedHashMap<String, Object> args = new LinkedHashMap<>();
        args.put("id", id);
        String text = updateClauses(collection, op, args) + " WHERE _id = :id";
        return new ModelStatement(text, args);
    }

    /** {@code DELETE FROM c WHERE _id = :id}. */
    public static ModelStatement delete(String collection, Object id) {
        return new ModelStatement("DELETE FROM " + collection + " WHERE _id = :id", Collections.singletonMap("id", id));
    }

    /**
     * {@code UPDATE c APPLY … SET … UNSET …} without its WHERE clause, the values put in {@code args} as {@code v0},
     * {@code v1}, …; an op without clauses becomes {@code UNSET zz.zz}, which stores nothing (no workload field is
     * called {@code zz}).
     */
    public static String updateClauses(String collection, ModelOp.Update op, Map<String, Object> args) {
        StringBuilder apply = new StringBuilder(), set = new StringBuilder(), unset = new StringBuilder();
        int a = 0;
        for (ModelOp.Change ch : op.changes()) {
            String path = String.join(".", ch.path());
            if (ch instanceof ModelOp.Increment inc) {
                apply.append(" APPLY ").append(path).append(" INCREMENT BY :v").append(a);
                args.put("v" + a++, inc.amount());
            } else if (ch instanceof ModelOp.Restart r) {
                apply.append(" APPLY ").append(path).append(" RESTART WITH :v").append(a);
                args.put("v" + a++, r.value());
            } else if (ch instanceof ModelOp.Set s) {
                set.append(set.length() == 0 ? " SET " : ", ")
                        .append(path)
                        .append(" = :v")
                        .append(a);
                args.put("v" + a++, s.value());
            } else {
                unset.append(unset.length() == 0 ? " UNSET " : ", ").append(path);
            }
        }
        if (apply.length() + set.length() + unset.length() == 0) unset.append(" UNSET zz.zz");
        return "UPDATE " + collection + apply + set + unset;
    }
}
