package io.starling.internal.sync;

import io.starling.internal.core.BinaryWriter;

/** Prefixes message bytes with their {@code varint length}: the inverse of {@link FrameDecoder}. */
public final class FrameEncoder {
    private FrameEncoder() {}

    /** One frame: the varint length of {@code message}, then its bytes. */
    public static byte[] frame(byte[] message) {
        return new BinaryWriter(message.length + 5)
                .writeVarInt(message.length)
                .writeRaw(message)
                .toByteArray();
    }

    /** {@code frame(WireCodec.encode(message))}. */
    public static byte[] frame(Message message) {
        return frame(WireCodec.encode(message));
    }
}
