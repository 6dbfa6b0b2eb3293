package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Fuzz targets for the code that reads a peer's bytes: {@link FrameDecoder} and {@link WireCodec#decode}. The only
 * failure they may show is {@link WireException}; anything else (another exception, an error, an assertion below,
 * allocation out of proportion to the input) is a bug.
 *
 * <p>A plain {@code mvn test} replays the seed corpus, every file under
 * {@code src/test/resources/io/starling/internal/sync/WireFuzzTestInputs/<method>/} (plus the empty input), one
 * JUnit invocation per file. {@code JAZZER_FUZZ=1} fuzzes instead: docs/FUZZING.md. The seeds are written by
 * {@link WireFuzzSeeds}; crashes found by fuzzing are kept there as regression inputs.
 */
class WireFuzzTest {
    /** Small enough that fuzzed inputs reach the oversize check with a two-byte length. */
    static final int SMALL_MAX = 4096;

    private static final int DEFAULT_MAX = SessionConfig.defaults().maxFrameBytes();
    /** How long JAZZER_FUZZ=1 fuzzes one target: under the build's 5-minute JUnit timeout, which bounds it too. */
    static final String FUZZ_FOR = "4m";

    static {
        // load every class the targets touch (the seeds reach every message type and failure) before measuring
        Allocations.warmUp(() -> {
            WireFuzzTest t = new WireFuzzTest();
            WireFuzzSeeds.all()
                    .forEach((method, seeds) -> seeds.values().forEach(seed -> {
                        try {
                            switch (method) {
                                case "frameDecoder" -> t.frameDecoder(seed);
                                case "decode" -> t.decode(seed);
                                default -> t.roundTrip(seed);
                            }
                        } catch (RuntimeException | AssertionError e) {
                            // a finding: the replay of that seed reports it
                        }
                    }));
        });
    }

    /**
     * A byte stream cut into chunks three ways (whole, one byte at a time, pseudo-random sizes drawn from the input)
     * gives the same frames and the same failure; each frame then goes through {@link #decode}.
     */
    @FuzzTest(maxDuration = FUZZ_FOR)
    void frameDecoder(byte[] stream) {
        for (int max : new int[] {SMALL_MAX, DEFAULT_MAX}) {
            Outcome reference = Allocations.bounded(max + 64L * stream.length, () -> feed(stream, max, new int[] {1}));
            Outcome whole =
                    Allocations.bounded(max + 64L * stream.length, () -> feed(stream, max, new int[] {stream.length}));
            Outcome random = feed(stream, max, randomChunks(stream));

            for (byte[] frame : reference.frames) assertThat(frame.length).isLessThanOrEqualTo(max);
            for (Outcome o : List.of(whole, random)) {
                assertThat(o.failure()).isEqualTo(reference.failure());
                if (reference.failure() == null) {
                    assertThat(o.frames)
                            .usingElementComparator(Arrays::compare)
                            .containsExactlyElementsOf(reference.frames);
                    assertThat(o.atBoundary).isEqualTo(reference.atBoundary);
                } else {
                    // frames completed before the failing chunk are delivered; those in it are not
                    assertThat(reference.frames.subList(0, Math.min(o.frames.size(), reference.frames.size())))
                            .usingElementComparator(Arrays::compare)
                            .containsExactlyElementsOf(o.frames);
                }
            }
            if (max == SMALL_MAX) reference.frames.forEach(WireFuzzTest::decodeFrame);
        }
    }

    /** Any bytes: a message or a {@link WireException} ({@code malformed}), in memory proportional to the input. */
    @FuzzTest(maxDuration = FUZZ_FOR)
    void decode(byte[] message) {
        decodeFrame(message);
    }

    /**
     * What decodes re-encodes to bytes that decode to an equal message and re-encode identically (the encoding is
     * canonical), and that frame and unframe unchanged.
     */
    @FuzzTest(maxDuration = FUZZ_FOR)
    void roundTrip(byte[] bytes) {
        Message m;
        try {
            m = WireCodec.decode(bytes);
        } catch (WireException e) {
            return;
        }
        byte[] canonical = WireCodec.encode(m);
        Message back = WireCodec.decode(canonical); // a WireException here is a bug: it is not caught
        assertThat(back).isEqualTo(m);
        assertThat(WireCodec.encode(back)).isEqualTo(canonical);
        if (m instanceof Message.Batch b) assertThat(WireCodec.batchSize(b)).isEqualTo(canonical.length);
        assertThat(new FrameDecoder(Math.max(1, canonical.length)).feed(FrameEncoder.frame(canonical)))
                .singleElement()
                .isEqualTo(canonical);
    }

    private static void decodeFrame(byte[] message) {
        Allocations.bounded(256L * message.length, () -> {
            try {
                assertThat(WireCodec.decode(message)).isNotNull();
            } catch (WireException e) {
                assertThat(e.reason()).isEqualTo(SyncSession.MALFORMED);
                assertThat(e.getMessage()).isNotBlank();
            }
            return null;
        });
    }

    /** The frames a decoder returned and how it failed, if it did. */
    private record Outcome(List<byte[]> frames, WireException exception, boolean atBoundary) {
        /** Reason and message: the same input fails the same way however it is cut. */
        String failure() {
            return exception == null ? null : exception.reason() + ": " + exception.getMessage();
        }
    }

    private static Outcome feed(byte[] stream, int max, int[] chunkSizes) {
        FrameDecoder decoder = new FrameDecoder(max);
        List<byte[]> frames = new ArrayList<>();
        int pos = 0, i = 0;
        try {
            while (pos < stream.length) {
                int n = Math.min(chunkSizes[i++ % chunkSizes.length], stream.length - pos);
                frames.addAll(decoder.feed(stream, pos, n));
                pos += n;
            }
            return new Outcome(frames, null, decoder.isAtFrameBoundary());
        } catch (WireException e) {
            assertThat(e.reason()).isIn(SyncSession.MALFORMED, SyncSession.OVERSIZE);
            assertThat(decoder.isAtFrameBoundary()).isFalse();
            // broken for good: every later call throws the same exception
            for (byte[] more : List.of(new byte[0], new byte[] {0})) {
                try {
                    decoder.feed(more);
                    throw new AssertionError("a broken decoder accepted more bytes");
                } catch (WireException again) {
                    assertThat(again).isSameAs(e);
                }
            }
            return new Outcome(frames, e, false);
        }
    }

    /** Chunk sizes 0 to 16 drawn from a generator seeded by the input, so that a replay cuts it the same way. */
    private static int[] randomChunks(byte[] stream) {
        SplittableRandom r = new SplittableRandom(Arrays.hashCode(stream));
        int[] sizes = new int[1 + r.nextInt(8)];
        for (int i = 0; i < sizes.length; i++) sizes[i] = r.nextInt(17);
        if (Arrays.stream(sizes).allMatch(s -> s == 0)) sizes[0] = 1;
        return sizes;
    }
}
