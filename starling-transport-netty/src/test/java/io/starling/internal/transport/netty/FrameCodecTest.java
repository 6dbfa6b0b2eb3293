package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SyncSession;
import io.starling.internal.sync.WireCodec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** TCP framing on an in-memory channel. */
class FrameCodecTest {
    static final int MAX = 1 << 20;

    static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    @Test
    void messagesFedOneByteAtATimeComeOutWholeAndInOrderAndKeepAlivesAreSignals() {
        FrameCodec codec = new FrameCodec(MAX);
        EmbeddedChannel ch = new EmbeddedChannel(codec);
        byte[] one = FrameEncoder.frame(new byte[] {8, 1, 2, 3});
        byte[] big = FrameEncoder.frame(new byte[300]);
        byte[] stream = new byte[one.length + 1 + big.length];
        System.arraycopy(one, 0, stream, 0, one.length);
        stream[one.length] = 0; // a keep-alive frame
        System.arraycopy(big, 0, stream, one.length + 1, big.length);
        for (int i = 0; i < stream.length; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {stream[i]}));
            if (i == one.length + 5)
                assertThat(codec.partialSince()).as("a frame is pending").isNotZero();
        }
        assertThat((byte[]) ch.readInbound()).containsExactly(8, 1, 2, 3);
        assertThat((Object) ch.readInbound()).isSameAs(Signal.KEEP_ALIVE);
        assertThat((byte[]) ch.readInbound()).hasSize(300);
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(codec.partialSince()).isZero();
        ch.finishAndReleaseAll();
    }

    @Test
    void outboundMessagesAreFramedAndKeepAlivesAreEmptyFrames() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameCodec(MAX));
        ch.writeOutbound(new byte[] {5, 6});
        ch.writeOutbound(Signal.KEEP_ALIVE);
        ch.writeOutbound(new byte[200]);
        assertThat(bytes(ch.readOutbound())).containsExactly(2, 5, 6);
        assertThat(bytes(ch.readOutbound())).containsExactly(0);
        byte[] big = bytes(ch.readOutbound());
        assertThat(big).hasSize(202);
        assertThat(big[0] & 0xff).isEqualTo(0x80 | (200 & 0x7f));
        assertThat(big[1]).isEqualTo((byte) 1);
        ch.finishAndReleaseAll();
    }

    @Test
    void anOversizeLengthClosesWithACloseMessageAndDeliversNothingMore() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameCodec(64 * 1024));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff, 0x7f}));
        ch.runPendingTasks();
        assertThat(ch.isOpen()).isFalse();
        byte[] frame = bytes(ch.readOutbound());
        assertThat((Object) ch.readOutbound()).isNull();
        byte[] body = Arrays.copyOfRange(frame, varintLength(frame), frame.length);
        Message m = WireCodec.decode(body);
        assertThat(m)
                .isInstanceOfSatisfying(
                        Message.Close.class, c -> assertThat(c.reason()).isEqualTo(SyncSession.OVERSIZE));
        assertThat((Object) ch.readInbound()).isNull();
        ch.finishAndReleaseAll();
    }

    private static int varintLength(byte[] frame) {
        int i = 0;
        while ((frame[i] & 0x80) != 0) i++;
        return i + 1;
    }
}
