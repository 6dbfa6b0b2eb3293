package io.starling.internal.transport.netty;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.starling.ErrorCode;
import io.starling.StarlingException;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Locale;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * This peer's TLS identity in shared-key mode: a fresh EC P-256 key pair and a leaf certificate whose subject is
 * {@code CN=<peer id as 16 lowercase hex digits>}, signed by the app's shared CA key, plus the Netty contexts that use
 * them (JDK provider, TLS 1.3 only, mutual authentication required, the CA certificate the only trust anchor).
 *
 * <p>The leaf is valid from one hour ago (clock skew) to 30 days ahead; it is renewed (new key, new contexts) when
 * half of that has passed, so a long-running peer never presents an expired certificate. Thread-safe.
 */
final class TlsIdentity implements PeerTls {
    static final Duration LEAF_VALIDITY = Duration.ofDays(30);
    static final Duration BACKDATE = Duration.ofHours(1);
    static final String TLS_13 = "TLSv1.3";

    private final KeyFile key;
    private final long peerId;
    private final Clock clock;
    private volatile Contexts contexts;

    private record Contexts(SslContext server, SslContext client, Instant renewAt) {}

    private TlsIdentity(KeyFile key, long peerId, Clock clock) {
        this.key = key;
        this.peerId = peerId;
        this.clock = clock;
        this.contexts = newContexts();
    }

    /**
     * Loads the key file and builds this peer's certificate and contexts.
     *
     * @throws StarlingException {@code CONFIG_INVALID} naming the key file when it cannot be used
     */
    static TlsIdentity load(Path keyFile, long peerId) {
        return new TlsIdentity(KeyFile.load(keyFile), peerId, Clock.systemUTC());
    }

    /** The fingerprint of the shared key, for logs. */
    @Override
    public String fingerprint() {
        return key.fingerprint();
    }

    @Override
    public SslContext serverContext() {
        return current().server();
    }

    @Override
    public SslContext clientContext() {
        return current().client();
    }

    @Override
    public String unavailable() {
        return "never: a shared key is always at hand";
    }

    @Override
    public Remote authenticate(SSLSession session) throws SSLPeerUnverifiedException {
        return new Remote(remotePeerId(session), null);
    }

    @Override
    public String checkAdvice() {
        return " (check --shared-key on both sides: this peer's key, fingerprint " + fingerprint()
                + "; 'starling keygen --fingerprint FILE' prints the other's)";
    }

    private Contexts current() {
        Contexts c = contexts;
        if (clock.instant().isAfter(c.renewAt())) {
            synchronized (this) {
                c = contexts;
                if (clock.instant().isAfter(c.renewAt())) contexts = c = newContexts();
            }
        }
        return c;
    }

    private Contexts newContexts() {
        Instant now = clock.instant();
        try {
            KeyPair pair = KeyFile.ecKeyPair();
            X509Certificate leaf = leafCertificate(key, pair, peerId, now);
            SslContext server = SslContextBuilder.forServer(pair.getPrivate(), leaf)
                    .sslProvider(SslProvider.JDK)
                    .protocols(TLS_13)
                    .clientAuth(ClientAuth.REQUIRE)
                    .trustManager(key.caCertificate())
                    .build();
            SslContext client = SslContextBuilder.forClient()
                    .keyManager(pair.getPrivate(), leaf)
                    .sslProvider(SslProvider.JDK)
                    .protocols(TLS_13)
                    .trustManager(key.caCertificate())
                    .endpointIdentificationAlgorithm(null) // peers are named by certificate, not by host name
                    .build();
            return new Contexts(server, client, now.plus(LEAF_VALIDITY.dividedBy(2)));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new StarlingException(ErrorCode.NETWORK_IO, "cannot set up TLS with the shared key: " + e, e);
        }
    }

    /** A leaf certificate for {@code peerId}, signed by the shared CA key. */
    static X509Certificate leafCertificate(KeyFile ca, KeyPair pair, long peerId, Instant now)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        X500Name issuer = X500Name.getInstance(
                ca.caCertificate().getSubjectX500Principal().getEncoded());
        X500Name subject = new X500Name("CN=" + peerName(peerId));
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                issuer,
                KeyFile.serial(),
                Date.from(now.minus(BACKDATE)),
                Date.from(now.plus(LEAF_VALIDITY)),
                subject,
                pair.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
            KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
        }));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.caCertificate()));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
        X509CertificateHolder holder =
                b.build(new JcaContentSignerBuilder(KeyFile.SIGNATURE_ALGORITHM).build(ca.caKey()));
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    /** The certificate subject name of a peer: its id as 16 lowercase hex digits. */
    static String peerName(long peerId) {
        return String.format(Locale.ROOT, "%016x", peerId);
    }

    /**
     * The peer id bound to the remote's verified certificate (the TLS handshake has checked its chain).
     *
     * @throws SSLPeerUnverifiedException when the session has no peer certificate or its subject is not a peer id
     */
    static long remotePeerId(SSLSession session) throws SSLPeerUnverifiedException {
        Certificate[] chain = session.getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            throw new SSLPeerUnverifiedException("no X.509 peer certificate");
        }
        return peerIdFromSubject(leaf);
    }

    static long peerIdFromSubject(X509Certificate leaf) throws SSLPeerUnverifiedException {
        X500Name subject = X500Name.getInstance(leaf.getSubjectX500Principal().getEncoded());
        RDN[] cns = subject.getRDNs(BCStyle.CN);
        if (cns.length != 1) throw new SSLPeerUnverifiedException("the peer certificate has no single CN: " + subject);
        ASN1Encodable value = cns[0].getFirst().getValue();
        String cn = IETFUtils.valueToString(value);
        if (!cn.matches("[0-9a-f]{16}")) {
            throw new SSLPeerUnverifiedException("the peer certificate's CN is not a peer id: '" + cn + "'");
        }
        long id = Long.parseUnsignedLong(cn, 16);
        if (id == 0) throw new SSLPeerUnverifiedException("the peer certificate names peer 0");
        return id;
    }
}
