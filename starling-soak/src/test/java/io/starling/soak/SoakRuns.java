package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.testsupport.Await;
import java.nio.file.Path;
import java.time.Duration;

/** Runs a soak seed in a test: prints the seed first, fails with the full report, and insists the run did its job. */
final class SoakRuns {
    private SoakRuns() {}

    static SoakResult runAndCheck(SoakOptions options, Path dir) throws Exception {
        System.out.println("soak: " + options + " — replay: " + options.replayCommand());
        SoakResult result;
        try (SoakRun run = new SoakRun(options, dir.resolve("seed-" + options.seed()), System.out)) {
            result = run.run();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(
                    "soak " + options + " failed: " + e.getMessage() + "\nreplay: " + options.replayCommand(), e);
        }
        System.out.println(result.summary());
        assertThat(result.passed()).as(result.report()).isTrue();

        // the run did what it claims: writes, a kill and a restart, faults, reconnections, and the checks looked
        SoakResult.Figures f = result.figures();
        String why = result.summary() + "\nreplay: " + options.replayCommand();
        // a floor against a driver that acknowledges nothing, not a quota: a seed's mix can make most statements
        // UPDATEs of documents nobody inserted (seed 371732342384 acknowledged 15 writes in 160 steps)
        assertThat(f.acknowledged()).as(why).isGreaterThanOrEqualTo(options.steps() / 40);
        assertThat(f.kills()).as(why).isEqualTo(options.kills());
        assertThat(f.restarts()).as(why).isGreaterThanOrEqualTo(options.kills());
        assertThat(f.faults()).as(why).isNotEmpty();
        assertThat(f.relays().connections())
                .as("connections through the relays: " + why)
                .isGreaterThan(options.peers() - 1);
        assertThat(result.findings().coverage().identicalPairs()).as(why).isPositive();
        assertThat(result.findings().coverage().inclusions()).as(why).isGreaterThan(f.acknowledged() / 2);
        assertThat(result.model().comparisons())
                .as("(c) model comparisons: " + why)
                .isPositive();

        // and nothing it started outlives it
        Await.until(
                "every child JVM of the soak is gone",
                Duration.ofSeconds(30),
                () -> ProcessHandle.current().descendants().noneMatch(ProcessHandle::isAlive));
        assertThat(Thread.getAllStackTraces().keySet())
                .as("threads of the soak left running")
                .noneMatch(t -> t.isAlive()
                        && (t.getName().startsWith("relay-") || t.getName().equals("soak-plan")));
        return result;
    }
}
