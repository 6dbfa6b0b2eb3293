package io.starling.internal.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The codec is pure: no I/O, threads, clock or randomness. ArchitectureTest (module starling, ArchUnit) checks the
 * pure packages of the whole build; this module has no ArchUnit, so this test reads the constant pools of the codec's
 * class files (every class, method and field a class refers to is named there) and refuses the same references.
 */
class IndexKeyCodecPurityTest {
    static final List<String> FORBIDDEN = List.of(
            "java/io/",
            "java/nio/file/",
            "java/nio/channels/",
            "java/net/",
            "java/sql/",
            "java/util/logging/",
            "org/slf4j/",
            "java/lang/Thread",
            "java/util/concurrent/",
            "java/util/Random",
            "java/security/SecureRandom",
            "java/time/",
            "currentTimeMillis",
            "nanoTime",
            "java/lang/Math.random",
            "java/util/UUID");

    @Test
    void theCodecReferencesNoIoThreadsClockOrRandomness() throws IOException, URISyntaxException {
        Path dir = Path.of(IndexKeyCodec.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .resolve("io/starling/internal/index");
        List<Path> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().startsWith("IndexKeyCodec"))
                    .forEach(classes::add);
        }
        assertThat(classes).as("the codec's class files").isNotEmpty();
        for (Path c : classes) {
            String pool;
            try (InputStream in = Files.newInputStream(c)) {
                pool = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            }
            assertThat(pool).as("class file %s", c.getFileName()).contains("io/starling/internal");
            for (String f : FORBIDDEN) {
                assertThat(pool).as("%s refers to %s", c.getFileName(), f).doesNotContain(f);
            }
            assertThat(pool.contains("java/lang/Math") && pool.contains("random"))
                    .as("%s calls Math.random", c.getFileName())
                    .isFalse();
        }
    }
}
