package io.starling.internal.transport.netty;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.starling.ErrorCode;
import io.starling.StarlingException;
import io.starling.internal.net.DeviceTls;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.net.RemoteIdentity;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * TLS in the online identity mode: each peer presents its device certificate (issued by the app's authority for the
 * device's own key) and trusts only certificates the host verifies against the authority's certificate — another
 * authority's, an expired one or one with malformed claims fails the handshake in the trust manager, and one whose
 * private key the remote does not hold fails the JDK's check of the TLS 1.3 CertificateVerify signature. Either way
 * the connection closes before any sync message.
 *
 * <p>The contexts are rebuilt when the host's certificate changes (a renewal); while the host has none valid, this
 * peer neither dials nor accepts. Thread-safe.
 */
final class OnlineTls implements PeerTls {
    private final NetworkHost host;
    private volatile @Nullable Contexts contexts;

    private record Contexts(DeviceTls device, SslContext server, SslContext client) {}

    OnlineTls(NetworkHost host) {
        this.host = host;
    }

    @Override
    public @Nullable SslContext serverContext() {
        Contexts c = current();
        return c == null ? null : c.server();
    }

    @Override
    public @Nullable SslContext clientContext() {
        Contexts c = current();
        return c == null ? null : c.client();
    }

    @Override
    public String unavailable() {
        return "this peer holds no valid device certificate (it has not logged in to its authority, its certificate"
                + " expired, or the authority revoked it; see its sync status)";
    }

    private @Nullable Contexts current() {
        DeviceTls device = host.deviceTls();
        if (device == null) return null;
        Contexts c = contexts;
        if (c != null && c.device().equals(device)) return c;
        synchronized (this) {
            c = contexts;
            if (c != null && c.device().equals(device)) return c;
            c = build(device);
            contexts = c;
            return c;
        }
    }

    private Contexts build(DeviceTls device) {
        Verifier verifier = new Verifier(host, device.trustAnchor());
        try {
            SslContext server = SslContextBuilder.forServer(device.privateKey(), device.certificate())
                    .sslProvider(SslProvider.JDK)
                    .protocols(TlsIdentity.TLS_13)
                    .clientAuth(ClientAuth.REQUIRE)
                    .trustManager(verifier)
                    .build();
            SslContext client = SslContextBuilder.forClient()
                    .keyManager(device.privateKey(), device.certificate())
                    .sslProvider(SslProvider.JDK)
                    .protocols(TlsIdentity.TLS_13)
                    .trustManager(verifier)
                    .endpointIdentificationAlgorithm(null) // peers are named by certificate, not by host name
                    .build();
            return new Contexts(device, server, client);
        } catch (SSLException e) {
            throw new StarlingException(ErrorCode.NETWORK_IO, "cannot set up TLS with the device certificate: " + e, e);
        }
    }

    @Override
    public Remote authenticate(SSLSession session) throws SSLPeerUnverifiedException {
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : session.getPeerCertificates()) {
            if (!(c instanceof X509Certificate x))
                throw new SSLPeerUnverifiedException("a peer certificate is not X.509");
            chain.add(x);
        }
        try {
            RemoteIdentity identity = host.verifyRemote(chain);
            // the HELLO must claim the peer id the certificate names (0: issued before certificates named one)
            return new Remote(identity.peerId(), identity);
        } catch (CertificateException e) {
            SSLPeerUnverifiedException u = new SSLPeerUnverifiedException(String.valueOf(e.getMessage()));
            u.initCause(e);
            throw u;
        }
    }

    @Override
    public String fingerprint() {
        DeviceTls device = host.deviceTls();
        if (device == null) return "unknown (no valid device certificate)";
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(device.trustAnchor().getEncoded());
            StringBuilder hex = new StringBuilder(16);
            for (int i = 0; i < 8; i++) hex.append(String.format(java.util.Locale.ROOT, "%02x", digest[i]));
            return hex.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    @Override
    public String checkAdvice() {
        return " (check that both peers were given the same --trust authority.pem and hold valid certificates of it:"
                + " this peer trusts authority " + fingerprint()
                + "; 'starling authority init' printed the authority's)";
    }

    /**
     * Verifies a remote's chain through the host (the authority's certificate, the clock with its skew tolerance, the
     * claims). Whatever it refuses fails the handshake with the host's reason as the exception's message, which the
     * connection's log quotes.
     */
    static final class Verifier extends X509ExtendedTrustManager {
        private final NetworkHost host;
        private final X509Certificate anchor;

        Verifier(NetworkHost host, X509Certificate anchor) {
            this.host = host;
            this.anchor = anchor;
        }

        private void verify(X509Certificate[] chain) throws CertificateException {
            try {
                RemoteIdentity unused = host.verifyRemote(List.of(chain));
            } catch (CertificateException e) {
                throw new RefusedCertificate(String.valueOf(e.getMessage()), e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            verify(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            verify(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            verify(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            verify(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            verify(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            verify(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {anchor};
        }
    }

    /** A remote's certificate refused by this peer's verification; its message is the reason, fit for the log. */
    static final class RefusedCertificate extends CertificateException {
        private static final long serialVersionUID = 1L;

        RefusedCertificate(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
