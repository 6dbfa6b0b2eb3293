package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceCertificatesTest {
    static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    static final long PEER = 0x2f1c9a0d54e1b6a7L;
    static final Permissions OWN_TASKS = Permissions.parse(AuthJson.parse(
            "{\"read\": {\"everything\": false, \"queriesByCollection\": {\"tasks\": [\"owner = :userId\"]}},"
                    + " \"write\": {\"queriesByCollection\": {\"tasks\": [\"owner = :userId\"]}}}"));

    @TempDir
    Path dir;

    Authority authority;
    KeyPair device;

    @BeforeEach
    void setUp() throws Exception {
        authority = Authority.init(dir.resolve("a"), NOW.minus(Duration.ofDays(1)));
        device = p256();
    }

    static KeyPair p256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    X509Certificate issue(Duration validity) {
        Value.Obj meta = (Value.Obj) Value.fromJava(Map.of("team", "north", "level", 3L));
        return authority.issue(device.getPublic(), PEER, "alice", OWN_TASKS, meta, validity, NOW);
    }

    @Test
    void anIssuedCertificateVerifiesAndCarriesItsClaims() {
        X509Certificate cert = issue(Duration.ofHours(1));
        VerifiedIdentity id = DeviceCertificates.verify(cert, authority.anchor(), NOW.plusSeconds(60));
        assertThat(id.userId()).isEqualTo("alice");
        assertThat(id.permissions()).isEqualTo(OWN_TASKS);
        assertThat(id.metadata().get("team")).isEqualTo(Value.of("north"));
        assertThat(id.metadata().get("level")).isEqualTo(Value.of(3L));
        assertThat(id.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
        assertThat(id.deviceKeyFingerprint())
                .isEqualTo(Pem.fingerprint(device.getPublic()))
                .hasSize(64);
        assertThat(cert.getPublicKey()).isEqualTo(device.getPublic());
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);

        // through PEM, and as TLS sends it (with the anchor after it)
        List<X509Certificate> chain = Pem.certificates(Pem.certificate(cert) + Pem.certificate(authority.anchor()));
        assertThat(DeviceCertificates.verify(chain, authority.anchor(), NOW)).isEqualTo(id);
    }

    @Test
    void aCertificateOfAnotherAuthorityIsRefused() {
        Authority other = Authority.init(dir.resolve("other"), NOW);
        X509Certificate cert =
                other.issue(device.getPublic(), PEER, "alice", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW);
        assertRefused(
                () -> DeviceCertificates.verify(cert, authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_OTHER_AUTHORITY,
                "was issued by another authority");
        assertRefused(
                () -> DeviceCertificates.verify(
                        List.of(issue(Duration.ofHours(1)), other.anchor()), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_OTHER_AUTHORITY,
                "other than the trust anchor");
    }

    @Test
    void validityIsCheckedWithFiveMinutesOfSkewEitherWay() {
        X509Certificate cert = issue(Duration.ofHours(1));
        Instant end = NOW.plus(Duration.ofHours(1));
        DeviceCertificates.verify(cert, authority.anchor(), end.plus(Duration.ofMinutes(5)));
        DeviceCertificates.verify(cert, authority.anchor(), NOW.minus(Duration.ofMinutes(5)));
        assertRefused(
                () -> DeviceCertificates.verify(
                        cert, authority.anchor(), end.plus(Duration.ofMinutes(5).plusSeconds(1))),
                AuthException.Code.CERTIFICATE_EXPIRED,
                "expired at 2026-12-05T11:00:00Z");
        assertRefused(
                () -> DeviceCertificates.verify(
                        cert,
                        authority.anchor(),
                        NOW.minus(Duration.ofMinutes(5).plusSeconds(1))),
                AuthException.Code.CERTIFICATE_NOT_YET_VALID,
                "not valid until 2026-12-05T10:00:00Z");
    }

    @Test
    void malformedCertificatesAreRefusedWithTheReason() throws Exception {
        assertRefused(
                () -> DeviceCertificates.verify(authority.anchor(), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "the trust anchor itself");
        assertRefused(
                () -> DeviceCertificates.verify(forged(null, false), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "carries no Starling claims");
        assertRefused(
                () -> DeviceCertificates.verify(forged(new DERUTF8String("{"), false), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "claims are malformed: is not valid JSON");
        String badPermissions =
                "{\"v\":1,\"userId\":\"bob\",\"permissions\":{\"read\":{\"everything\":1}},\"metadata\":{}}";
        assertRefused(
                () -> DeviceCertificates.verify(
                        forged(new DERUTF8String(badPermissions), false), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "claims.permissions.read.everything: must be true or false");
        String longUser = "{\"v\":1,\"userId\":\"" + "u".repeat(257) + "\",\"permissions\":{},\"metadata\":{}}";
        assertRefused(
                () -> DeviceCertificates.verify(forged(new DERUTF8String(longUser), false), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "userId is longer than 256 bytes");
        String deep = "{\"v\":1,\"userId\":\"bob\",\"permissions\":{},\"metadata\":" + "{\"a\":".repeat(9) + "1"
                + "}".repeat(9) + "}";
        assertRefused(
                () -> DeviceCertificates.verify(forged(new DERUTF8String(deep), false), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "nested more than 8 levels");
        String v2 = "{\"v\":2,\"userId\":\"bob\",\"permissions\":{},\"metadata\":{}}";
        assertRefused(
                () -> DeviceCertificates.verify(forged(new DERUTF8String(v2), false), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "not version 1");
        String ok = "{\"v\":1,\"userId\":\"bob\",\"permissions\":{},\"metadata\":{}}";
        assertThat(DeviceCertificates.verify(forged(new DERUTF8String(ok), false), authority.anchor(), NOW)
                        .userId())
                .isEqualTo("bob");
        assertRefused(
                () -> DeviceCertificates.verify(forged(new DERUTF8String(ok), true), authority.anchor(), NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "is a CA certificate");
    }

    @Test
    void theCertificateNamesThePeerIdAsASubjectAlternativeNameUri() throws Exception {
        X509Certificate cert = issue(Duration.ofHours(1));
        assertThat(cert.getSubjectAlternativeNames()).containsExactly(List.of(6, "starling:peer:2f1c9a0d54e1b6a7"));
        assertThat(DeviceCertificates.verify(cert, authority.anchor(), NOW).peerId())
                .isEqualTo(PEER);
        // every 64-bit id but 0 goes in and comes back out, the sign bit included
        for (long id : new long[] {1, -1, Long.MIN_VALUE, Long.MAX_VALUE, PEER}) {
            X509Certificate c = authority.issue(
                    device.getPublic(), id, "alice", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW);
            assertThat(DeviceCertificates.verify(c, authority.anchor(), NOW).peerId())
                    .isEqualTo(id);
            assertThat(DeviceCertificates.parsePeerId(DeviceCertificates.peerIdText(id)))
                    .isEqualTo(id);
        }
        // no certificate for peer id 0, which is no peer's
        assertThatThrownBy(() -> authority.issue(
                        device.getPublic(), 0, "alice", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("peer id 0 is not a peer's id");
        // one issued before certificates named peer ids verifies, naming none
        X509Certificate old = authority.issueWithoutPeerId(
                device.getPublic(), "alice", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW);
        assertThat(old.getSubjectAlternativeNames()).isNull();
        VerifiedIdentity id = DeviceCertificates.verify(old, authority.anchor(), NOW);
        assertThat(id.peerId()).isZero();
        assertThat(id.userId()).isEqualTo("alice");
    }

    @Test
    void peerIdsAreParsedStrictly() {
        assertThat(DeviceCertificates.parsePeerId("00000000000000ff")).isEqualTo(255);
        assertThat(DeviceCertificates.parsePeerId("ffffffffffffffff")).isEqualTo(-1);
        assertThatThrownBy(() -> DeviceCertificates.parsePeerId("2F1C9A0D54E1B6A7"))
                .hasMessage("a peer id is 16 lowercase hex digits; \"2F1C9A0D54E1B6A7\" has another character at"
                        + " position 2");
        assertThatThrownBy(() -> DeviceCertificates.parsePeerId("ff"))
                .hasMessage("a peer id is 16 lowercase hex digits; \"ff\" has 2 characters");
        assertThatThrownBy(() -> DeviceCertificates.parsePeerId("+fffffffffffffff"))
                .hasMessageContaining("another character at position 1");
        assertThatThrownBy(() -> DeviceCertificates.parsePeerId("0000000000000000"))
                .hasMessage("peer id 0000000000000000 is not a peer's id");
        assertThatThrownBy(() -> DeviceCertificates.parsePeerId("x".repeat(100)))
                .hasMessage("a peer id is 16 lowercase hex digits; the text has 100 characters");
        assertThatThrownBy(() -> DeviceCertificates.parsePeerId("00000000000000\n1"))
                .hasMessage("a peer id is 16 lowercase hex digits; the text has another character at position 15");
    }

    @Test
    void aMalformedOrDoublePeerIdIsRefusedOnUse() throws Exception {
        String ok = "{\"v\":1,\"userId\":\"bob\",\"permissions\":{},\"metadata\":{}}";
        for (String bad : new String[] {
            "starling:peer:2F1C9A0D54E1B6A7",
            "starling:peer:2f1c",
            "starling:peer:0000000000000000",
            "starling:peer:2f1c9a0d54e1b6a70",
            "starling:peer:"
        }) {
            assertRefused(
                    () -> DeviceCertificates.verify(
                            forged(new DERUTF8String(ok), false, uri(bad)), authority.anchor(), NOW),
                    AuthException.Code.CERTIFICATE_MALFORMED,
                    "the certificate's peer id is malformed: ");
        }
        assertRefused(
                () -> DeviceCertificates.verify(
                        forged(
                                new DERUTF8String(ok),
                                false,
                                uri("starling:peer:2f1c9a0d54e1b6a7"),
                                uri("starling:peer:00000000000000aa")),
                        authority.anchor(),
                        NOW),
                AuthException.Code.CERTIFICATE_MALFORMED,
                "the certificate names more than one peer id");
        // other names are not the peer id's business
        X509Certificate others = forged(
                new DERUTF8String(ok),
                false,
                new GeneralName(GeneralName.dNSName, "peer.example.com"),
                uri("https://example.com/starling:peer:00000000000000aa"),
                uri("starling:peer:2f1c9a0d54e1b6a7"));
        assertThat(DeviceCertificates.verify(others, authority.anchor(), NOW).peerId())
                .isEqualTo(PEER);
    }

    static GeneralName uri(String uri) {
        return new GeneralName(GeneralName.uniformResourceIdentifier, uri);
    }

    @Test
    void issueRefusesWhatAPeerCouldNotReadBack() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        PublicKey rsaKey = rsa.generateKeyPair().getPublic();
        assertThatThrownBy(
                        () -> authority.issue(rsaKey, PEER, "a", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW))
                .hasMessageContaining("expected an EC P-256 key");
        KeyPairGenerator p384 = KeyPairGenerator.getInstance("EC");
        p384.initialize(new ECGenParameterSpec("secp384r1"));
        PublicKey p384Key = p384.generateKeyPair().getPublic();
        assertThatThrownBy(
                        () -> authority.issue(p384Key, PEER, "a", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW))
                .hasMessageContaining("expected P-256");
        assertThatThrownBy(() -> issue(Duration.ofDays(367)))
                .hasMessageContaining("is not between 1 second and 366 days");
        assertThatThrownBy(() -> issue(Duration.ZERO)).hasMessageContaining("is not between");
        Value.Obj big = (Value.Obj) Value.fromJava(Map.of("blob", "x".repeat(5000)));
        assertThatThrownBy(
                        () -> authority.issue(device.getPublic(), PEER, "a", OWN_TASKS, big, Duration.ofHours(1), NOW))
                .hasMessageContaining("metadata is 50")
                .hasMessageContaining("the limit is 4096");
        assertThatThrownBy(() -> authority.issue(
                        device.getPublic(), PEER, "a\nb", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW))
                .hasMessageContaining("userId contains a control character");
        assertThatThrownBy(() -> authority.issue(
                        device.getPublic(), PEER, "", OWN_TASKS, Value.Obj.EMPTY, Duration.ofHours(1), NOW))
                .hasMessageContaining("userId is empty");
    }

    @Test
    void devicePublicKeysAreReadFromPemOrBase64() throws Exception {
        PublicKey k = device.getPublic();
        assertThat(Pem.devicePublicKey(Pem.publicKey(k))).isEqualTo(k);
        assertThat(Pem.devicePublicKey(java.util.Base64.getEncoder().encodeToString(k.getEncoded())))
                .isEqualTo(k);
        assertThatThrownBy(() -> Pem.devicePublicKey("!!!")).hasMessageContaining("neither PEM nor base64");
        assertThatThrownBy(() -> Pem.devicePublicKey("AAAA")).hasMessageContaining("is not a DER SubjectPublicKeyInfo");
        assertThatThrownBy(() -> Pem.devicePublicKey(Pem.certificate(authority.anchor())))
                .hasMessageContaining("not a PUBLIC KEY block");
        assertThatThrownBy(() -> Pem.devicePublicKey("A".repeat(5000))).hasMessageContaining("at most 4096");
    }

    /** A certificate signed by the authority's key with the given claims extension (or none). */
    X509Certificate forged(@Nullable ASN1Encodable claims, boolean ca, GeneralName... names) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                authority.anchor(),
                BigInteger.TEN,
                Date.from(NOW.minusSeconds(60)),
                Date.from(NOW.plusSeconds(3600)),
                new X500Name("CN=forged"),
                device.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (claims != null) b.addExtension(DeviceCertificates.CLAIMS_OID, false, claims);
        if (names.length > 0) b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        return new JcaX509CertificateConverter()
                .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(authority.key())));
    }

    static void assertRefused(
            org.assertj.core.api.ThrowableAssert.ThrowingCallable call, AuthException.Code code, String message) {
        assertThatThrownBy(call)
                .isInstanceOf(AuthException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((AuthException) e).code()).isEqualTo(code));
    }
}
