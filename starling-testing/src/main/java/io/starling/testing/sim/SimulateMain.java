package io.starling.testing.sim;

import java.io.PrintStream;
import java.util.EnumSet;
import java.util.Set;

/**
 * {@code bin/simulate}: runs seeds of the deterministic sync simulator and ends with the line
 * {@code simulated N seeds: D divergent, L lost writes}; exits 0 only when both are 0, 1 otherwise, 2 on bad usage.
 */
public final class SimulateMain {
    private SimulateMain() {}

    static final String USAGE = """
            usage: bin/simulate [--seeds N] [--from S] [--peers K] [--topology pair|line|star|mesh|random|server-cluster]
                                [--actions A] [--faults all|none|F,F,...] [--threads T] [--verbose] [--watch C/ID]
                                [--identities] [--session-policy]
              --seeds N      how many seeds to run (default 100)
              --from S       the first seed (default 1)
              --peers K      2 to 8 peers (default: by topology: pair 2, line 4, star 6, mesh 5, random 2-8,
                             server-cluster 4-7, 3 of them nodes from 6 peers, else 2)
              --topology T   default: each seed picks pair, line, star, mesh or server-cluster
                             (seed mod 5)
              --actions A    workload and fault actions in the chaos phase (default %d)
              --faults ...   comma list of %s (default all)
              --threads T    seeds run in parallel (default: available processors)
              --verbose      print every failure in full (a single seed always does) and one line per seed
              --identities   online identities: each peer a hub, a viewer or a user whose permissions its
                             neighbours enforce, with the permission checks (docs/SIMULATOR.md)
              --session-policy  both ends of every edge dial each other (one session per pair must remain)
                             and some peers' connection-request hooks refuse some neighbours
              --watch C/ID   runs the --from seed only, printing every change of document C/ID at every peer
                             (ID: 3, true, s1 or "s1", {"k":1,"r":"x"})
            """;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        int seeds = 100, peers = 0, actions = SimulationOptions.DEFAULT_ACTIONS;
        long from = 1;
        Topology topology = null;
        Set<Fault> faults = EnumSet.allOf(Fault.class);
        int threads = Runtime.getRuntime().availableProcessors();
        boolean verbose = false, identities = false, sessionPolicy = false;
        DocKey watch = null;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--seeds" -> seeds = positive(a, value(args, ++i, a));
                    case "--from" -> from = Long.parseLong(value(args, ++i, a));
                    case "--peers" -> peers = Integer.parseInt(value(args, ++i, a));
                    case "--topology" -> topology = Topology.fromOptionName(value(args, ++i, a));
                    case "--actions" -> actions = Integer.parseInt(value(args, ++i, a));
                    case "--faults" -> faults = faults(value(args, ++i, a));
                    case "--threads" -> threads = positive(a, value(args, ++i, a));
                    case "--verbose" -> verbose = true;
                    case "--identities" -> identities = true;
                    case "--session-policy" -> sessionPolicy = true;
                    case "--watch" -> {
                        watch = DocKey.parse(value(args, ++i, a));
                    }
                    case "--help", "-h" -> {
                        out.print(usage());
                        return 0;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            SimulationOptions base = SimulationOptions.seed(from)
                    .withPeers(peers)
                    .withTopology(topology)
                    .withActions(actions)
                    .withFaults(faults)
                    .withIdentities(identities)
                    .withSessionPolicy(sessionPolicy);
            if (topology == Topology.PAIR && peers != 0 && peers != 2)
                throw new IllegalArgumentException("the pair topology has 2 peers");
            if (topology == Topology.SERVER_CLUSTER && peers != 0 && peers < 3)
                throw new IllegalArgumentException("the server-cluster topology has at least 3 peers");
            if (watch != null) { // diagnosis of one seed: every change of one document, then the findings
                SimulationResult r = new Simulation(base).watch(watch, out).run();
                out.println(r.passed() ? "seed " + from + " passed" : r.describe());
                return r.passed() ? 0 : 1;
            }
            boolean detail = verbose || seeds == 1;
            boolean perSeed = verbose;
            int total = seeds;
            long started = System.nanoTime(); // for the rate only: runs never see it
            int[] done = {0};
            SimulationRunner.Summary summary = SimulationRunner.run(from, seeds, threads, base::withSeed, r -> {
                done[0]++;
                if (!r.passed()) {
                    if (detail) out.println(r.describe());
                    out.println("seed " + r.seed() + " FAILED (" + (r.divergent() ? "divergent" : "converged") + ", "
                            + r.lostWrites() + " lost writes): " + r.replayCommand());
                } else if (perSeed) {
                    out.println("seed " + r.seed() + " ok (" + r.topology().optionName() + ", " + r.peers() + " peers, "
                            + r.acknowledgedWrites() + " writes, trace "
                            + r.traceHash().substring(0, 16) + "; " + r.stats() + "; checked "
                            + r.report().coverage() + ")");
                }
                if (total >= 1000 && done[0] % (total / 10) == 0 && done[0] < total) {
                    err.printf("… %d of %d seeds%n", done[0], total);
                }
            });
            double secs = (System.nanoTime() - started) / 1e9;
            if (seeds > 1) {
                err.printf(
                        "%d seeds in %.1f s (%.1f seeds/s on %d threads), %d acknowledged writes, %d messages%n",
                        seeds, secs, seeds / secs, threads, summary.writes(), summary.messages());
                if (verbose) err.println("totals: " + summary.totals() + "\nchecked: " + summary.coverage());
            }
            out.println(summary.line());
            return summary.divergent() == 0 && summary.lostWrites() == 0 ? 0 : 1;
        } catch (IllegalArgumentException e) {
            err.println("simulate: " + e.getMessage());
            err.print(usage());
            return 2;
        }
    }

    private static String usage() {
        StringBuilder names = new StringBuilder();
        for (Fault f : Fault.values())
            names.append(names.length() == 0 ? "" : ", ").append(f.optionName());
        return String.format(USAGE, SimulationOptions.DEFAULT_ACTIONS, names);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    private static int positive(String option, String v) {
        int n = Integer.parseInt(v);
        if (n < 1) throw new IllegalArgumentException(option + " must be at least 1: " + v);
        return n;
    }

    private static Set<Fault> faults(String v) {
        if (v.equals("all")) return EnumSet.allOf(Fault.class);
        if (v.equals("none")) return EnumSet.noneOf(Fault.class);
        Set<Fault> out = EnumSet.noneOf(Fault.class);
        for (String s : v.split(",", -1)) out.add(Fault.fromOptionName(s.trim()));
        return out;
    }
}
