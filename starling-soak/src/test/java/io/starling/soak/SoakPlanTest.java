package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A seed always gives the same plan, and the plans of a few seeds use every fault, id kind and transport. */
class SoakPlanTest {

    @Test
    void aSeedGivesTheSamePlanEveryTime() {
        for (SoakOptions.Profile profile : SoakOptions.Profile.values()) {
            SoakOptions o = SoakOptions.of(profile, 42);
            assertThat(SoakPlan.generate(o).describe())
                    .isEqualTo(SoakPlan.generate(o).describe());
            assertThat(SoakOptions.of(profile, 42)).isEqualTo(o);
        }
        assertThat(SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.SHORT, 1))
                        .describe())
                .isNotEqualTo(SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.SHORT, 2))
                        .describe());
    }

    @Test
    void theShortProfileKillsOnceAndTheLongOneMoreOften() {
        for (long seed = 1; seed <= 20; seed++) {
            SoakPlan shortPlan = SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.SHORT, seed));
            assertThat(count(shortPlan, SoakPlan.Kill.class)).isEqualTo(1);
            assertThat(count(shortPlan, SoakPlan.Restart.class)).isEqualTo(1);
            assertThat(shortPlan.sites).hasSize(3);
            SoakPlan longPlan = SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.LONG, seed));
            assertThat(count(longPlan, SoakPlan.Kill.class)).isBetween(3L, 6L);
            assertThat(longPlan.sites.length).isBetween(4, 6);
        }
    }

    @Test
    void aKilledPeerIsRestartedBeforeItIsKilledAgain() {
        for (long seed = 1; seed <= 50; seed++) {
            SoakPlan plan = SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.LONG, seed));
            Set<Integer> down = new HashSet<>();
            for (SoakPlan.Step s : plan.steps) {
                if (s.action() instanceof SoakPlan.Kill k)
                    assertThat(down.add(k.peer())).as("seed %s", seed).isTrue();
                if (s.action() instanceof SoakPlan.Restart r) down.remove(r.peer());
            }
            assertThat(down)
                    .as("seed %s: every killed peer restarts in the plan", seed)
                    .isEmpty();
        }
    }

    @Test
    void theTopologyIsConnectedAndUsesBothTransports() {
        for (long seed = 1; seed <= 50; seed++) {
            SoakPlan plan = SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.LONG, seed));
            int n = plan.sites.length;
            Set<Integer> reached = new HashSet<>(List.of(0));
            for (boolean grew = true; grew; ) {
                grew = false;
                for (SoakPlan.Link l : plan.links) {
                    if (reached.contains(l.dialler()) != reached.contains(l.listener())) {
                        reached.add(l.dialler());
                        reached.add(l.listener());
                        grew = true;
                    }
                }
            }
            assertThat(reached).as("seed %s", seed).hasSize(n);
            assertThat(plan.links.stream().map(SoakPlan.Link::transport).distinct())
                    .as("seed %s", seed)
                    .containsExactlyInAnyOrder(SoakPlan.Transport.values());
        }
    }

    @Test
    void fewSeedsCoverEveryFaultIdKindAndStatement() {
        Set<SoakPlan.FaultKind> faults = EnumSet.noneOf(SoakPlan.FaultKind.class);
        Set<Class<?>> idKinds = new HashSet<>();
        Set<String> statements = new HashSet<>();
        boolean inFlightKill = false, highBitSites = false;
        for (long seed = 1; seed <= 5; seed++) {
            SoakPlan plan = SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.SHORT, seed));
            for (Object id : plan.ids) idKinds.add(id instanceof Map ? Map.class : id.getClass());
            for (int i = 1; i < plan.sites.length; i++)
                highBitSites |= (plan.sites[i] ^ plan.sites[i - 1]) == Long.MIN_VALUE;
            for (SoakPlan.Step s : plan.steps) {
                if (s.action() instanceof SoakPlan.Fault f) faults.add(f.kind());
                if (s.action() instanceof SoakPlan.Kill k) inFlightKill |= k.inFlight() != null;
                if (s.action() instanceof SoakPlan.Write w) {
                    String t = w.stmt().text();
                    statements.add(t.substring(0, t.indexOf(' ')));
                    if (t.contains("INCREMENT")) statements.add("INCREMENT");
                    if (t.contains("UNSET")) statements.add("UNSET");
                    if (t.contains(" SET ")) statements.add("SET");
                }
                if (s.action() instanceof SoakPlan.Evict) statements.add("EVICT");
                if (s.action() instanceof SoakPlan.Subscribe) statements.add("subscribe");
                if (s.action() instanceof SoakPlan.Unsubscribe) statements.add("unsubscribe");
            }
        }
        assertThat(faults).containsExactlyInAnyOrder(SoakPlan.FaultKind.values());
        assertThat(idKinds).containsExactlyInAnyOrder(Long.class, String.class, Boolean.class, Map.class);
        assertThat(statements)
                .contains(
                        "INSERT", "UPDATE", "DELETE", "EVICT", "SET", "UNSET", "INCREMENT", "subscribe", "unsubscribe");
        assertThat(inFlightKill).as("a kill with a statement in flight").isTrue();
        assertThat(highBitSites).as("two sites that differ in the top bit only").isTrue();
    }

    @Test
    void aCompositeIdIsOneDocumentWhateverTheOrderOfItsKeys() {
        SoakPlan plan = SoakPlan.generate(SoakOptions.of(SoakOptions.Profile.SHORT, 7));
        List<Object> composites =
                plan.ids.stream().filter(id -> id instanceof Map).toList();
        assertThat(composites).hasSize(2);
        assertThat(composites.get(0).toString()).isNotEqualTo(composites.get(1).toString());
        assertThat(DocRef.of("a", composites.get(0))).isEqualTo(DocRef.of("a", composites.get(1)));
    }

    private static long count(SoakPlan plan, Class<?> kind) {
        return plan.steps.stream().filter(s -> kind.isInstance(s.action())).count();
    }
}
