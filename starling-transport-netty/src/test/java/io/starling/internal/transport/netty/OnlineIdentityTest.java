package io.starling.internal.transport.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.Endpoint;
import io.starling.Identity;
import io.starling.Presence;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.Sync;
import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.auth.Pem;
import io.starling.internal.auth.VerifiedIdentity;
import io.starling.internal.core.Value;
import io.starling.internal.net.ConnectionInfo;
import io.starling.internal.net.DeviceTls;
import io.starling.internal.net.MessageChannel;
import io.starling.internal.net.Network;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.net.RemoteIdentity;
import io.starling.internal.query.Permissions;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.WireCodec;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mutual TLS between peers of the online identity mode, with device certificates of an authority made here: peers of
 * one authority sync and see each other's verified user; a certificate of another authority, an expired one, and one
 * whose private key the presenter does not hold are refused in the handshake — both ways, over TCP and WebSocket — with
 * each side logging why and no session (so no document byte) ever starting.
 */
class OnlineIdentityTest extends NetworkTestBase {
    /** Nothing listens here: a peer that needed to log in could not (the stored certificate must do). */
    static final URI NO_AUTHORITY = URI.create("http://127.0.0.1:1");

    private final List<Network> fakes = new ArrayList<>();

    @AfterEach
    void closeFakes() {
        fakes.forEach(Network::close);
    }

    Authority authority(String name) {
        return Authority.init(tmp.resolve(name), Instant.now());
    }

    Path anchor(String name) {
        return tmp.resolve(name).resolve(Authority.ANCHOR_FILE);
    }

    /** A database directory holding a device key and a certificate for it, as a login leaves them. */
    Path device(String dirName, Authority authority, String userId, Map<String, Object> metadata) throws IOException {
        Path dir = tmp.resolve(dirName);
        Files.createDirectories(dir);
        KeyPair pair = DeviceCredentials.newKeyPair();
        X509Certificate cert = authority.issue(
                pair.getPublic(),
                OnlineIdentityTest.peerIdOf(dir),
                userId,
                Permissions.everything(),
                (Value.Obj) Value.fromJava(metadata),
                Duration.ofHours(1),
                Instant.now());
        writeCredentials(dir, pair.getPrivate(), cert);
        return dir;
    }

    /** The peer id a test device in {@code dir} has: fixed, so that its certificate can name it before it opens. */
    static long peerIdOf(Path dir) {
        return 0x5000_0000_0000_0000L | (dir.toAbsolutePath().toString().hashCode() & 0xffff_ffffL);
    }

    static void writeCredentials(Path dir, PrivateKey key, X509Certificate cert) throws IOException {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        Path keyFile = dir.resolve(DeviceCredentials.KEY_FILE);
        Files.writeString(keyFile, pem, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(dir.resolve(DeviceCredentials.CERTIFICATE_FILE), Pem.certificate(cert));
    }

    Starling online(Path dir, Path anchor, String scheme, Endpoint connectTo) {
        StarlingConfig.Builder b = StarlingConfig.builder()
                .appId(APP)
                .databaseDirectory(dir)
                .siteId(OnlineIdentityTest.peerIdOf(dir))
                .identity(Identity.online(NO_AUTHORITY, "dev", "unused-token", anchor));
        if (connectTo == null) b.listen(scheme + "://127.0.0.1:0");
        else b.connect(connectTo.toString());
        return open(b);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void peersOfOneAuthoritySyncAndSeeEachOthersVerifiedUser(String scheme) throws IOException {
        Authority auth = authority("auth");
        Path dirA = device("a", auth, "alice", Map.of("team", "north"));
        Path dirB = device("b", auth, "bob", Map.of());
        Starling a = online(dirA, anchor("auth"), scheme, null);
        List<Presence.ConnectionRequest> requests = new CopyOnWriteArrayList<>();
        a.presence()
                .setConnectionRequestHandler(
                        r -> {
                            requests.add(r);
                            return CompletableFuture.completedFuture(true);
                        },
                        Duration.ofSeconds(5));
        Starling b = online(dirB, anchor("auth"), scheme, endpoint(a));
        assertThat(a.sync().deviceStatus().state()).isEqualTo(Sync.DeviceState.VALID);
        assertThat(a.sync().deviceStatus().userId()).isEqualTo("alice");
        subscribe(a, "c");
        subscribe(b, "c");
        insert(a, "c", 0, 30);
        insert(b, "c", 100, 30);
        await("b has everything", () -> count(b, "c") == 60);
        await("a has everything", () -> count(a, "c") == 60);

        // the verified certificate reaches presence and the connection-request hook
        await(
                "a sees bob",
                () -> a.presence().graph().remotePeers().stream()
                        .anyMatch(p -> p.certificate() != null
                                && p.certificate().userId().equals("bob")));
        await(
                "b sees alice",
                () -> b.presence().graph().remotePeers().stream()
                        .anyMatch(p -> p.certificate() != null
                                && p.certificate().userId().equals("alice")
                                && p.certificate().metadata().equals(Map.of("team", "north"))));
        assertThat(requests).hasSize(1);
        Presence.PeerCertificate bob = requests.get(0).certificate();
        assertThat(bob).isNotNull();
        assertThat(bob.userId()).isEqualTo("bob");
        assertThat(bob.deviceKeyFingerprint()).hasSize(64);
        assertThat(bob.expiresAt()).isAfter(Instant.now());
        assertThat(bob.issuer()).contains("Starling authority");

        // a restart with the stored certificate syncs again without the authority (NO_AUTHORITY never answers)
        close(b);
        Starling b2 = online(dirB, anchor("auth"), scheme, endpoint(a));
        assertThat(b2.sync().deviceStatus().state()).isEqualTo(Sync.DeviceState.VALID);
        subscribe(b2, "c");
        insert(a, "c", 200, 5);
        await("b2 gets the new documents", () -> count(b2, "c") == 65);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void peersOfDifferentAuthoritiesRefuseEachOtherAndSayWhy(String scheme) throws IOException {
        Authority one = authority("one");
        Authority two = authority("two");
        try (LogCapture logs = new LogCapture()) {
            Starling a = online(device("a", one, "alice", Map.of()), anchor("one"), scheme, null);
            subscribe(a, "c");
            insert(a, "c", 0, 10);
            Starling b = online(device("b", two, "bob", Map.of()), anchor("two"), scheme, endpoint(a));
            subscribe(b, "c");
            // the dialler verifies the listener's certificate first (TLS 1.3: the server's comes first)
            logs.await("cannot sync with", "its certificate is refused: auth/certificate-other-authority");
            logs.await("refused a connection from", "it refused this peer's certificate");
            holds("nothing reaches b", 300, () -> count(b, "c") == 0 && peers(a) == 0 && peers(b) == 0);
        }
    }

    /** Mallory's valid certificate (it names the fake's peer id), presented by the fake host of this test. */
    FakeHost mallory(Authority auth, List<Endpoint> listen, List<Endpoint> connect) {
        KeyPair pair = DeviceCredentials.newKeyPair();
        X509Certificate cert = auth.issue(
                pair.getPublic(),
                FakeHost.PEER_ID,
                "mallory",
                Permissions.everything(),
                Value.Obj.EMPTY,
                Duration.ofHours(1),
                Instant.now());
        return new FakeHost(new DeviceTls(pair.getPrivate(), cert, auth.anchor()), listen, connect);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"tcp, dial", "ws, dial", "tcp, listen", "ws, listen"})
    void aValidCertificateWhoseHelloClaimsAnotherPeerIdIsRefusedAndSaysWhy(String scheme, String badSide)
            throws Exception {
        Authority auth = authority("auth");
        Path goodDir = device("good", auth, "bob", Map.of());
        String why = "the HELLO names peer 5000000012345678 but the certificate belongs to peer 0000000000005eed";
        try (LogCapture logs = new LogCapture()) {
            FakeHost fake;
            Starling good;
            if (badSide.equals("dial")) {
                good = online(goodDir, anchor("auth"), scheme, null);
                fake = mallory(auth, List.of(), List.of(endpoint(good)));
            } else {
                fake = mallory(auth, List.of(Endpoint.parse(scheme + "://127.0.0.1:0")), List.of());
                good = null;
            }
            fake.helloPeerId = 0x5000000012345678L; // another peer's id: the certificate names 5eed
            if (good == null) good = online(goodDir, anchor("auth"), scheme, fake.listening());
            Starling g = good;
            subscribe(g, "c");
            insert(g, "c", 0, 10);
            logs.await(badSide.equals("dial") ? "refused a connection from" : "cannot sync with", why);
            await(
                    "the fake is told why",
                    () -> fake.received.stream()
                            .anyMatch(m -> m instanceof Message.Close c
                                    && c.reason().equals("unauthenticated")
                                    && c.message().equals(why)));
            await("counted as a refused connection", () -> g.sync().metrics().connectionsRefused() > 0);
            assertThat(peers(g)).isZero();
            assertThat(g.sync().metrics().documentsSent()).isZero();
            assertThat(fake.received).noneMatch(m -> m instanceof Message.Batch || m instanceof Message.Docs);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void aDialerTheHookRefusesLearnsNothingButTheRefusal(String scheme) throws Exception {
        Authority auth = authority("auth");
        Starling good = online(device("good", auth, "bob", Map.of()), anchor("auth"), scheme, null);
        List<Presence.ConnectionRequest> requests = new CopyOnWriteArrayList<>();
        good.presence()
                .setConnectionRequestHandler(
                        r -> {
                            requests.add(r);
                            return CompletableFuture.completedFuture(false);
                        },
                        Duration.ofSeconds(5));
        subscribe(good, "c");
        insert(good, "c", 0, 10);
        FakeHost fake = mallory(auth, List.of(), List.of(endpoint(good)));
        fake.helloPeerId = FakeHost.PEER_ID; // an honest HELLO
        await("the fake is refused", () -> !fake.received.isEmpty());
        // the hook was asked with the peer id the certificate names, before anything of the protocol crossed
        assertThat(requests).isNotEmpty();
        assertThat(requests.get(0).peerId()).isEqualTo(FakeHost.PEER_ID);
        assertThat(requests.get(0).certificate().userId()).isEqualTo("mallory");
        // the refused dialer read a CLOSE and nothing else: no HELLO, so not the listener's peer id, incarnation or
        // capabilities
        assertThat(fake.received.get(0))
                .isEqualTo(new Message.Close("denied", "its connection-request handler did not allow this connection"));
        assertThat(fake.received).noneMatch(m -> m instanceof Message.Hello);
        assertThat(peers(good)).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tcp", "ws"})
    void aCertificateWithoutAPeerIdIsAcceptedWithOneWarningUntilItExpires(String scheme) throws IOException {
        Authority auth = authority("auth");
        Path dirA = device("a", auth, "alice", Map.of());
        // b's certificate was issued before certificates named peer ids
        Path dirB = tmp.resolve("b");
        Files.createDirectories(dirB);
        KeyPair pair = DeviceCredentials.newKeyPair();
        writeCredentials(
                dirB,
                pair.getPrivate(),
                auth.issueWithoutPeerId(
                        pair.getPublic(),
                        "bob",
                        Permissions.everything(),
                        Value.Obj.EMPTY,
                        Duration.ofHours(1),
                        Instant.now()));
        try (LogCapture logs = new LogCapture()) {
            Starling a = online(dirA, anchor("auth"), scheme, null);
            List<Presence.ConnectionRequest> requests = new CopyOnWriteArrayList<>();
            a.presence()
                    .setConnectionRequestHandler(
                            r -> {
                                requests.add(r);
                                return CompletableFuture.completedFuture(true);
                            },
                            Duration.ofSeconds(5));
            subscribe(a, "c");
            insert(a, "c", 0, 10);
            Starling b = online(dirB, anchor("auth"), scheme, endpoint(a));
            subscribe(b, "c");
            await("b syncs with a", () -> count(b, "c") == 10);
            // the hook is asked on b's HELLO, the certificate naming no peer id
            assertThat(requests).hasSize(1);
            assertThat(requests.get(0).peerId()).isEqualTo(b.config().siteId().getAsLong());
            logs.await("the certificate of user bob", "names no peer id", "accepted until it expires");
            close(b);
            Starling b2 = online(dirB, anchor("auth"), scheme, endpoint(a));
            subscribe(b2, "c");
            insert(a, "c", 100, 5);
            await("b syncs with a again", () -> count(b2, "c") == 15);
            assertThat(logs.lines().stream().filter(l -> l.contains("the certificate of user bob")))
                    .as("said once per device key")
                    .hasSize(1);
        }
    }

    /** What a misbehaving peer presents: a certificate it should not (expired) or whose key it does not hold. */
    enum Bad {
        EXPIRED,
        NOT_ITS_KEY
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({
        "EXPIRED, tcp, dial",
        "EXPIRED, ws, dial",
        "EXPIRED, tcp, listen",
        "NOT_ITS_KEY, tcp, dial",
        "NOT_ITS_KEY, ws, dial",
        "NOT_ITS_KEY, tcp, listen"
    })
    void aBadCertificateIsRefusedInTheHandshakeBothSidesSayWhy(Bad bad, String scheme, String badSide)
            throws Exception {
        Authority auth = authority("auth");
        Instant now = Instant.now();
        KeyPair pair = DeviceCredentials.newKeyPair();
        X509Certificate cert;
        PrivateKey presented;
        if (bad == Bad.EXPIRED) { // issued two hours ago for one hour: expired beyond the 5 minutes of skew
            cert = auth.issue(
                    pair.getPublic(),
                    FakeHost.PEER_ID,
                    "mallory",
                    Permissions.everything(),
                    Value.Obj.EMPTY,
                    Duration.ofHours(1),
                    now.minus(Duration.ofHours(2)));
            presented = pair.getPrivate();
        } else { // alice's valid certificate, presented by a peer holding another key
            cert = auth.issue(
                    pair.getPublic(),
                    FakeHost.PEER_ID,
                    "alice",
                    Permissions.everything(),
                    Value.Obj.EMPTY,
                    Duration.ofHours(1),
                    now);
            presented = DeviceCredentials.newKeyPair().getPrivate();
        }
        X509Certificate anchor = auth.anchor();
        try (LogCapture logs = new LogCapture()) {
            FakeHost fake;
            Starling good;
            if (badSide.equals("dial")) {
                good = online(device("good", auth, "bob", Map.of()), anchor("auth"), scheme, null);
                fake = new FakeHost(new DeviceTls(presented, cert, anchor), List.of(), List.of(endpoint(good)));
            } else {
                fake = new FakeHost(
                        new DeviceTls(presented, cert, anchor),
                        List.of(Endpoint.parse(scheme + "://127.0.0.1:0")),
                        List.of());
                good = online(device("good", auth, "bob", Map.of()), anchor("auth"), scheme, fake.listening());
            }
            subscribe(good, "c");
            insert(good, "c", 0, 10);
            String goodSays = bad == Bad.EXPIRED
                    ? "its certificate is refused: auth/certificate-expired: the certificate expired at"
                    : "it presents a certificate whose private key it does not hold";
            String badSays = "refused this peer's";
            if (badSide.equals("dial")) {
                logs.await("refused a connection from", goodSays);
                logs.await("cannot sync with", badSays);
            } else {
                logs.await("cannot sync with", goodSays);
                logs.await("refused a connection from", badSays);
            }
            holds("no session starts on either side", 300, () -> fake.attached.get() == 0 && peers(good) == 0);
            assertThat(good.sync().metrics().connectionsRefused()).isPositive();
            assertThat(good.sync().metrics().documentsSent()).isZero();
        }
    }

    /**
     * The real network stack with a hand-made host in place of an instance: it presents whatever it is given (an
     * expired certificate, another device's certificate) and counts the sessions it would have started.
     */
    final class FakeHost implements NetworkHost {
        static final long PEER_ID = 0x5eedL;
        final AtomicInteger attached = new AtomicInteger();
        /** The peer id its HELLO claims; 0 sends no HELLO and closes each connection at once. */
        volatile long helloPeerId;
        /** What it received on its connections, decoded. */
        final List<Message> received = new CopyOnWriteArrayList<>();

        private final DeviceTls tls;
        private final StarlingConfig config;
        private final Network network;

        FakeHost(DeviceTls tls, List<Endpoint> listen, List<Endpoint> connect) {
            this.tls = tls;
            this.config = StarlingConfig.builder()
                    .appId(APP)
                    .databaseDirectory(tmp.resolve("fake"))
                    .siteId(PEER_ID)
                    .identity(Identity.online(NO_AUTHORITY, "dev", "unused", tmp.resolve("unused.pem")))
                    .listen(listen)
                    .connect(connect)
                    .build();
            this.network = NettyNetwork.start(this, NetSettings.fromSystemProperties());
            fakes.add(network);
        }

        Endpoint listening() {
            return network.listening().get(0);
        }

        @Override
        public long peerId() {
            return PEER_ID;
        }

        @Override
        public String appId() {
            return APP;
        }

        @Override
        public int protocolVersion() {
            return SessionConfig.PROTOCOL_VERSION;
        }

        @Override
        public StarlingConfig config() {
            return config;
        }

        @Override
        public MessageChannel.Receiver attach(MessageChannel channel, ConnectionInfo info) {
            attached.incrementAndGet();
            long hello = helloPeerId;
            if (hello == 0) {
                channel.close();
            } else {
                channel.send(WireCodec.encode(new Message.Hello(
                        SessionConfig.PROTOCOL_VERSION,
                        APP,
                        hello,
                        0x1ca4L,
                        0,
                        SessionConfig.defaults().maxFrameBytes(),
                        0)));
            }
            return new MessageChannel.Receiver() {
                @Override
                public void onMessage(byte[] message) {
                    if (hello != 0) received.add(WireCodec.decode(message));
                }

                @Override
                public void onClosed() {}
            };
        }

        @Override
        public boolean isConnected(long peerId) {
            return false;
        }

        @Override
        public void recordBytes(long sent, long received) {}

        @Override
        public void recordRefused(String reason) {}

        @Override
        public DeviceTls deviceTls() {
            return tls;
        }

        @Override
        public RemoteIdentity verifyRemote(List<X509Certificate> chain) throws CertificateException {
            try {
                VerifiedIdentity id = DeviceCertificates.verify(chain, tls.trustAnchor(), Instant.now());
                X509Certificate c = chain.get(0);
                return new RemoteIdentity(
                        id.userId(),
                        id.permissions(),
                        id.metadata(),
                        c.getNotBefore().toInstant(),
                        id.expiresAt(),
                        c.getSerialNumber().toString(16),
                        c.getIssuerX500Principal().getName(),
                        id.deviceKeyFingerprint(),
                        id.peerId());
            } catch (AuthException e) {
                throw new CertificateException(e.code().id() + ": " + e.getMessage(), e);
            }
        }
    }
}
