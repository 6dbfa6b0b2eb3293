package io.starling.testing.sim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 over everything a run does: each scheduled event as it is processed and the bytes of every message
 * sent. Two runs of one seed must give the same hash; a different hash means something leaked in from outside
 * the seed (wall clock, thread timing, hash-order iteration of identity-hashed objects).
 */
final class TraceHash {
    private final MessageDigest digest;
    private final byte[] buffer = new byte[8];
    private long events;

    TraceHash() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    TraceHash add(long v) {
        for (int i = 7; i >= 0; i--) {
            buffer[i] = (byte) v;
            v >>>= 8;
        }
        digest.update(buffer);
        return this;
    }

    TraceHash add(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        add(b.length);
        digest.update(b);
        return this;
    }

    TraceHash add(byte[] bytes) {
        add(bytes.length);
        digest.update(bytes);
        return this;
    }

    /** Starts a record: the event kind and its virtual time. */
    TraceHash event(String kind, long time) {
        events++;
        return add(kind).add(time);
    }

    long events() {
        return events;
    }

    String hex() {
        try {
            return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
