package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.junit.jupiter.api.Test;

/** WebSocket message framing on an in-memory channel. */
class WebSocketCodecTest {

    @Test
    void binaryMessagesAreProtocolMessagesAndPongsAreSignsOfLife() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketCodec());
        ch.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));
        ch.writeInbound(new PongWebSocketFrame());
        assertThat((byte[]) ch.readInbound()).containsExactly(1, 2, 3);
        assertThat((Object) ch.readInbound()).isSameAs(Signal.KEEP_ALIVE);

        ch.writeOutbound(new byte[] {9});
        ch.writeOutbound(Signal.KEEP_ALIVE);
        BinaryWebSocketFrame out = ch.readOutbound();
        assertThat(out.content().readableBytes()).isEqualTo(1);
        out.release();
        assertThat((Object) ch.readOutbound()).isInstanceOf(PingWebSocketFrame.class);
        ch.finishAndReleaseAll();
    }

    @Test
    void aTextMessageClosesWithPolicyViolation() {
        EmbeddedChannel ch = new EmbeddedChannel(new WebSocketCodec());
        ch.writeInbound(
                new TextWebSocketFrame("hello"), new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        assertThat((Object) ch.readInbound())
                .as("nothing delivered after the violation")
                .isNull();
        CloseWebSocketFrame close = ch.readOutbound();
        assertThat(close.statusCode()).isEqualTo(WebSocketCloseStatus.POLICY_VIOLATION.code());
        close.release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }
}
