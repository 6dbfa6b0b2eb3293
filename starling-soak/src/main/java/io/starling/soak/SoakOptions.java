package io.starling.soak;

import java.util.Locale;

/**
 * The size of one soak run: a profile and a seed. Everything else (topology, transports, site ids, subscriptions, the
 * workload, the faults, the kills) is drawn from the seed by {@link SoakPlan}.
 *
 * @param profile how big the run is
 * @param seed the seed of every random choice of the run
 * @param peers how many peers (child JVMs)
 * @param chaosMillis how long the chaos phase lasts: the plan's steps are spread over it
 * @param steps how many steps the plan has (workload and faults)
 * @param kills how many times a peer is killed with SIGKILL (and restarted)
 */
record SoakOptions(Profile profile, long seed, int peers, long chaosMillis, int steps, int kills) {

    /** The two sizes: the default build's short run and the {@code -Pslow} long one. */
    enum Profile {
        /** 3 peers, one SIGKILL, a few seconds of chaos: the default build. */
        SHORT,
        /** 4 to 6 peers, several SIGKILLs, a minute of chaos: {@code -Pslow} and {@code bin/soak --profile long}. */
        LONG;

        static Profile parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown profile '" + s + "' (short or long)");
            }
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static SoakOptions of(Profile profile, long seed) {
        java.util.Random r = new java.util.Random(seed ^ 0x5eed50a4L);
        return switch (profile) {
            case SHORT -> new SoakOptions(profile, seed, 3, 6_000, 160, 1);
            case LONG -> new SoakOptions(profile, seed, 4 + r.nextInt(3), 45_000, 1_400, 3 + r.nextInt(4));
        };
    }

    /** The one command that replays this run from the repository root. */
    String replayCommand() {
        return "bin/soak --seed " + seed + " --profile " + profile.label();
    }

    @Override
    public String toString() {
        return "seed " + seed + " (" + profile.label() + ": " + peers + " peers, " + steps + " steps over "
                + chaosMillis / 1000.0 + " s, " + kills + " SIGKILL" + (kills == 1 ? "" : "s") + ")";
    }
}
