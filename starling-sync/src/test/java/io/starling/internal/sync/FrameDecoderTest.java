package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Framing over a stream: any chunking gives the same frames, and an oversized length is refused before any body. */
class FrameDecoderTest {

    private static List<byte[]> messages(long seed, int n) {
        RandomMessages gen = new RandomMessages(seed);
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(WireCodec.encode(gen.any()));
        return l;
    }

    private static byte[] stream(List<byte[]> messages) {
        int n = 0;
        for (byte[] m : messages) n += FrameEncoder.frame(m).length;
        byte[] s = new byte[n];
        int pos = 0;
        for (byte[] m : messages) {
            byte[] f = FrameEncoder.frame(m);
            System.arraycopy(f, 0, s, pos, f.length);
            pos += f.length;
        }
        return s;
    }

    @Property(tries = 200)
    void oneByteAtATime(@ForAll long seed) {
        List<byte[]> messages = messages(seed, 1 + new Random(seed).nextInt(20));
        byte[] s = stream(messages);
        FrameDecoder d = new FrameDecoder(1 << 20);
        List<byte[]> out = new ArrayList<>();
        for (byte b : s) out.addAll(d.feed(new byte[] {b}));
        assertThat(out).containsExactlyElementsOf(messages);
        assertThat(d.isAtFrameBoundary()).isTrue();
        for (byte[] m : out) WireCodec.decode(m);
    }

    @Property(tries = 500)
    void randomChunks(@ForAll long seed) {
        Random r = new Random(seed);
        List<byte[]> messages = messages(seed, 1 + r.nextInt(30));
        byte[] s = stream(messages);
        FrameDecoder d = new FrameDecoder(1 << 20);
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        while (pos < s.length) {
            int n = Math.min(s.length - pos, r.nextInt(4) == 0 ? 1 : r.nextInt(200));
            byte[] buf = new byte[n + 10]; // the chunk sits at an offset inside a larger array
            System.arraycopy(s, pos, buf, 5, n);
            out.addAll(d.feed(buf, 5, n));
            pos += n;
            if (pos < s.length) assertThat(out.size()).isLessThanOrEqualTo(messages.size());
        }
        assertThat(out).containsExactlyElementsOf(messages);
    }

    @Test
    void anOversizedLengthIsRefusedBeforeTheBody() {
        FrameDecoder d = new FrameDecoder(64 << 10);
        // 2 GB - 1 announced; the decoder stops at the third length byte, and no body byte was ever sent
        byte[] huge = HexFormat.of().parseHex("ffffffff07");
        assertThat(d.feed(huge, 0, 2)).isEmpty(); // 16383 so far: could still be a valid length
        assertThatThrownBy(() -> d.feed(huge, 2, 1))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("exceeds the maximum of 65536")
                .satisfies(e -> assertThat(((WireException) e).reason()).isEqualTo(SyncSession.OVERSIZE));
        // broken for good
        assertThatThrownBy(() -> d.feed(new byte[] {1})).isInstanceOf(WireException.class);
    }

    @Test
    void theMaximumIsInclusive() {
        int max = 64 << 10;
        byte[] body = new byte[max];
        body[0] = 4;
        FrameDecoder d = new FrameDecoder(max);
        assertThat(d.feed(FrameEncoder.frame(body))).hasSize(1);
        assertThatThrownBy(() -> new FrameDecoder(max).feed(FrameEncoder.frame(new byte[max + 1])))
                .isInstanceOf(WireException.class)
                .satisfies(e -> assertThat(((WireException) e).reason()).isEqualTo(SyncSession.OVERSIZE));
    }

    @Test
    void aLengthVarintLongerThanFiveBytesIsMalformed() {
        FrameDecoder d = new FrameDecoder(Integer.MAX_VALUE);
        assertThatThrownBy(() -> d.feed(HexFormat.of().parseHex("8080808080")))
                .isInstanceOf(WireException.class)
                .satisfies(e -> assertThat(((WireException) e).reason()).isEqualTo(SyncSession.MALFORMED));
    }

    @Test
    void anEmptyFrameIsFramedButNotAMessage() {
        List<byte[]> frames = new FrameDecoder(1 << 16).feed(new byte[] {0, 1, 4});
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0)).isEmpty();
        assertThat(frames.get(1)).containsExactly(4);
        assertThatThrownBy(() -> WireCodec.decode(frames.get(0))).isInstanceOf(WireException.class);
    }

    @Test
    void aPartialFrameIsNotABoundary() {
        FrameDecoder d = new FrameDecoder(1 << 16);
        assertThat(d.feed(new byte[] {3, 4})).isEmpty();
        assertThat(d.isAtFrameBoundary()).isFalse();
        assertThat(d.feed(new byte[] {1, 2})).hasSize(1);
        assertThat(d.isAtFrameBoundary()).isTrue();
    }

    @Test
    void frameEncoderPrefixesTheLength() {
        assertThat(FrameEncoder.frame(new byte[300]))
                .startsWith((byte) 0xac, (byte) 0x02)
                .hasSize(302);
        assertThat(FrameEncoder.frame(new Message.Ack(1))).containsExactly(2, 4, 1);
    }
}
