package io.starling.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** {@link PersistentSortedMap} against {@link TreeMap}, including every older version staying as it was. */
class PersistentSortedMapPropertyTest {

    /** Non-negative: put key -> key * 10; negative: remove -key. */
    @Provide
    Arbitrary<List<Integer>> operations() {
        return Arbitraries.integers().between(-60, 60).list().ofMaxSize(200);
    }

    @Property(tries = 300)
    void behavesLikeATreeMapAndKeepsOldVersions(
            @ForAll("operations") List<Integer> operations, @ForAll @IntRange(min = -5, max = 65) int from) {
        PersistentSortedMap<Integer, Integer> map = PersistentSortedMap.empty(Comparator.naturalOrder());
        TreeMap<Integer, Integer> model = new TreeMap<>();
        List<PersistentSortedMap<Integer, Integer>> versions = new ArrayList<>();
        List<TreeMap<Integer, Integer>> models = new ArrayList<>();
        for (int op : operations) {
            if (op >= 0) {
                map = map.put(op, op * 10);
                model.put(op, op * 10);
            } else {
                map = map.remove(-op);
                model.remove(-op);
            }
            versions.add(map);
            models.add(new TreeMap<>(model));
            assertThat(map.size()).isEqualTo(model.size());
            assertThat(map.get(Math.abs(op))).isEqualTo(model.get(Math.abs(op)));
        }
        for (int i = 0; i < versions.size(); i++) {
            PersistentSortedMap<Integer, Integer> version = versions.get(i);
            TreeMap<Integer, Integer> expected = models.get(i);
            assertThat(entries(version, null, true)).isEqualTo(new ArrayList<>(expected.entrySet()));
            assertThat(entries(version, from, true))
                    .isEqualTo(new ArrayList<>(expected.tailMap(from, true).entrySet()));
            assertThat(entries(version, from, false))
                    .isEqualTo(new ArrayList<>(expected.tailMap(from, false).entrySet()));
            assertThat(descending(version, null, true))
                    .isEqualTo(new ArrayList<>(expected.descendingMap().entrySet()));
            assertThat(descending(version, from, true))
                    .isEqualTo(new ArrayList<>(
                            expected.headMap(from, true).descendingMap().entrySet()));
            assertThat(descending(version, from, false))
                    .isEqualTo(new ArrayList<>(
                            expected.headMap(from, false).descendingMap().entrySet()));
            assertThat(version.isEmpty()).isEqualTo(expected.isEmpty());
        }
    }

    @Property(tries = 100)
    void stopsWhenTheVisitorSaysSo(@ForAll("operations") List<Integer> keys, @ForAll @IntRange(max = 10) int limit) {
        PersistentSortedMap<Integer, Integer> map = PersistentSortedMap.empty(Comparator.naturalOrder());
        TreeMap<Integer, Integer> model = new TreeMap<>();
        for (int k : keys) {
            map = map.put(Math.abs(k), k);
            model.put(Math.abs(k), k);
        }
        List<Integer> seen = new ArrayList<>();
        boolean completed = map.forEachFrom(null, true, (k, v) -> seen.add(k) && seen.size() < limit);
        List<Integer> expected = new ArrayList<>(model.keySet()).subList(0, Math.min(Math.max(limit, 1), model.size()));
        assertThat(seen).isEqualTo(expected);
        assertThat(completed).isEqualTo(model.size() < Math.max(limit, 1));
    }

    @Property(tries = 100)
    void descendingStopsWhenTheVisitorSaysSo(
            @ForAll("operations") List<Integer> keys, @ForAll @IntRange(max = 10) int limit) {
        PersistentSortedMap<Integer, Integer> map = PersistentSortedMap.empty(Comparator.naturalOrder());
        TreeMap<Integer, Integer> model = new TreeMap<>();
        for (int k : keys) {
            map = map.put(Math.abs(k), k);
            model.put(Math.abs(k), k);
        }
        List<Integer> seen = new ArrayList<>();
        boolean completed = map.forEachDescendingFrom(null, true, (k, v) -> seen.add(k) && seen.size() < limit);
        List<Integer> expected =
                new ArrayList<>(model.descendingKeySet()).subList(0, Math.min(Math.max(limit, 1), model.size()));
        assertThat(seen).isEqualTo(expected);
        assertThat(completed).isEqualTo(model.size() < Math.max(limit, 1));
    }

    private static List<Map.Entry<Integer, Integer>> descending(
            PersistentSortedMap<Integer, Integer> map, Integer from, boolean inclusive) {
        List<Map.Entry<Integer, Integer>> entries = new ArrayList<>();
        map.forEachDescendingFrom(from, inclusive, (k, v) -> entries.add(Map.entry(k, v)));
        return entries;
    }

    private static List<Map.Entry<Integer, Integer>> entries(
            PersistentSortedMap<Integer, Integer> map, Integer from, boolean inclusive) {
        List<Map.Entry<Integer, Integer>> entries = new ArrayList<>();
        map.forEachFrom(from, inclusive, (k, v) -> entries.add(Map.entry(k, v)));
        return entries;
    }
}
