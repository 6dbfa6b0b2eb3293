package io.starling.testing.check;

import io.starling.testing.model.DocumentModel;
import io.starling.testing.model.ModelDiff;
import io.starling.testing.model.ModelValues;
import io.starling.testing.model.ModelWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One replica's row compared with the model of the writes it holds: the check both the simulator (every replica,
 * against what it received) and the soak (every replica, against the acknowledged writes its state includes) make.
 * A replica matches when it holds a row exactly when it holds a write, the row is live exactly when the model says
 * the document exists, and the visible documents are equal ({@link ModelDiff}). Stateless.
 */
public final class ModelComparison {
    private ModelComparison() {}

    /** Whether the replica shows what the model of the writes {@code k} it holds gives. */
    public static boolean matches(DocumentModel k, Observed o) {
        if (k.isEmpty() != !o.held()) return false;
        return k.isEmpty() || shows(k.visible(), o);
    }

    /**
     * Whether the replica shows exactly the document {@code expected} (without {@code _id}; null: none — a tombstone
     * or no row): live exactly when one is expected, and equal to it.
     */
    public static boolean shows(@Nullable Map<String, Object> expected, Observed o) {
        return (expected != null) == o.live()
                && ModelDiff.differences(expected, o.document()).isEmpty();
    }

    /**
     * The writes of {@code k} whose absence explains what the replica shows: those without which the model matches
     * it (every write, when the replica holds no row). Empty when no single missing write explains it.
     */
    public static List<ModelWrite> missing(DocumentModel k, Observed o) {
        if (!o.held()) return k.writes();
        List<ModelWrite> out = new ArrayList<>();
        for (ModelWrite w : k.writes()) if (matches(k.without(w), o)) out.add(w);
        return out;
    }

    /**
     * {@code shows <o>; the model of the N writes it holds gives <expected> [differences]}, for a report of a replica
     * that does not match.
     */
    public static String mismatch(DocumentModel k, Observed o) {
        return "shows " + o + "; the model of the " + k.size() + " writes it holds gives " + expected(k)
                + differences(k.visible(), o);
    }

    /** {@link #mismatch(DocumentModel, Observed)} for a model answer given as the expected document alone. */
    public static String mismatch(@Nullable Map<String, Object> expected, int writes, Observed o) {
        return "shows " + o + "; the model of the " + writes + " writes it holds gives "
                + (expected == null ? "no document" : "live " + ModelValues.brief(expected)) + differences(expected, o);
    }

    /** What the model gives: {@code no row}, {@code a tombstone} or {@code live <document>}. */
    public static String expected(DocumentModel k) {
        return k.isEmpty() ? "no row" : k.exists() ? "live " + ModelValues.brief(k.visible()) : "a tombstone";
    }

    /** The path-by-path differences when both sides are live (with a leading space), else nothing. */
    private static String differences(@Nullable Map<String, Object> expected, Observed o) {
        if (expected == null || !o.live()) return "";
        return " " + ModelDiff.differences(expected, o.document());
    }
}
