package io.starling.internal.sync;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Cuts a byte stream into frames ({@code varint length} then {@code length} bytes, docs/SYNC-PROTOCOL.md
 * "Framing"), for stream transports. Feed it whatever chunks the transport delivers — one byte at a time
 * works — and it returns the complete frame bodies, in order, ready for {@link WireCodec#decode}.
 *
 * <p>The length is checked against the maximum as soon as its varint is read, before any byte of the body is
 * buffered: a peer announcing a 2 GB frame costs nothing. Memory held is at most one frame. After a
 * {@link WireException} the decoder is broken and every later call throws the same exception (the connection
 * must be closed). Not thread-safe.
 */
public final class FrameDecoder {
    private static final byte[] EMPTY = new byte[0];
    private final int maxFrameBytes;
    private long length; // the varint being read
    private int shift;
    private byte @Nullable [] body; // null while reading a length
    private int filled;
    private @Nullable WireException broken;

    /** @param maxFrameBytes the largest frame body accepted (normally {@link SessionConfig#maxFrameBytes()}) */
    public FrameDecoder(int maxFrameBytes) {
        if (maxFrameBytes < 1) throw new IllegalArgumentException("maxFrameBytes must be positive: " + maxFrameBytes);
        this.maxFrameBytes = maxFrameBytes;
    }

    public List<byte[]> feed(byte[] data) {
        return feed(data, 0, data.length);
    }

    /**
     * Consumes {@code length} bytes of {@code data} from {@code offset} (the array is not kept).
     *
     * @return the frame bodies completed by these bytes, possibly none
     * @throws WireException {@code oversize} for a length above the maximum, {@code malformed} for a length
     *     varint longer than 5 bytes
     */
    public List<byte[]> feed(byte[] data, int offset, int length) {
        if (broken != null) throw broken;
        if (offset < 0 || length < 0 || offset + length > data.length) {
            throw new IndexOutOfBoundsException("offset " + offset + ", length " + length + ", array " + data.length);
        }
        List<byte[]> frames = new ArrayList<>(2);
        int pos = offset, end = offset + length;
        while (pos < end) {
            if (body == null) {
                int b = data[pos++] & 0xff;
                this.length |= (long) (b & 0x7f) << shift;
                shift += 7;
                if (this.length > maxFrameBytes) {
                    throw fail(new WireException(
                            SyncSession.OVERSIZE,
                            "frame of " + (((b & 0x80) != 0) ? "more than " : "") + this.length
                                    + " bytes exceeds the maximum of " + maxFrameBytes));
                }
                if ((b & 0x80) != 0) {
                    if (shift >= 35) throw fail(WireException.malformed("frame length varint longer than 5 bytes"));
                    continue;
                }
                int n = (int) this.length;
                this.length = 0;
                shift = 0;
                if (n == 0) {
                    frames.add(EMPTY); // WireCodec refuses it; framing itself is fine
                    continue;
                }
                body = new byte[n];
                filled = 0;
            } else {
                int take = Math.min(end - pos, body.length - filled);
                System.arraycopy(data, pos, body, filled, take);
                pos += take;
                filled += take;
                if (filled == body.length) {
                    frames.add(body);
                    body = null;
                }
            }
        }
        return frames;
    }

    /** True when no partial frame is buffered (the stream ended on a frame boundary). */
    public boolean isAtFrameBoundary() {
        return body == null && shift == 0 && broken == null;
    }

    private WireException fail(WireException e) {
        broken = e;
        body = null;
        return e;
    }
}
