package io.starling.internal.net;

/**
 * The transport SPI as the sync engine sees one connection: whole protocol messages out, whole messages
 * in. Stream transports (TCP) frame messages themselves (`FrameDecoder`); message transports (WebSocket,
 * in-memory, the simulator) carry them as they are.
 */
public interface MessageChannel {

    /** Sends one message. May be called from any thread; must not block for long. */
    void send(byte[] message);

    /**
     * Sends one bulk message (an attachment chunk): it keeps its order among the bulk messages, but messages sent with
     * {@link #send} afterwards may overtake it while it waits (documents first: a transport that queues holds bulk
     * messages back while document messages are being written, {@link DocumentsFirst}). May be called from any
     * thread; must not block for long. The default sends it at once.
     */
    default void sendBulk(byte[] message) {
        send(message);
    }

    /** Closes the connection; the other side sees it closed. Idempotent. */
    void close();

    /** The session on this channel identified its peer (HELLO accepted). Called on the sync thread. */
    default void established(long remotePeerId) {}

    /**
     * The connection closed before its session's handshake ran, and the remote's HELLO named {@code claimedPeerId}.
     * Unverified (no handshake checked it), but enough for a dialer to wait while it holds a session with that peer
     * instead of dialing again. Called on the sync thread, before {@link #sessionEnded}.
     */
    default void reached(long claimedPeerId) {}

    /**
     * The session on this channel ended with {@code reason} (a {@code SyncSession} close reason such as
     * {@code duplicate}, {@code denied}, {@code app}, {@code self}); {@link #close()} follows. A dialer uses it to
     * decide whether and when to dial again. Called on the sync thread.
     */
    default void sessionEnded(String reason) {}

    /** Receives what arrives on a channel. Called by the transport, one call at a time per channel. */
    interface Receiver {
        void onMessage(byte[] message);

        /** The connection is gone (closed by either side, or broken). */
        void onClosed();
    }
}
