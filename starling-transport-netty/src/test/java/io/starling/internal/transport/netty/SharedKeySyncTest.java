package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.Starling;
import io.starling.StarlingException;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.SyncSession;
import io.starling.transport.SharedKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** Mutual TLS 1.3 with a shared key: peers holding it sync, anyone else is refused before a message flows. */
class SharedKeySyncTest extends NetworkTestBase {

    Identity newKey(String name) {
        Path file = tmp.resolve(name + ".key");
        SharedKeys.generate(file);
        return Identity.sharedKey(file);
    }

    @Test
    void peersWithTheSharedKeySyncBothWays() {
        Identity key = newKey("app");
        Starling a = listener(key, "tcp");
        Starling b = peer(c -> c.identity(key).connect(endpoint(a).toString()));
        subscribe(a, "c");
        subscribe(b, "c");
        insert(a, "c", 0, 40);
        insert(b, "c", 100, 40);
        await("b has everything", () -> count(b, "c") == 80);
        await("a has everything", () -> count(a, "c") == 80);
        assertThat(a.sync().metrics().connectionsRefused()).isZero();
        assertThat(b.sync().metrics().connectionsRefused()).isZero();
        await(
                "wire bytes agree",
                () -> a.sync().metrics().bytesSent() == b.sync().metrics().bytesReceived()
                        && b.sync().metrics().bytesSent() == a.sync().metrics().bytesReceived());
    }

    @Test
    void aPeerWithAnotherKeyGetsNothingAndBothSidesCountARefusal() {
        Starling a = listener(newKey("app"), "tcp");
        subscribe(a, "c");
        insert(a, "c", 0, 20);
        Starling stranger =
                peer(c -> c.identity(newKey("other")).connect(endpoint(a).toString()));
        subscribe(stranger, "c");
        await("the listener refused", () -> a.sync().metrics().connectionsRefused() >= 2);
        await("the stranger refused", () -> stranger.sync().metrics().connectionsRefused() >= 2);
        assertThat(count(stranger, "c")).isZero();
        assertThat(peers(a)).isZero();
        assertThat(stranger.sync().metrics().documentsReceived()).isZero();
    }

    @Test
    void aPlaygroundPeerIsRefusedByASharedKeyListener() {
        Starling a = listener(newKey("app"), "tcp");
        insert(a, "c", 0, 5);
        Starling open = peer(c -> c.connect(endpoint(a).toString()));
        subscribe(open, "c");
        await("the listener refused it", () -> a.sync().metrics().connectionsRefused() >= 1);
        assertThat(count(open, "c")).isZero();
        assertThat(peers(a)).isZero();
    }

    @Test
    void aMissingOrCorruptKeyFileIsAConfigurationError() throws Exception {
        Path missing = tmp.resolve("nope.key");
        assertThatThrownBy(
                        () -> peer(c -> c.identity(Identity.sharedKey(missing)).listen("127.0.0.1:0")))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CONFIG_INVALID))
                .hasMessageContaining(missing.toString());
        Path corrupt = Files.writeString(
                tmp.resolve("corrupt.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        assertThatThrownBy(
                        () -> peer(c -> c.identity(Identity.sharedKey(corrupt)).listen("127.0.0.1:0")))
                .isInstanceOfSatisfying(
                        StarlingException.class, e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.CONFIG_INVALID))
                .hasMessageContaining(corrupt.toString());
    }

    @Test
    void aHelloThatDoesNotMatchTheCertificateIsUnauthenticated() throws Exception {
        Identity key = newKey("app");
        Starling a = listener(key, "tcp");
        KeyFile keyFile = KeyFile.load(key.keyFile());
        KeyPair pair = KeyFile.ecKeyPair();
        long certified = 0x1111_2222_3333_4444L;
        X509Certificate leaf = TlsIdentity.leafCertificate(keyFile, pair, certified, Instant.now());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("me", pair.getPrivate(), new char[0], new Certificate[] {leaf});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", keyFile.caCertificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext tls = SSLContext.getInstance("TLSv1.3");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket)
                tls.getSocketFactory().createSocket("127.0.0.1", endpoint(a).port())) {
            s.setSoTimeout(15_000);
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            s.startHandshake();
            long claimed = certified + 1;
            s.getOutputStream()
                    .write(FrameEncoder.frame(
                            new Message.Hello(SessionConfig.PROTOCOL_VERSION, APP, claimed, 7, 0, 1 << 20, 0)));
            s.getOutputStream().flush();
            byte[] received = s.getInputStream().readAllBytes();
            assertThat(RawPeer.closeReason(RawPeer.messages(received))).isEqualTo(SyncSession.UNAUTHENTICATED);
        }
        assertThat(peers(a)).isZero();
    }
}
