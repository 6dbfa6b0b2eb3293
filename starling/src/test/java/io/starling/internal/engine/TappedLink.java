package io.starling.internal.engine;

import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.WireCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Two instances connected in memory, in order, like {@link InMemoryTransport}, with a tap on each direction: the tap
 * sees every message (decoded) on the sending instance's sync thread before it is delivered. A tap records what a
 * test awaits (the remote answered a subscription change), or blocks to hold the sending sync thread at a chosen
 * message (a tap that blocks must wait with a deadline). Closing the link closes both sessions.
 */
final class TappedLink implements AutoCloseable {
    /** Sees one message of one direction before it is delivered; runs on the sender's sync thread. */
    interface Tap {
        void sending(Message m);
    }

    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<End> ends = new ArrayList<>(2);

    private TappedLink() {}

    /** Connects {@code a} (which dials) and {@code b}: {@code aToB} sees what a sends, {@code bToA} what b sends. */
    static TappedLink connect(DefaultStarling a, DefaultStarling b, Tap aToB, Tap bToA) {
        TappedLink link = new TappedLink();
        End fromA = new End(link, aToB), fromB = new End(link, bToA);
        link.ends.add(fromA);
        link.ends.add(fromB);
        MessageChannel.Receiver intoA = a.connect(fromA, ConnectionInfo.memory(true));
        MessageChannel.Receiver intoB = b.connect(fromB, ConnectionInfo.memory(false));
        fromA.deliverTo(intoB);
        fromB.deliverTo(intoA);
        return link;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (End e : ends) e.closed();
    }

    /** What one side sends on. */
    private static final class End implements MessageChannel {
        private final TappedLink link;
        private final Tap tap;
        private MessageChannel.@Nullable Receiver target; // guarded by this; null until both sides are attached
        private final List<byte[]> early = new ArrayList<>();

        End(TappedLink link, Tap tap) {
            this.link = link;
            this.tap = tap;
        }

        synchronized void deliverTo(MessageChannel.Receiver receiver) {
            target = receiver;
            for (byte[] m : early) receiver.onMessage(m);
            early.clear();
            if (link.closed.get()) receiver.onClosed();
        }

        @Override
        public void send(byte[] message) {
            if (link.closed.get()) return;
            tap.sending(WireCodec.decode(message, SessionConfig.MAX_FRAME)); // outside the lock: it may block
            synchronized (this) {
                if (link.closed.get()) return;
                if (target != null) target.onMessage(message);
                else early.add(message.clone());
            }
        }

        synchronized void closed() {
            if (target != null) target.onClosed();
        }

        @Override
        public void close() {
            link.close();
        }
    }
}
