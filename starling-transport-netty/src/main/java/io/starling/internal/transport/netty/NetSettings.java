package io.starling.internal.transport.netty;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import java.time.Duration;

/**
 * Timeouts and backoff of the network stack (values in docs/NETWORKING.md, "Limits and timeouts"). The defaults
 * suit real networks; tests shorten them through system properties {@code starling.net.<name>Millis} (for example
 * {@code starling.net.readTimeoutMillis=2000}), read once when a network starts. Those properties are a testing
 * and tuning aid, not a stable interface.
 *
 * @param handshakeTimeout a TLS handshake must finish within this
 * @param upgradeTimeout after the connection is secured, the session must be ready within this: the WebSocket upgrade
 *     done, or for a TLS client the server's first bytes read
 * @param keepAlive a keep-alive (empty frame, WebSocket ping) is sent after this long with nothing written
 * @param readTimeout a connection with nothing read for this long is closed
 * @param partialFrameTimeout a connection holding an incomplete frame for this long is closed (a trickling peer)
 * @param closeGrace how long closing the network waits for open connections to flush and close
 * @param backoffMin the first reconnect delay bound; doubles per failure
 * @param backoffMax the largest reconnect delay bound
 * @param tick how often each connection checks its timers
 */
record NetSettings(
        Duration handshakeTimeout,
        Duration upgradeTimeout,
        Duration keepAlive,
        Duration readTimeout,
        Duration partialFrameTimeout,
        Duration closeGrace,
        Duration backoffMin,
        Duration backoffMax,
        Duration tick) {

    static final String PROPERTY_PREFIX = "starling.net.";

    static NetSettings defaults() {
        return new NetSettings(
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofSeconds(10),
                Duration.ofSeconds(45),
                Duration.ofSeconds(30),
                Duration.ofSeconds(2),
                Duration.ofMillis(250),
                Duration.ofSeconds(30),
                Duration.ofSeconds(1));
    }

    /** The defaults, each overridden by its {@code starling.net.<name>Millis} system property when set. */
    static NetSettings fromSystemProperties() {
        NetSettings d = defaults();
        return new NetSettings(
                property("handshakeTimeout", d.handshakeTimeout),
                property("upgradeTimeout", d.upgradeTimeout),
                property("keepAlive", d.keepAlive),
                property("readTimeout", d.readTimeout),
                property("partialFrameTimeout", d.partialFrameTimeout),
                property("closeGrace", d.closeGrace),
                property("backoffMin", d.backoffMin),
                property("backoffMax", d.backoffMax),
                property("tick", d.tick));
    }

    private static Duration property(String name, Duration fallback) {
        String key = PROPERTY_PREFIX + name + "Millis";
        String v = System.getProperty(key);
        if (v == null || v.trim().isEmpty()) return fallback;
        try {
            long millis = Long.parseLong(v.trim());
            if (millis > 0) return Duration.ofMillis(millis);
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw new StarlingException(
                ErrorCode.CONFIG_INVALID,
                "system property " + key + " must be a positive number of milliseconds, got '" + v + "'");
    }
}
