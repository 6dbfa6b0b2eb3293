package io.starling.soak;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code bin/soak}: runs soak seeds from the command line (docs/SIMULATOR.md, "Real stack under faults").
 *
 * <pre>
 * bin/soak [--seed S | --seeds N [--from S]] [--profile short|long] [--plan] [--keep]
 * </pre>
 *
 * Without a seed, one fresh seed is drawn and printed. {@code --plan} prints the seed's plan and runs nothing;
 * {@code --keep} keeps the working directories (peers' databases, key) of passing runs too (a failing run's is always
 * kept, and printed). The last line is {@code soaked N seeds: F failed}; the exit status is 0 only when none failed,
 * 2 on bad usage.
 */
public final class SoakMain {
    private SoakMain() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Long seed = null;
        long from = -1;
        int count = 1;
        boolean plan = false, keep = false;
        SoakOptions.Profile profile = SoakOptions.Profile.SHORT;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--seed" -> seed = Long.parseLong(value(args, ++i, "--seed"));
                    case "--seeds" -> count = Integer.parseInt(value(args, ++i, "--seeds"));
                    case "--from" -> from = Long.parseLong(value(args, ++i, "--from"));
                    case "--profile" -> profile = SoakOptions.Profile.parse(value(args, ++i, "--profile"));
                    case "--plan" -> plan = true;
                    case "--keep" -> keep = true;
                    case "-h", "--help" -> {
                        out.println("usage: bin/soak [--seed S | --seeds N [--from S]] [--profile short|long] [--plan]"
                                + " [--keep]");
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (count < 1) throw new IllegalArgumentException("--seeds must be at least 1, got " + count);
            if (seed != null && (count != 1 || from >= 0))
                throw new IllegalArgumentException("--seed replays one seed: leave out --seeds and --from");
        } catch (IllegalArgumentException e) {
            err.println("soak: " + e.getMessage());
            err.println("usage: bin/soak [--seed S | --seeds N [--from S]] [--profile short|long] [--plan] [--keep]");
            return 2;
        }
        long first = seed != null
                ? seed
                : from >= 0 ? from : ThreadLocalRandom.current().nextLong(1L << 40);
        if (plan) {
            for (int k = 0; k < count; k++)
                out.print(SoakPlan.generate(SoakOptions.of(profile, first + k)).describe());
            return 0;
        }
        int failed = 0;
        for (int k = 0; k < count; k++) {
            SoakOptions options = SoakOptions.of(profile, first + k);
            out.println("soak: " + options + " — replay: " + options.replayCommand());
            Path dir = Files.createTempDirectory("starling-soak-" + options.seed() + "-");
            SoakResult result;
            try (SoakRun run = new SoakRun(options, dir, out)) {
                result = run.run();
            } catch (AssertionError | RuntimeException e) {
                failed++;
                out.println("soak: " + options + " FAILED: " + e.getMessage());
                out.println("soak: the peers' directories are kept in " + dir);
                out.println("replay: " + options.replayCommand());
                continue;
            }
            if (result.passed()) {
                out.println(result.summary());
                if (!keep) SoakRun.deleteQuietly(dir);
                else out.println("soak: kept " + dir);
            } else {
                failed++;
                out.println(result.report());
                out.println("soak: the peers' directories are kept in " + dir);
            }
        }
        out.println("soaked " + count + " seed" + (count == 1 ? "" : "s") + ": " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }
}
