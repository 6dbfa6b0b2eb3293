package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The committed seed corpus of {@link WireFuzzTest} is what {@link WireFuzzSeeds} generates, sits where Jazzer
 * reads it, and its {@code valid-*} inputs still decode, one message type each. After a wire format change,
 * regenerate it: {@code mvn test -pl starling-sync -Dtest=WireFuzzSeedsTest -Dstarling.fuzz.writeSeeds=true}.
 */
class WireFuzzSeedsTest {
    private static final Path SOURCE = Path.of("src/test/resources").resolve(WireFuzzSeeds.ROOT);

    @Test
    void committedSeedsAreTheGeneratedOnes() throws IOException {
        boolean write = Boolean.getBoolean("starling.fuzz.writeSeeds");
        for (Map.Entry<String, Map<String, byte[]>> method : WireFuzzSeeds.all().entrySet()) {
            Path dir = SOURCE.resolve(method.getKey());
            if (write) Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> seed : method.getValue().entrySet()) {
                Path file = dir.resolve(seed.getKey());
                if (write) Files.write(file, seed.getValue());
                assertThat(file)
                        .as("seed %s (regenerate: see the class comment)", file)
                        .exists()
                        .hasBinaryContent(seed.getValue());
            }
        }
    }

    @Test
    void jazzerFindsTheSeedsOnTheTestClassPath() throws URISyntaxException {
        for (String method : WireFuzzSeeds.all().keySet()) {
            // what Jazzer does: <simple class name>Inputs/<method>, resolved against the test class
            URL dir = WireFuzzTest.class.getResource("WireFuzzTestInputs/" + method);
            assertThat(dir).as(method).isNotNull();
            assertThat(Path.of(dir.toURI()))
                    .isDirectoryContaining(p -> p.getFileName().toString().startsWith("valid-")
                            || p.getFileName().toString().startsWith("frame-"));
        }
    }

    @Test
    void validSeedsDecodeAndCoverEveryMessageType() throws IOException {
        Set<Integer> types = new HashSet<>();
        for (Map.Entry<String, byte[]> seed : WireFuzzSeeds.messageSeeds().entrySet()) {
            if (!seed.getKey().startsWith("valid-")) continue;
            Message m = WireCodec.decode(seed.getValue());
            types.add(seed.getValue()[0] & 0xff);
            assertThat(WireCodec.encode(m)).as(seed.getKey()).isEqualTo(seed.getValue());
        }
        assertThat(types).hasSize(RandomMessages.TYPES);
        FrameDecoder frames = new FrameDecoder(SessionConfig.defaults().maxFrameBytes());
        assertThat(frames.feed(WireFuzzSeeds.streamSeeds().get("stream-every-type")))
                .hasSize(RandomMessages.TYPES);
    }
}
