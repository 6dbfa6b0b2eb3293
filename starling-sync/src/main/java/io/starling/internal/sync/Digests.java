package io.starling.internal.sync;

/** The state digest of HINT entries and echo suppression: the first 8 bytes of SHA-256, big-endian. */
final class Digests {
    private Digests() {}

    static long of(byte[] state) {
        byte[] h = SubscriptionKey.sha256(state);
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (h[i] & 0xff);
        return v;
    }
}
