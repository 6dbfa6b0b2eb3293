package io.starling.testing.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Random statements on one document, drawn as {@link ModelOp}s from a seeded {@link Random}: the workload the
 * simulator and the soak share (each renders the ops with {@link ModelStatement} and adds its own actions around
 * them). Documents have an immutable group {@code grp} (0 or 1, given by the caller), scalars {@code x} and {@code
 * y}, a counter or number {@code n}, an object {@code o} (with {@code o.p}, {@code o.q}, a nested {@code o.r.s} and
 * a counter {@code o.c}), an array {@code tags} and, in some runs, a large string {@code blob}; updates combine one
 * to three groups of clauses, so that concurrent writes overlap on some paths and not on others.
 *
 * <p>Every value comes from the one generator, in a fixed order: the same seed gives the same ops. Not thread-safe.
 */
public final class RandomOps {
    private final Random rnd;
    private final double huge;
    private final double blobChance;
    private final int blobMin;
    private final int blobMax;

    /** An INSERT as drawn: the op, and whether the statement spells its ON ID CONFLICT clause (FAIL may go bare). */
    public record DrawnInsert(ModelOp.Insert op, boolean conflictClause) {}

    /**
     * @param rnd the run's generator (shared with the caller's other draws)
     * @param huge 0, or an amount near the float range (±1.5e308) that some numbers and increments take, so that
     *     totals saturate
     * @param blobChance how often an INSERT carries a {@code blob} of {@code blobMin} to {@code blobMax} characters
     *     (0: never, and nothing is drawn for it)
     */
    public RandomOps(Random rnd, double huge, double blobChance, int blobMin, int blobMax) {
        if (blobChance < 0 || blobChance > 1 || blobMin < 1 || blobMax <= blobMin)
            throw new IllegalArgumentException("blob chance " + blobChance + ", length " + blobMin + ".." + blobMax);
        this.rnd = rnd;
        this.huge = huge;
        this.blobChance = blobChance;
        this.blobMin = blobMin;
        this.blobMax = blobMax;
    }

    /** {@code INSERT} of a document of group {@code grp}, with a random conflict policy. */
    public DrawnInsert insert(long grp) {
        TreeMap<String, Object> fields = new TreeMap<>();
        fields.put("grp", grp);
        if (rnd.nextDouble() < 0.7) fields.put("x", scalar());
        if (rnd.nextDouble() < 0.5) fields.put("y", scalar());
        if (rnd.nextDouble() < 0.5) fields.put("n", number());
        if (rnd.nextDouble() < 0.4) fields.put("o", object());
        if (rnd.nextDouble() < 0.25) fields.put("tags", array());
        if (blobChance > 0 && rnd.nextDouble() < blobChance) {
            fields.put("blob", (char) ('a' + rnd.nextInt(26)) + "-".repeat(blobMin + rnd.nextInt(blobMax - blobMin)));
        }
        int m = rnd.nextInt(100);
        ModelOp.Conflict mode = m < 30
                ? ModelOp.Conflict.FAIL
                : m < 45
                        ? ModelOp.Conflict.DO_NOTHING
                        : m < 85 ? ModelOp.Conflict.DO_UPDATE : ModelOp.Conflict.DO_UPDATE_LOCAL_DIFF;
        boolean clause = !(mode == ModelOp.Conflict.FAIL && rnd.nextBoolean());
        return new DrawnInsert(new ModelOp.Insert(fields, mode), clause);
    }

    /**
     * {@code UPDATE}: one to three groups of clauses (x; y; n incremented, restarted or set; tags; something in o), in
     * the order the statement runs them: APPLY clauses, then SET, then UNSET.
     */
    public ModelOp.Update update() {
        List<ModelOp.Change> applies = new ArrayList<>(), sets = new ArrayList<>(), unsets = new ArrayList<>();
        boolean[] groups = new boolean[5];
        int k = 1 + rnd.nextInt(3);
        for (int i = 0; i < k; i++) groups[rnd.nextInt(5)] = true;
        if (groups[0]) field(List.of("x"), sets, unsets);
        if (groups[1]) field(List.of("y"), sets, unsets);
        if (groups[2]) {
            int r = rnd.nextInt(10);
            if (r < 5) applies.add(new ModelOp.Increment(List.of("n"), amount()));
            else if (r < 7) applies.add(new ModelOp.Restart(List.of("n"), (long) rnd.nextInt(5)));
            else sets.add(new ModelOp.Set(List.of("n"), number()));
        }
        if (groups[3]) sets.add(new ModelOp.Set(List.of("tags"), array()));
        if (groups[4]) {
            int r = rnd.nextInt(12);
            if (r < 2) sets.add(new ModelOp.Set(List.of("o"), object()));
            else if (r < 3) sets.add(new ModelOp.Set(List.of("o"), scalar()));
            else if (r < 4) unsets.add(new ModelOp.Unset(List.of("o")));
            else if (r < 5) applies.add(new ModelOp.Increment(List.of("o", "c"), amount()));
            else if (r < 6) applies.add(new ModelOp.Increment(List.of("o", "r", "s"), amount()));
            else if (r < 7) field(List.of("o", "r", "s"), sets, unsets);
            else if (r < 8) sets.add(new ModelOp.Set(List.of("o", "r"), rnd.nextBoolean() ? object() : scalar()));
            else {
                field(List.of("o", "p"), sets, unsets);
                if (rnd.nextBoolean()) field(List.of("o", "q"), sets, unsets);
            }
        }
        List<ModelOp.Change> all = new ArrayList<>(applies);
        all.addAll(sets);
        all.addAll(unsets);
        return new ModelOp.Update(all);
    }

    /** An UPDATE that only increments a counter: {@code n}, {@code o.c} or the nested {@code o.r.s}. */
    public ModelOp.Update increment() {
        int r = rnd.nextInt(10);
        List<String> path = r < 2 ? List.of("o", "c") : r < 3 ? List.of("o", "r", "s") : List.of("n");
        return new ModelOp.Update(List.of(new ModelOp.Increment(path, amount())));
    }

    private void field(List<String> path, List<ModelOp.Change> sets, List<ModelOp.Change> unsets) {
        if (rnd.nextInt(4) == 0) unsets.add(new ModelOp.Unset(path));
        else sets.add(new ModelOp.Set(path, scalar()));
    }

    /** A field value: an integer, a string, a boolean, null or a float. */
    public @Nullable Object scalar() {
        return switch (rnd.nextInt(6)) {
            case 0, 1 -> (long) (rnd.nextInt(20) - 5);
            case 2 -> "s" + rnd.nextInt(8);
            case 3 -> rnd.nextBoolean();
            case 4 -> null;
            default -> rnd.nextInt(8) + 0.5;
        };
    }

    /** A number field: an integer or a float (near the float range, with {@code huge}). */
    public Object number() {
        if (huge != 0 && rnd.nextInt(4) == 0) return huge * 1.1;
        return rnd.nextInt(3) == 0 ? rnd.nextInt(10) + 0.25 : (long) rnd.nextInt(10);
    }

    /** An object: {@code p} sometimes, {@code q}, and sometimes {@code r}, empty or with a number {@code s}. */
    public Map<String, Object> object() {
        TreeMap<String, Object> o = new TreeMap<>();
        if (rnd.nextBoolean()) o.put("p", scalar());
        o.put("q", scalar());
        if (rnd.nextInt(4) == 0) o.put("r", rnd.nextBoolean() ? Map.of() : Map.of("s", number()));
        return o;
    }

    /** Zero to three scalars. */
    public List<Object> array() {
        List<Object> items = new ArrayList<>();
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) items.add(scalar());
        return items;
    }

    /** An increment: a small integer (zero included), 0.5 or -1.25 (or {@code huge}). */
    public Object amount() {
        if (huge != 0 && rnd.nextInt(5) == 0) return huge;
        int r = rnd.nextInt(8);
        return r == 0 ? 0.5 : r == 1 ? -1.25 : (Object) (long) (rnd.nextInt(9) - 3);
    }
}
