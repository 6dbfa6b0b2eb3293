package io.starling.internal.sync;

import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * Identity of a subscription: the first 16 bytes of SHA-256 over its query text and canonical arguments.
 * Equal text and arguments give equal keys on every peer. Immutable.
 */
public final class SubscriptionKey {
    private final byte[] bytes;

    private SubscriptionKey(byte[] bytes) {
        this.bytes = bytes;
    }

    public static SubscriptionKey of(String query, Value.Obj args) {
        BinaryWriter w = new BinaryWriter();
        w.writeString(query);
        ValueCodec.write(w, args);
        return new SubscriptionKey(Arrays.copyOf(sha256(w.toByteArray()), 16));
    }

    public static SubscriptionKey fromBytes(byte[] bytes) {
        if (bytes.length != 16)
            throw new IllegalArgumentException("a subscription key has 16 bytes, not " + bytes.length);
        return new SubscriptionKey(bytes.clone());
    }

    /**
     * The key a stored checkpoint records this subscription's coverage under when the subscription has a filter and its
     * collection was not announced held when the session began: rows of it may have passed unhinted, so the coverage
     * holds only while the collection is still not held (docs/SYNC-PROTOCOL.md, "Coverage of a collection not held").
     * The first 16 bytes of SHA-256 over a domain tag and this key: no subscription's key.
     */
    public SubscriptionKey unhinted() {
        byte[] tag = "starling:unhinted:".getBytes(StandardCharsets.US_ASCII);
        byte[] data = Arrays.copyOf(tag, tag.length + bytes.length);
        System.arraycopy(bytes, 0, data, tag.length, bytes.length);
        return new SubscriptionKey(Arrays.copyOf(sha256(data), 16));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SubscriptionKey k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(32);
        for (byte b : bytes) sb.append(Character.forDigit((b >> 4) & 15, 16)).append(Character.forDigit(b & 15, 16));
        return sb.toString();
    }
}
