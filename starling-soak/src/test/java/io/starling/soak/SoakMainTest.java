package io.starling.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command line of {@code bin/soak}: usage errors, and printing a seed's plan (no run: the soak tests run). */
class SoakMainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) throws Exception {
        return SoakMain.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void badUsageSaysWhatIsWrongAndExitsWith2() throws Exception {
        assertThat(run("--profile", "huge")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("soak: unknown profile 'huge' (short or long)")
                .contains("usage: bin/soak");
        err.reset();
        assertThat(run("--seed", "1", "--seeds", "3")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--seed replays one seed");
        err.reset();
        assertThat(run("--frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option --frobnicate");
        err.reset();
        assertThat(run("--seed")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--seed needs a value");
    }

    @Test
    void planPrintsTheSeedsStepsWithoutRunningThem() throws Exception {
        assertThat(run("--plan", "--seed", "7", "--profile", "long")).isZero();
        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(text)
                .startsWith("seed 7 (long:")
                .contains("peer 0: site ")
                .contains("link ")
                .contains(" ms Kill[peer=")
                .contains(" ms Restart[peer=")
                .doesNotContain("soaked");
    }
}
