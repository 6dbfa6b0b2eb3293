package io.starling.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * What a failing randomized test shows, and that its seed replays it: jqwik properties (through {@link
 * JqwikSeedHook}, registered in {@code META-INF/services}) and {@link Seed} parameters. The fixtures run through the
 * JUnit Platform launcher, as surefire runs them.
 */
class SeedReportingTest {
    private static final Pattern NAMED = Pattern.compile("seed (-?\\d+) \\(replay: mvn -B -pl (\\S+) -am test"
            + " -Dtest='(\\w+)#(\\w+)' -Dsurefire.failIfNoSpecifiedTests=false -Dstarling.seed=(-?\\d+)\\)");

    @AfterEach
    void noSeedRequested() {
        System.clearProperty(Seeds.PROPERTY);
    }

    private static Throwable onlyFailure(Class<?> fixture) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create()
                .execute(
                        LauncherDiscoveryRequestBuilder.request()
                                .selectors(selectClass(fixture))
                                // the failure remembered from an earlier run would be tried first: not here
                                .configurationParameter("jqwik.failures.after.default", "RANDOM_SEED")
                                .configurationParameter("jqwik.database", "target/seed-reporting-test-database")
                                .build(),
                        listener);
        TestExecutionSummary summary = listener.getSummary();
        assertThat(summary.getTotalFailureCount()).as("failures of %s", fixture).isEqualTo(1);
        return summary.getFailures().get(0).getException();
    }

    private static Matcher named(Throwable failure) {
        Matcher m = NAMED.matcher(String.valueOf(failure.getMessage()));
        assertThat(m.find())
                .as("the failure names its seed and replay: %s", failure.getMessage())
                .isTrue();
        assertThat(m.group(1)).isEqualTo(m.group(5));
        assertThat(m.group(2)).isEqualTo("starling-test-support");
        return m;
    }

    @Test
    void aFailingPropertyNamesItsSeedAndTheCommandThatReplaysIt() {
        SeedFixtures.samples.clear();
        Throwable failure = onlyFailure(SeedFixtures.JqwikFailure.class);
        Matcher m = named(failure);
        assertThat(m.group(3)).isEqualTo("JqwikFailure");
        assertThat(m.group(4)).isEqualTo("failsNowAndThen");
        assertThat(failure.getMessage()).startsWith("jqwik seed ").contains("not to be equal to");
        assertThat(failure.getCause()).as("the original failure, kept").isInstanceOf(AssertionError.class);
        List<Long> firstRun = new ArrayList<>(SeedFixtures.samples);

        // -Dstarling.seed replays the same samples in the same order, up to the same failure
        System.setProperty(Seeds.PROPERTY, m.group(5));
        SeedFixtures.samples.clear();
        Matcher again = named(onlyFailure(SeedFixtures.JqwikFailure.class));
        assertThat(again.group(5)).isEqualTo(m.group(5));
        assertThat(SeedFixtures.samples).isEqualTo(firstRun);
    }

    @Test
    void aFailingSeededTestNamesItsSeedAndTheCommandThatReplaysIt() {
        Throwable failure = onlyFailure(SeedFixtures.HandRolled.class);
        Matcher m = named(failure);
        assertThat(m.group(3)).isEqualTo("HandRolled");
        assertThat(m.group(4)).isEqualTo("fails");
        assertThat(Long.parseLong(m.group(1))).isEqualTo(SeedFixtures.handRolledSeed);
        assertThat(failure.getCause())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("broken at " + SeedFixtures.handRolledSeed);

        System.setProperty(Seeds.PROPERTY, m.group(1));
        SeedFixtures.handRolledSeed = 0;
        named(onlyFailure(SeedFixtures.HandRolled.class));
        assertThat(SeedFixtures.handRolledSeed).isEqualTo(Long.parseLong(m.group(1)));
    }

    @Test
    void aSeedThatIsNotANumberIsRefusedByName() {
        System.setProperty(Seeds.PROPERTY, "12x");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(Seeds::draw))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "-Dstarling.seed=12x is not a seed: a seed is a 64-bit integer, as a failing test prints it");
    }

    @Test
    void freshSeedsDiffer() {
        assertThat(Seeds.draw()).isNotEqualTo(Seeds.draw()); // 2^-64 to fail by chance
    }
}
