package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The connection applies documents first: attachment chunks wait while a document message is being written, and a
 * document message sent while chunks wait goes out ahead of them. Writes are held by a handler that completes them
 * when the test says, as a slow socket would.
 */
class NettyConnectionDocumentsFirstTest {

    /** Holds every write until released: what reached it, in order, and the writes not yet done. */
    static final class SlowSocket extends ChannelOutboundHandlerAdapter {
        final List<String> written = new ArrayList<>();
        final List<ChannelPromise> pending = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            byte[] m = (byte[]) msg;
            written.add(m.length == 1 ? "doc" + m[0] : "chunk" + m[0]);
            pending.add(promise);
        }

        void finishOldest() {
            pending.remove(0).setSuccess();
        }
    }

    static byte[] chunk(int n) {
        byte[] b = new byte[8 * 1024];
        b[0] = (byte) n;
        return b;
    }

    @Test
    void aDocumentMessageOvertakesQueuedChunks() {
        SlowSocket socket = new SlowSocket();
        EmbeddedChannel ch = new EmbeddedChannel(socket);
        NettyConnection c = new NettyConnection(ch, false, outcome -> {});
        for (int i = 0; i < 5; i++) c.sendBulk(chunk(i));
        ch.runPendingTasks();
        // two chunks fill the connection's share of its buffer; three wait
        assertThat(socket.written).containsExactly("chunk0", "chunk1");
        c.send(new byte[] {7});
        ch.runPendingTasks();
        assertThat(socket.written).containsExactly("chunk0", "chunk1", "doc7");
        socket.finishOldest();
        socket.finishOldest();
        ch.runPendingTasks();
        // the document is still being written: no chunk leaves
        assertThat(socket.written).containsExactly("chunk0", "chunk1", "doc7");
        socket.finishOldest();
        ch.runPendingTasks();
        assertThat(socket.written).containsExactly("chunk0", "chunk1", "doc7", "chunk2", "chunk3");
        socket.finishOldest();
        socket.finishOldest();
        ch.runPendingTasks();
        assertThat(socket.written).containsExactly("chunk0", "chunk1", "doc7", "chunk2", "chunk3", "chunk4");
        ch.finishAndReleaseAll();
    }
}
