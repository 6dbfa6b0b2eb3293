package io.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher's training run: every step ends as expected, so the archive is made from a working CLI. */
class StartupTrainingTest {
    @TempDir
    Path dir;

    @Test
    void everyStepEndsAsExpected() {
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        int status = StartupTraining.run(dir, new PrintStream(report, true, StandardCharsets.UTF_8));
        assertThat(report.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(status).isZero();
        assertThat(dir.resolve("db")).isDirectory();
    }
}
