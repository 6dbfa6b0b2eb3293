package io.starling.internal.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the primitive encodings of Starling's binary formats. Not thread-safe. */
public final class BinaryWriter {
    private byte[] buf;
    private int len;

    public BinaryWriter() {
        this(64);
    }

    public BinaryWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int extra) {
        if (len + extra > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + extra));
    }

    public BinaryWriter writeByte(int b) {
        ensure(1);
        buf[len++] = (byte) b;
        return this;
    }

    /** Unsigned LEB128. */
    public BinaryWriter writeVarLong(long v) {
        ensure(10);
        while ((v & ~0x7fL) != 0) {
            buf[len++] = (byte) ((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
        return this;
    }

    public BinaryWriter writeVarInt(int v) {
        if (v < 0) throw new IllegalArgumentException("negative length " + v);
        return writeVarLong(v);
    }

    /** Zig-zag then LEB128, so that small negative numbers stay small. */
    public BinaryWriter writeSignedVarLong(long v) {
        return writeVarLong((v << 1) ^ (v >> 63));
    }

    public BinaryWriter writeFixedLong(long v) {
        ensure(8);
        for (int i = 7; i >= 0; i--) buf[len++] = (byte) (v >>> (i * 8));
        return this;
    }

    public BinaryWriter writeBytes(byte[] b) {
        writeVarInt(b.length);
        return writeRaw(b);
    }

    public BinaryWriter writeRaw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
        return this;
    }

    /**
     * A UTF-8 string with its length. A string that is not valid Unicode (a lone surrogate) is refused
     * rather than silently altered: the engine rejects such values before they get here.
     */
    public BinaryWriter writeString(String s) {
        int n = s.length();
        if (n < 128) { // short ASCII, the common case: no intermediate array
            ensure(n + 1);
            int start = len;
            buf[len++] = (byte) n;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    len = start;
                    return writeBytes(utf8(s));
                }
                buf[len++] = (byte) c;
            }
            return this;
        }
        return writeBytes(utf8(s));
    }

    /**
     * {@link #writeString} for a string of fewer than 128 ASCII characters (its length is one byte): true; false, with
     * nothing written, for any other string.
     */
    public boolean writeAscii(String s) {
        int n = s.length();
        if (n >= 128) return false;
        ensure(n + 1);
        int start = len;
        buf[len++] = (byte) n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                len = start;
                return false;
            }
            buf[len++] = (byte) c;
        }
        return true;
    }

    /** {@code n} zero bytes (room for something written later into {@link #array}). */
    public BinaryWriter writeZeros(int n) {
        ensure(n);
        len += n; // a grown buffer is zeroed too
        return this;
    }

    /**
     * The writer's own buffer, not a copy: its first {@link #size} bytes are what was written. For a caller that keeps
     * the bytes and stops writing (no copy of them); the writer must not be used afterwards.
     */
    public byte[] array() {
        return buf;
    }

    private static byte[] utf8(String s) {
        try {
            java.nio.ByteBuffer b = StandardCharsets.UTF_8
                    .newEncoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (a lone surrogate)", e);
        }
    }

    public int size() {
        return len;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }
}
