package io.starling.internal.transport.netty;

import io.netty.handler.ssl.SslContext;
import io.starling.internal.net.RemoteIdentity;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.jspecify.annotations.Nullable;

/**
 * The TLS side of an identity mode: the contexts connections are secured with, and who a finished handshake
 * authenticated. {@link TlsIdentity} for the shared-key mode, {@link OnlineTls} for the online mode. Thread-safe.
 */
interface PeerTls {

    /** What a remote authenticated by TLS is: its peer id (0 when the certificate does not bind one) and identity. */
    record Remote(long peerId, @Nullable RemoteIdentity identity) {}

    /** The context for an incoming connection, or null when this peer cannot present a certificate now. */
    @Nullable
    SslContext serverContext();

    /** The context for an outgoing connection, or null when this peer cannot present a certificate now. */
    @Nullable
    SslContext clientContext();

    /** Why {@link #serverContext()} / {@link #clientContext()} answer null, for the log. */
    String unavailable();

    /** What a remote proved in a completed handshake. */
    Remote authenticate(SSLSession session) throws SSLPeerUnverifiedException;

    /** The fingerprint of the trust anchor (the shared key's CA or the authority), for logs and refusals. */
    String fingerprint();

    /**
     * Where to look when the other side refused this peer's certificate or the chains differ: which option to check on
     * both sides, with this peer's fingerprint.
     */
    String checkAdvice();
}
