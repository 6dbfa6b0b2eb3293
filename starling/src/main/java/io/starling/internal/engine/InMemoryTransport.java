package io.starling.internal.engine;

import io.starling.internal.net.MessageChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Connects two instances in one JVM, message for message, counting bytes and messages each way — for
 * tests and byte-count benchmarks. Delivery is asynchronous (the receiving instance's sync thread picks the
 * message up) and in order.
 */
public final class InMemoryTransport {
    private InMemoryTransport() {}

    /** Connects {@code a} and {@code b} ({@code a} dials): each starts a session. */
    public static Link connect(DefaultStarling a, DefaultStarling b) {
        return connect(
                a,
                b,
                io.starling.internal.net.ConnectionInfo.memory(true),
                io.starling.internal.net.ConnectionInfo.memory(false));
    }

    /** Connects {@code a} and {@code b} with what each side is told about the connection. */
    public static Link connect(
            DefaultStarling a,
            DefaultStarling b,
            io.starling.internal.net.ConnectionInfo infoA,
            io.starling.internal.net.ConnectionInfo infoB) {
        Link link = new Link();
        Outbound fromA = new Outbound(link, link.aToB, link.messagesAToB, link.typesAToB, link.typeBytesAToB, a, b);
        Outbound fromB = new Outbound(link, link.bToA, link.messagesBToA, link.typesBToA, link.typeBytesBToA, b, a);
        link.ends = List.of(fromA, fromB);
        MessageChannel.Receiver intoA = a.connect(fromA, infoA);
        MessageChannel.Receiver intoB = b.connect(fromB, infoB);
        fromA.deliverTo(intoB);
        fromB.deliverTo(intoA);
        return link;
    }

    /** One connection. Closing it closes both sessions. */
    public static final class Link implements AutoCloseable {
        final AtomicLong aToB = new AtomicLong(), bToA = new AtomicLong();
        final AtomicLong messagesAToB = new AtomicLong(), messagesBToA = new AtomicLong();
        final java.util.concurrent.atomic.AtomicLongArray
                typesAToB = new java.util.concurrent.atomic.AtomicLongArray(256),
                typesBToA = new java.util.concurrent.atomic.AtomicLongArray(256),
                typeBytesAToB = new java.util.concurrent.atomic.AtomicLongArray(256),
                typeBytesBToA = new java.util.concurrent.atomic.AtomicLongArray(256);
        final AtomicBoolean closed = new AtomicBoolean();
        final List<String> endReasons = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Outbound> ends = List.of();

        /** The reasons the sessions on this link ended with, as each side reported it. */
        public List<String> endReasons() {
            return List.copyOf(endReasons);
        }

        public long bytesAToB() {
            return aToB.get();
        }

        public long bytesBToA() {
            return bToA.get();
        }

        public long messagesAToB() {
            return messagesAToB.get();
        }

        public long messagesBToA() {
            return messagesBToA.get();
        }

        /** Messages of one wire type (the first byte: 14 = RANGES, 11 = a compressed BATCH or DOCS) sent by a. */
        public long messagesAToB(int type) {
            return typesAToB.get(type & 0xff);
        }

        /** Messages of one wire type sent by b. */
        public long messagesBToA(int type) {
            return typesBToA.get(type & 0xff);
        }

        /** Bytes of the messages of one wire type sent by a (where a benchmark's bytes go). */
        public long bytesAToB(int type) {
            return typeBytesAToB.get(type & 0xff);
        }

        /** Bytes of the messages of one wire type sent by b. */
        public long bytesBToA(int type) {
            return typeBytesBToA.get(type & 0xff);
        }

        public boolean isClosed() {
            return closed.get();
        }

        @Override
        public void close() {
            if (!closed.compareAndSet(false, true)) return;
            for (Outbound e : ends) e.closed();
        }
    }

    /** What one side sends on: counts, then hands each message to the other side's receiver. */
    private static final class Outbound implements MessageChannel {
        private final Link link;
        private final AtomicLong bytes;
        private final AtomicLong messages;
        private final java.util.concurrent.atomic.AtomicLongArray types, typeBytes;
        private final DefaultStarling from, to;
        private MessageChannel.@Nullable Receiver target; // guarded by this; null until both sides are attached
        private @Nullable List<byte[]> early = new ArrayList<>();

        Outbound(
                Link link,
                AtomicLong bytes,
                AtomicLong messages,
                java.util.concurrent.atomic.AtomicLongArray types,
                java.util.concurrent.atomic.AtomicLongArray typeBytes,
                DefaultStarling from,
                DefaultStarling to) {
            this.link = link;
            this.bytes = bytes;
            this.messages = messages;
            this.types = types;
            this.typeBytes = typeBytes;
            this.from = from;
            this.to = to;
        }

        synchronized void deliverTo(MessageChannel.Receiver receiver) {
            target = receiver;
            if (early != null) for (byte[] m : early) receiver.onMessage(m);
            early = null;
            if (link.closed.get()) receiver.onClosed();
        }

        @Override
        public synchronized void send(byte[] message) {
            if (link.closed.get()) return;
            bytes.addAndGet(message.length);
            messages.incrementAndGet();
            if (message.length > 0) {
                types.incrementAndGet(message[0] & 0xff);
                typeBytes.addAndGet(message[0] & 0xff, message.length);
            }
            from.recordBytes(message.length, 0);
            to.recordBytes(0, message.length);
            if (target != null) target.onMessage(message);
            else if (early != null) early.add(message.clone());
        }

        /** The link closed: the receiving side learns it. */
        synchronized void closed() {
            if (target != null) target.onClosed();
        }

        @Override
        public void sessionEnded(String reason) {
            link.endReasons.add(reason);
        }

        @Override
        public void close() {
            link.close();
        }
    }
}
