package io.starling.internal.core;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what {@link BinaryWriter} wrote. Every read is bounds-checked: malformed or truncated input raises
 * {@link CodecException}, never an unchecked index error, so that bytes from a peer can be decoded safely.
 * Not thread-safe.
 */
public final class BinaryReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    public BinaryReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    public BinaryReader(byte[] buf, int offset, int length) {
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    public boolean hasRemaining() {
        return pos < end;
    }

    public int remaining() {
        return end - pos;
    }

    public int readByte() {
        if (pos >= end) throw new CodecException("truncated input at byte " + pos);
        return buf[pos++] & 0xff;
    }

    public long readVarLong() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = readByte();
            if (shift == 63 && (b & 0x7e) != 0) throw new CodecException("varint overflows 64 bits at byte " + pos);
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw new CodecException("varint longer than 10 bytes at byte " + pos);
    }

    /** A non-negative int, at most {@code max}. */
    public int readLength(int max) {
        long v = readVarLong();
        if (v < 0 || v > max)
            throw new CodecException("length " + v + " out of range (max " + max + ") at byte " + pos);
        return (int) v;
    }

    public long readSignedVarLong() {
        long v = readVarLong();
        return (v >>> 1) ^ -(v & 1);
    }

    public long readFixedLong() {
        if (end - pos < 8) throw new CodecException("truncated input at byte " + pos);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (buf[pos++] & 0xff);
        return v;
    }

    /** A length-prefixed byte run; the length is checked against what is left after the prefix. */
    private int readRunLength() {
        long n = readVarLong();
        if (n < 0 || n > remaining())
            throw new CodecException("length " + n + " runs past the end of the input at byte " + pos);
        return (int) n;
    }

    public byte[] readBytes() {
        int n = readRunLength();
        byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return out;
    }

    public String readString() {
        int n = readRunLength();
        if (isAscii(pos, n)) {
            // the common case, and valid UTF-8 by construction: no decoder to allocate
            String s = new String(buf, pos, n, StandardCharsets.ISO_8859_1);
            pos += n;
            return s;
        }
        try {
            String s = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(buf, pos, n))
                    .toString();
            pos += n;
            return s;
        } catch (CharacterCodingException e) {
            throw new CodecException("invalid UTF-8 string at byte " + pos);
        }
    }

    /**
     * Reads a length-prefixed byte run (a string) and returns the index of the candidate with exactly its bytes, or
     * -1; builds nothing. Candidates are compared in order, so they should be few.
     */
    public int readRunMatching(byte[][] candidates) {
        int n = readRunLength();
        int at = pos;
        pos += n;
        for (int c = 0; c < candidates.length; c++) {
            if (Arrays.equals(buf, at, at + n, candidates[c], 0, candidates[c].length)) return c;
        }
        return -1;
    }

    /** Skips a length-prefixed byte run (a string or binary value) without reading it. */
    public void skipRun() {
        int n = readRunLength();
        pos += n;
    }

    /** Skips {@code n} bytes. */
    public void skip(int n) {
        if (n < 0 || n > remaining()) throw new CodecException("truncated input at byte " + pos);
        pos += n;
    }

    private boolean isAscii(int from, int n) {
        for (int i = from, to = from + n; i < to; i++) if (buf[i] < 0) return false;
        return true;
    }

    public int position() {
        return pos;
    }
}
