package io.starling.testing.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** How the simulated peers are connected: every edge is one connection that the simulator keeps (re)connecting. */
enum Topology {
    /** Two peers, one connection. */
    PAIR(2),
    /** A chain: 0 - 1 - 2 - 3; data for the ends relays through the middle. */
    LINE(4),
    /** Peer 0 in the middle, every other peer connected to it only. */
    STAR(6),
    /** Every pair connected. */
    MESH(5),
    /** A random connected graph: a random spanning tree plus some extra edges. */
    RANDOM(0),
    /**
     * Server nodes over one shared store (one peer identity, a stamp site per node: PostgreSQL nodes of {@code
     * starling server}) and devices, each connected to one node; devices move between nodes, and a device whose
     * node is down reconnects to another (as through a load balancer). 4–7 peers: 3 nodes from 6 peers, else 2.
     */
    SERVER_CLUSTER(-1);

    private final int defaultPeers;

    Topology(int defaultPeers) {
        this.defaultPeers = defaultPeers;
    }

    /** The number of peers when none is given; RANDOM draws 2–8 from the seed. */
    int defaultPeers(Random random) {
        if (this == SERVER_CLUSTER) return 4 + random.nextInt(4);
        return defaultPeers > 0 ? defaultPeers : 2 + random.nextInt(7);
    }

    /** How many of {@code n} peers are server nodes over one shared store (peers 0 to nodes − 1); 0 but for clusters. */
    int serverNodes(int n) {
        return this != SERVER_CLUSTER ? 0 : n >= 6 ? 3 : 2;
    }

    /** The fixed topologies, in the order seeds cycle through them. */
    static final Topology[] BY_SEED = {PAIR, LINE, STAR, MESH, SERVER_CLUSTER};

    /** The topology a seed runs when none is given. */
    public static Topology forSeed(long seed) {
        return BY_SEED[(int) Math.floorMod(seed, (long) BY_SEED.length)];
    }

    public String optionName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    public static Topology fromOptionName(String s) {
        for (Topology t : values()) {
            if (t.optionName().equals(s)) return t;
        }
        throw new IllegalArgumentException(
                "unknown topology '" + s + "'; known: pair, line, star, mesh, random, server-cluster");
    }

    /** The edges (pairs of peer indexes, lower first) for {@code n} peers. */
    List<int[]> edges(int n, Random random) {
        List<int[]> edges = new ArrayList<>();
        switch (this) {
            case PAIR, LINE -> {
                for (int i = 0; i + 1 < n; i++) edges.add(new int[] {i, i + 1});
            }
            case STAR -> {
                for (int i = 1; i < n; i++) edges.add(new int[] {0, i});
            }
            case MESH -> {
                for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) edges.add(new int[] {i, j});
            }
            case SERVER_CLUSTER -> {
                int nodes = serverNodes(n);
                for (int d = nodes; d < n; d++) edges.add(new int[] {(d - nodes) % nodes, d});
            }
            case RANDOM -> {
                boolean[][] has = new boolean[n][n];
                for (int i = 1; i < n; i++) { // a random tree: each peer attaches to an earlier one
                    int j = random.nextInt(i);
                    has[j][i] = true;
                }
                int extra = n <= 2 ? 0 : random.nextInt(n);
                for (int k = 0; k < extra; k++) {
                    int i = random.nextInt(n), j = random.nextInt(n);
                    if (i != j) has[Math.min(i, j)][Math.max(i, j)] = true;
                }
                for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (has[i][j]) edges.add(new int[] {i, j});
            }
        }
        return edges;
    }
}
