package io.starling.internal.transport.netty;

/**
 * Pipeline events that are not protocol messages. Inbound, {@link #KEEP_ALIVE} means the peer showed it is alive
 * (an empty frame, a WebSocket pong); outbound, it asks the codec to send a keep-alive (an empty frame, a WebSocket
 * ping). Protocol messages travel through the pipeline as {@code byte[]}.
 */
enum Signal {
    KEEP_ALIVE
}
