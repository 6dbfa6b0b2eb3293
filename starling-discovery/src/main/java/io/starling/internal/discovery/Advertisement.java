package io.starling.internal.discovery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What one peer publishes in the TXT record of its {@code _starling._tcp} service (docs/DISCOVERY.md):
 * {@code app} = the first 16 hex digits of SHA-256 of the app id (the app id itself never leaves the
 * process), {@code peer} = the peer id as 16 hex digits, {@code proto} = the protocol version in decimal.
 * Immutable.
 */
record Advertisement(String appHash, long peerId, int protocolVersion) {
    static final String SERVICE_TYPE = "_starling._tcp.local.";
    static final String KEY_APP = "app", KEY_PEER = "peer", KEY_PROTO = "proto";
    private static final HexFormat HEX = HexFormat.of();

    /** The advertisement of {@code options}. */
    static Advertisement of(LanDiscovery.Options options) {
        return new Advertisement(appHash(options.appId()), options.peerId(), options.protocolVersion());
    }

    /** First 16 lowercase hex digits of SHA-256 over the UTF-8 app id. */
    static String appHash(String appId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(appId.getBytes(StandardCharsets.UTF_8));
            return HEX.formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    static String peerHex(long peerId) {
        return HEX.toHexDigits(peerId);
    }

    /** The DNS-SD instance name, {@code starling-<peer id in 16 hex digits>}. */
    String instanceName() {
        return "starling-" + peerHex(peerId);
    }

    Map<String, String> txt() {
        return Map.of(KEY_APP, appHash, KEY_PEER, peerHex(peerId), KEY_PROTO, Integer.toString(protocolVersion));
    }

    /**
     * Reads an advertisement from TXT properties ({@code property} returns null for an absent key).
     *
     * @throws IllegalArgumentException naming the key and the value when a property is missing or malformed
     */
    static Advertisement parse(Function<String, String> property) {
        String app = required(property, KEY_APP);
        if (!isHex16(app)) throw new IllegalArgumentException("TXT app=" + app + " is not 16 hex digits");
        String peer = required(property, KEY_PEER);
        if (!isHex16(peer)) throw new IllegalArgumentException("TXT peer=" + peer + " is not 16 hex digits");
        String proto = required(property, KEY_PROTO);
        if (proto.isEmpty() || proto.length() > 9 || !proto.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("TXT proto=" + proto + " is not a decimal number");
        }
        return new Advertisement(
                app.toLowerCase(Locale.ROOT), Long.parseUnsignedLong(peer, 16), Integer.parseInt(proto));
    }

    private static String required(Function<String, String> property, String key) {
        String v = property.apply(key);
        if (v == null) throw new IllegalArgumentException("TXT record has no " + key);
        return v;
    }

    private static boolean isHex16(String s) {
        if (s.length() != 16) return false;
        // ASCII only: Character.digit would also accept other scripts' digits
        return s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
    }
}
