package io.starling.internal.engine;

import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.internal.storage.InMemoryStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * A store on SQLite in a temporary directory and one in memory, each opened on first use and closed together: the two
 * storages that a property test runs a fast path on against its reference. One instance serves a whole test class.
 */
final class TwoStores implements AutoCloseable {
    private final String name;
    private @Nullable Path dir;
    private @Nullable Starling sqlite;
    private @Nullable Starling memory;

    TwoStores(String name) {
        this.name = name;
    }

    synchronized Starling sqlite() {
        Starling s = sqlite;
        if (s == null) {
            try {
                Path d = Files.createTempDirectory(name);
                dir = d;
                s = Starling.open(StarlingConfig.builder().databaseDirectory(d).build());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sqlite = s;
        }
        return s;
    }

    synchronized Starling memory() {
        Starling m = memory;
        if (m == null) {
            m = DefaultStarling.open(
                    StarlingConfig.builder().appId(name).build(),
                    Path.of("memory"),
                    new InMemoryStorage(),
                    Clock.systemUTC());
            memory = m;
        }
        return m;
    }

    /** Which of the two {@code s} is, for a failure's message. */
    String label(Starling s) {
        return s == sqlite ? "sqlite" : "memory";
    }

    @Override
    public synchronized void close() throws IOException {
        if (sqlite != null) sqlite.close();
        if (memory != null) memory.close();
        sqlite = memory = null;
        Path d = dir;
        if (d != null) {
            try (Stream<Path> s = Files.walk(d)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
