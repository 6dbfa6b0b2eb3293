package io.starling.internal.sync;

/** Short hex renderings for toString and messages. */
final class Hex {
    private Hex() {}

    static String of(byte[] bytes) {
        int n = Math.min(bytes.length, 32);
        StringBuilder sb = new StringBuilder(n * 2 + 3);
        for (int i = 0; i < n; i++) {
            sb.append(Character.forDigit((bytes[i] >> 4) & 15, 16)).append(Character.forDigit(bytes[i] & 15, 16));
        }
        if (n < bytes.length) sb.append("...");
        return sb.toString();
    }
}
