package io.starling.testing.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * Runs many seeds, each on one thread of a pool (a run is single-threaded and shares nothing with the others, so
 * parallelism cannot change any run's result), and reports them in seed order.
 */
final class SimulationRunner {
    /** Totals of a batch of seeds; {@code failures} keeps the failed runs (without their final state). */
    public record Summary(
            int seeds,
            int divergent,
            int lostWrites,
            List<SimulationResult> failures,
            long writes,
            long messages,
            Simulation.Stats totals,
            CheckReport.Coverage coverage) {
        /** The last line bin/simulate prints. */
        public String line() {
            return "simulated " + seeds + " seeds: " + divergent + " divergent, " + lostWrites + " lost writes";
        }
    }

    private SimulationRunner() {}

    /**
     * Runs {@code count} seeds from {@code from}; {@code optionsFor} gives each seed's options. {@code each} sees
     * every result in seed order (on the calling thread).
     */
    public static Summary run(
            long from,
            int count,
            int threads,
            LongFunction<SimulationOptions> optionsFor,
            Consumer<SimulationResult> each) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "simulation");
            t.setDaemon(true);
            return t;
        });
        try {
            int window = Math.max(1, threads) * 8; // bounded: results are consumed in order as they complete
            List<Future<SimulationResult>> pending = new ArrayList<>();
            int divergent = 0, lost = 0;
            long writes = 0, messages = 0;
            Simulation.Stats totals = new Simulation.Stats();
            CheckReport.Coverage coverage = CheckReport.Coverage.NONE;
            List<SimulationResult> failures = new ArrayList<>();
            long next = from;
            long end = from + count;
            while (next < end || !pending.isEmpty()) {
                while (next < end && pending.size() < window) {
                    SimulationOptions o = optionsFor.apply(next++);
                    pending.add(pool.submit(() -> strip(new Simulation(o).run())));
                }
                SimulationResult r = get(pending.remove(0));
                if (r.divergent()) divergent++;
                lost += r.lostWrites();
                writes += r.acknowledgedWrites();
                messages += r.stats().messages;
                totals.add(r.stats());
                coverage = coverage.plus(r.report().coverage());
                if (!r.passed()) failures.add(r);
                each.accept(r);
            }
            return new Summary(count, divergent, lost, failures, writes, messages, totals, coverage);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Drops the final state of passing runs (memory, over thousands of seeds). */
    private static SimulationResult strip(SimulationResult r) {
        if (!r.passed()) return r;
        return new SimulationResult(
                r.seed(),
                r.topology(),
                r.peers(),
                r.traceHash(),
                r.failure(),
                r.report(),
                r.acknowledgedWrites(),
                r.statements(),
                r.stats(),
                r.replayCommand(),
                null);
    }

    private static SimulationResult get(Future<SimulationResult> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a simulation threw outside its own error handling", e.getCause());
        }
    }
}
