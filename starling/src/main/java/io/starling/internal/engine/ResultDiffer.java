package io.starling.internal.engine;

import io.starling.QueryResultDiff;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes the {@link QueryResultDiff} between two results. Items are matched by identity: their
 * {@code _id} when projected, else their whole value, the k-th occurrence of a value matching the k-th.
 * Matched items whose value changed are updates; matched items off the longest run that kept its relative
 * order are moves (so a single item moving is one move, not a cascade). O(n log n). Pure.
 */
final class ResultDiffer {
    private ResultDiffer() {}

    static QueryResultDiff diff(List<Value.Obj> previous, List<Value.Obj> current) {
        if (previous.isEmpty() && current.isEmpty()) return QueryResultDiff.empty();
        Map<Object, Integer> previousAt = new HashMap<>(previous.size() * 2);
        Object[] previousKeys = keys(previous);
        for (int i = 0; i < previousKeys.length; i++) previousAt.put(previousKeys[i], i);
        Object[] currentKeys = keys(current);

        boolean[] kept = new boolean[previous.size()];
        List<Integer> insertions = new ArrayList<>();
        List<Integer> updates = new ArrayList<>();
        List<int[]> matched = new ArrayList<>(); // {previous index, current index}, ascending current
        for (int j = 0; j < currentKeys.length; j++) {
            Integer i = previousAt.get(currentKeys[j]);
            if (i == null) {
                insertions.add(j);
                continue;
            }
            kept[i] = true;
            matched.add(new int[] {i, j});
            if (!previous.get(i).equals(current.get(j))) updates.add(j);
        }
        List<Integer> deletions = new ArrayList<>();
        for (int i = 0; i < kept.length; i++) if (!kept[i]) deletions.add(i);

        boolean[] stays = longestIncreasingRun(matched);
        List<QueryResultDiff.Move> moves = new ArrayList<>();
        for (int k = 0; k < matched.size(); k++) {
            if (!stays[k]) moves.add(new QueryResultDiff.Move(matched.get(k)[0], matched.get(k)[1]));
        }
        moves.sort((a, b) -> Integer.compare(a.from(), b.from()));
        return new QueryResultDiff(insertions, deletions, updates, moves);
    }

    /** Identity keys: {@code _id} when present, else the value with its occurrence number. */
    private static Object[] keys(List<Value.Obj> items) {
        Object[] keys = new Object[items.size()];
        Map<Value, Integer> occurrences = new HashMap<>();
        for (int i = 0; i < keys.length; i++) {
            Value.Obj item = items.get(i);
            Value id = item.get("_id");
            if (!id.isMissing()) {
                keys[i] = List.of("id", id);
            } else {
                int n = occurrences.merge(item, 1, Integer::sum);
                keys[i] = List.of("value", item, n);
            }
        }
        return keys;
    }

    /** Marks the matched pairs on a longest run whose previous indexes increase (patience sorting). */
    private static boolean[] longestIncreasingRun(List<int[]> matched) {
        int n = matched.size();
        int[] tailIndex = new int[n];
        int[] parent = new int[n];
        int length = 0;
        for (int k = 0; k < n; k++) {
            int value = matched.get(k)[0];
            int lo = 0, hi = length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (matched.get(tailIndex[mid])[0] < value) lo = mid + 1;
                else hi = mid;
            }
            parent[k] = lo > 0 ? tailIndex[lo - 1] : -1;
            tailIndex[lo] = k;
            if (lo == length) length++;
        }
        boolean[] stays = new boolean[n];
        for (int k = length > 0 ? tailIndex[length - 1] : -1; k >= 0; k = parent[k]) stays[k] = true;
        return stays;
    }

    /** Applies a diff to {@code previous} as a UI list would, to check diffs (tests). */
    static List<Value.Obj> apply(List<Value.Obj> previous, QueryResultDiff diff, List<Value.Obj> current) {
        Value.Obj[] out = new Value.Obj[current.size()];
        boolean[] deleted = new boolean[previous.size()];
        for (int i : diff.deletions()) deleted[i] = true;
        for (QueryResultDiff.Move m : diff.moves()) {
            out[m.to()] = previous.get(m.from());
            deleted[m.from()] = true; // taken out of the stay-in-place sequence
        }
        for (int j : diff.insertions()) out[j] = current.get(j);
        int i = 0;
        for (int j = 0; j < out.length; j++) {
            if (out[j] != null) continue;
            while (i < deleted.length && deleted[i]) i++;
            out[j] = previous.get(i++);
        }
        for (int j : diff.updates()) out[j] = current.get(j);
        return Arrays.asList(out);
    }
}
