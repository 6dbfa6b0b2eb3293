package io.starling.cli;

import io.starling.StarlingConfig;
import java.io.ByteArrayInputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The training run behind {@code bin/starling}'s class-data sharing archive: runs the short commands a script runs
 * ({@code exec} in each format, with arguments, a bad statement, {@code --version}, a usage error, a piped
 * {@code shell}) once, in one JVM, on a scratch database, so that {@code -XX:DumpLoadedClassList} records the classes
 * they load. {@code bin/starling} then dumps those classes into an archive that later runs map instead of loading and
 * verifying them again (docs/CLI.md, "Start-up").
 *
 * <p>Usage: {@code java -cp starling-cli-<version>-all.jar io.starling.cli.StartupTraining SCRATCH_DIR}. Prints
 * nothing on success; a step that ends other than expected is reported on stderr and the exit status is 1, so that
 * the launcher does not build an archive from a broken CLI.
 */
final class StartupTraining {
    private record Step(int expectedStatus, String stdin, List<String> args) {}

    private StartupTraining() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: StartupTraining SCRATCH_DIR");
            System.exit(2);
        }
        NativeLibraryCache.useFromSystemProperty();
        System.exit(run(Path.of(args[0]), System.err));
    }

    /** Runs every step on a database under {@code scratch}; returns 0 when each ended as expected, else 1. */
    static int run(Path scratch, PrintStream report) {
        String db = scratch.resolve("db").toString();
        List<Step> steps = List.of(
                new Step(0, "", List.of("--version")),
                new Step(
                        0,
                        "",
                        List.of(
                                "exec",
                                "--db",
                                db,
                                "--args",
                                "{\"car\": {\"_id\": \"c1\", \"make\": \"Ford\", \"year\": 1999}}",
                                "INSERT INTO cars DOCUMENTS (:car)")),
                new Step(0, "", List.of("exec", "--db", db, "SELECT * FROM cars WHERE _id = 'c1'")),
                new Step(
                        0,
                        "",
                        List.of(
                                "exec",
                                "--db",
                                db,
                                "--format",
                                "table",
                                "--args",
                                "{\"y\": 1990}",
                                "SELECT make, COUNT(*) AS n FROM cars WHERE year > :y GROUP BY make ORDER BY make")),
                new Step(0, "", List.of("exec", "--db", db, "--format", "jsonl", "UPDATE cars SET year = 2000")),
                new Step(0, "", List.of("exec", "--db", db, "DELETE FROM cars WHERE _id = 'nothing'")),
                new Step(2, "", List.of("exec", "--db", db, "SELECT * FORM cars")),
                new Step(2, "", List.of("exec", "--no-such-option", "SELECT 1")),
                new Step(0, "SELECT _id FROM cars;\n.quit\n", List.of("shell", "--db", db)));
        int failures = 0;
        for (Step step : steps) {
            // the real process environment, as main builds it, so that its code paths are recorded too; output
            // goes wherever the launcher sends the training's (a log)
            CliEnvironment system = CliEnvironment.system();
            CliEnvironment environment = new CliEnvironment(
                    new ByteArrayInputStream(step.stdin().getBytes(StandardCharsets.UTF_8)),
                    system.out(),
                    system.err(),
                    Map.of(),
                    StarlingConfig::builder,
                    TerminalFactory.piped(),
                    scratch,
                    StopSignal::manual);
            int status = StarlingCli.run(step.args().toArray(String[]::new), environment);
            if (status != step.expectedStatus()) {
                failures++;
                report.println("startup training: starling " + String.join(" ", step.args()) + " exited with " + status
                        + ", expected " + step.expectedStatus());
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
