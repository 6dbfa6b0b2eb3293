package io.starling.internal.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature of a webhook request: header {@code starling-signature: t=<unix seconds>,v1=<hex>} where the hex is
 * HMAC-SHA256 keyed with the webhook's secret over {@code "<t>.<body>"} (the exact bytes of the request body). A
 * webhook recomputes it and compares in constant time, and refuses a {@code t} too far from its own clock, so that
 * a recorded request cannot be replayed later. Stateless.
 */
public final class WebhookSignature {
    /** The header's name. */
    public static final String HEADER = "starling-signature";

    private WebhookSignature() {}

    /** The header's value for a request sent at {@code unixSeconds}. */
    public static String header(byte[] secret, long unixSeconds, byte[] body) {
        return "t=" + unixSeconds + ",v1=" + HexFormat.of().formatHex(mac(secret, unixSeconds, body));
    }

    /**
     * Whether {@code header} signs {@code body} with {@code secret} at a time within {@code tolerance} of {@code
     * nowUnixSeconds}. A malformed header is not a valid one.
     */
    public static boolean verify(byte[] secret, String header, byte[] body, long nowUnixSeconds, Duration tolerance) {
        long t = -1;
        byte[] given = null;
        for (String part : header.split(",", 8)) {
            String p = part.strip();
            if (p.startsWith("t=")) {
                try {
                    t = Long.parseLong(p.substring(2));
                } catch (NumberFormatException e) {
                    return false;
                }
            } else if (p.startsWith("v1=") && given == null) {
                try {
                    given = HexFormat.of().parseHex(p.substring(3));
                } catch (IllegalArgumentException e) {
                    return false;
                }
            }
        }
        if (t < 0 || given == null) return false;
        if (Math.abs(nowUnixSeconds - t) > tolerance.toSeconds()) return false;
        return MessageDigest.isEqual(given, mac(secret, t, body));
    }

    private static byte[] mac(byte[] secret, long unixSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            mac.update(body);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "HMAC-SHA256 is not available", e);
        }
    }
}
