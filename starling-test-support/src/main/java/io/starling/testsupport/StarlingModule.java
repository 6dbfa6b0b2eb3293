package io.starling.testsupport;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The modules of the build and the one-way graph between them (docs/ARCHITECTURE.md), as the architecture rules
 * read it: the packages each module holds and the packages of other modules its main code may use. A module may
 * use only what its Maven dependencies give it, and of that only the packages listed here: the application modules
 * see the library through its public API, the library modules see each other only where the graph says so.
 */
public enum StarlingModule {
    /** Values, ids, the hybrid logical clock, the document CRDT, index keys. Pure. Knows no other module. */
    CORE(
            Kind.LIBRARY,
            packages("io.starling.internal.core..", "io.starling.internal.crdt..", "io.starling.internal.index.."),
            List.of()),
    /** The DQL lexer, parser, planner and evaluator. Pure. Knows only the core. */
    QUERY(Kind.LIBRARY, packages("io.starling.internal.query.."), List.of(CORE)),
    /** The storage SPI, SQLite and in-memory. Knows no other module: ids and states are opaque bytes to it. */
    STORAGE(Kind.LIBRARY, packages("io.starling.internal.storage.."), List.of()),
    /**
     * The storage SPI on PostgreSQL. Knows the storage SPI, and the core only to decode a document's state into the
     * JSON value it keeps beside it.
     */
    STORAGE_POSTGRES(Kind.LIBRARY, packages("io.starling.internal.storage.postgres.."), List.of(STORAGE, CORE)),
    /** The sync protocol: messages, codec, framing and sans-I/O sessions. Pure. Knows only the core. */
    SYNC(Kind.LIBRARY, packages("io.starling.internal.sync.."), List.of(CORE)),
    /**
     * Online identity: the app's authority key, device certificates and the login providers. Knows the core (values)
     * and the query layer (permission sets); not the engine, so that the library can use it.
     */
    AUTH(Kind.LIBRARY, packages("io.starling.internal.auth.."), List.of(CORE, QUERY)),
    /**
     * The library: the public API {@code io.starling}, the engine and the network SPI. A device of the online identity
     * mode logs in and verifies its peers' certificates through the auth module.
     */
    STARLING(
            Kind.LIBRARY,
            packages("io.starling", "io.starling.internal.engine..", "io.starling.internal.net.."),
            List.of(CORE, QUERY, STORAGE, SYNC, AUTH)),
    /** LAN discovery over mDNS/DNS-SD. Knows no other module. */
    DISCOVERY(Kind.LIBRARY, packages("io.starling.internal.discovery.."), List.of()),
    /**
     * The network stack: a {@code NetworkProvider} of the network SPI. It uses the public API, the network SPI, the
     * sync module's wire format (a stream transport frames messages itself) and discovery; not the engine, the
     * query layer, storage or the core.
     */
    TRANSPORT_NETTY(
            Kind.LIBRARY,
            packages("io.starling.transport", "io.starling.internal.transport.."),
            packages("io.starling", "io.starling.internal.net..", "io.starling.internal.sync.."),
            List.of(DISCOVERY)),
    /**
     * Change data capture to Kafka: a sink that tails the store's change feed through the public API and produces
     * it to Kafka topics. A library (the CLI's peer runs it), on the public API alone.
     */
    CDC_KAFKA(Kind.LIBRARY, packages("io.starling.internal.cdc.kafka.."), packages("io.starling"), List.of()),
    /**
     * The command line. An application of the public API (and of the shared-key files of the transport); its HTTP
     * server is one of the peer's servers, so it shares their refusal log from the network SPI package. A peer
     * started as an authority issues certificates through the auth module, and one given a Kafka broker runs the
     * change-data-capture sink. Its HTTP API keys carry permission sets (the query layer's {@code Permissions}, built
     * from the core's values) and run requests through the engine's permission-checked entry points ({@code
     * DefaultStore.execute(…, grant)} and its live-query and change-feed twins), which the public API does not offer
     * yet. Server nodes on one PostgreSQL keep their API keys and the Kafka sink's lease in that database, through
     * the PostgreSQL module's {@code PostgresClusterState} (and the storage's exception, which it throws).
     */
    CLI(
            Kind.APPLICATION,
            packages("io.starling.cli.."),
            packages(
                    "io.starling",
                    "io.starling.transport",
                    "io.starling.internal.net..",
                    "io.starling.internal.auth..",
                    "io.starling.internal.cdc.kafka..",
                    "io.starling.internal.query..",
                    "io.starling.internal.core..",
                    "io.starling.internal.engine..",
                    "io.starling.internal.storage",
                    "io.starling.internal.storage.postgres.."),
            List.of()),
    /** Benchmarks: they measure internals too, so they may use every module they depend on. */
    BENCH(Kind.APPLICATION, packages("io.starling.bench.."), List.of(STARLING, TRANSPORT_NETTY)),
    /** The deterministic simulator: it drives engines and sessions itself, so it may use the library's internals. */
    TESTING(Kind.APPLICATION, packages("io.starling.testing.."), List.of(STARLING)),
    /**
     * The soak: real peers in child JVMs over the real network stack through a fault-injecting relay. Its driver reads
     * the engine's stored states, its checks use the simulator's model, and it is made of child JVMs and deadlines.
     */
    SOAK(
            Kind.APPLICATION,
            packages("io.starling.soak.."),
            packages("io.starling.testsupport.."),
            List.of(STARLING, TRANSPORT_NETTY, TESTING)),
    /** This module: test support, a test-scoped dependency of every module. Knows no other module. */
    TEST_SUPPORT(Kind.TEST_SUPPORT, packages("io.starling.testsupport.."), List.of());

    /** What a module is for, which decides some of the rules. */
    public enum Kind {
        /** Shipped in applications: logs only through SLF4J, uses only APIs Android has. */
        LIBRARY,
        /** A program (CLI, benchmarks, simulator): may print, may use any JDK API. */
        APPLICATION,
        /** Test-scoped support; never shipped. */
        TEST_SUPPORT
    }

    /** The packages of the public API, whose types are locked by a snapshot. */
    public static final List<String> API_PACKAGES = List.of("io.starling", "io.starling.transport");

    /** Packages whose code is pure: no I/O, threads, clock or unseeded randomness. */
    public static final List<String> PURE_PACKAGES = List.of(
            "io.starling.internal.core..",
            "io.starling.internal.crdt..",
            "io.starling.internal.index..",
            "io.starling.internal.query..",
            "io.starling.internal.sync..");

    private final Kind kind;
    // Both lists are unmodifiable (List.of, List.copyOf); ImmutableEnumChecker only trusts Guava's immutable types.
    @SuppressWarnings("ImmutableEnumChecker")
    private final List<String> packages;

    @SuppressWarnings("ImmutableEnumChecker") // unmodifiable: List.copyOf
    private final List<String> reachablePackages;

    StarlingModule(Kind kind, List<String> packages, List<StarlingModule> usesWhole) {
        this(kind, packages, List.of(), usesWhole);
    }

    StarlingModule(Kind kind, List<String> packages, List<String> reaches, List<StarlingModule> usesWhole) {
        this.kind = kind;
        this.packages = packages;
        List<String> r = new ArrayList<>(reaches);
        for (StarlingModule m : usesWhole) {
            r.addAll(m.packages);
            r.addAll(m.kind == Kind.APPLICATION ? List.of() : m.reachablePackages);
        }
        this.reachablePackages = List.copyOf(r);
    }

    private static List<String> packages(String... patterns) {
        return List.of(patterns);
    }

    /** The artifact id and directory name: {@code starling-core}. */
    public String artifactId() {
        return switch (this) {
            case STARLING -> "starling";
            case TRANSPORT_NETTY -> "starling-transport-netty";
            case STORAGE_POSTGRES -> "starling-storage-postgres";
            case CDC_KAFKA -> "starling-cdc-kafka";
            case TEST_SUPPORT -> "starling-test-support";
            default -> "starling-" + name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    public Kind kind() {
        return kind;
    }

    /** The module's own packages, as ArchUnit package patterns ({@code io.starling.internal.core..}). */
    public List<String> packages() {
        return packages;
    }

    /** The packages of other modules its main code may use, as ArchUnit package patterns. */
    public List<String> reachablePackages() {
        return reachablePackages;
    }

    /** The module whose directory is {@code artifactId}, or null. */
    public static @Nullable StarlingModule byArtifactId(String artifactId) {
        for (StarlingModule m : values()) if (m.artifactId().equals(artifactId)) return m;
        return null;
    }
}
