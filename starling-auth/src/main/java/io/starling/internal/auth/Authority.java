package io.starling.internal.auth;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The app's authority: the private key that signs device certificates and the self-signed CA certificate every peer
 * of the app is given as its trust anchor. {@link #init} makes them in a directory ({@code authority.key}, PKCS#8
 * PEM, mode 600; {@code authority.pem}, the anchor), {@link #load} reads them back, {@link #issue} signs a device
 * certificate (docs/AUTH.md gives its format). Immutable and thread-safe.
 *
 * <p>The key is EC P-256 (ECDSA with SHA-256), not Ed25519: device certificates are used for TLS between peers,
 * and P-256 is the signature scheme that every TLS 1.3 stack the library runs on supports in certificates (the
 * JDK's, Android's Conscrypt), that hardware key stores (Android Keystore, Secure Enclave) can hold device keys
 * in, and that JWT's ES256 shares; the shared-key mode's CA is P-256 for the same reasons.
 */
public final class Authority {
    /** The private key's file name in an authority directory. */
    public static final String KEY_FILE = "authority.key";
    /** The trust anchor's file name in an authority directory. */
    public static final String ANCHOR_FILE = "authority.pem";

    static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    static final Duration ANCHOR_VALIDITY = Duration.ofDays(365L * 100);
    /** The longest a device certificate may be valid: a device renews well before. */
    public static final Duration MAX_VALIDITY = Duration.ofDays(366);

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final PrivateKey key;
    private final X509Certificate anchor;
    private final String fingerprint;

    private Authority(PrivateKey key, X509Certificate anchor) {
        this.key = key;
        this.anchor = anchor;
        this.fingerprint = fingerprintOf(anchor);
    }

    /** The trust anchor: the self-signed CA certificate that every peer of the app is given. */
    public X509Certificate anchor() {
        return anchor;
    }

    /** The signing key; tests build malformed certificates with it. */
    PrivateKey key() {
        return key;
    }

    /** SHA-256 of the anchor (DER), 64 lowercase hex digits: tells two authorities apart in logs and messages. */
    public String fingerprint() {
        return fingerprint;
    }

    static String fingerprintOf(X509Certificate cert) {
        try {
            return Pem.sha256(cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot encode a certificate: " + e, e);
        }
    }

    /**
     * Makes a new authority in {@code dir} (created if missing): {@code authority.key} (mode 600 where the file system
     * is POSIX) and {@code authority.pem}.
     *
     * @throws AuthException {@code CONFIG_INVALID} when either file exists already (nothing is overwritten) or the
     *     directory cannot be written
     */
    public static Authority init(Path dir, Instant now) {
        Path keyFile = dir.resolve(KEY_FILE);
        Path anchorFile = dir.resolve(ANCHOR_FILE);
        for (Path f : List.of(keyFile, anchorFile)) {
            if (Files.exists(f)) {
                throw config(f + " already exists; refusing to overwrite an authority (its devices would all be"
                        + " cut off). Choose another directory, or remove the old one on purpose.");
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw config("cannot create the authority directory " + dir + ": " + e.getMessage(), e);
        }
        Authority a = generate(now);
        writeNew(keyFile, Pem.write("PRIVATE KEY", a.key.getEncoded()), true);
        try {
            writeNew(anchorFile, Pem.certificate(a.anchor), false);
        } catch (AuthException e) {
            deleteQuietly(keyFile);
            throw e;
        }
        return a;
    }

    /**
     * Reads the authority of {@code dir}.
     *
     * @throws AuthException {@code CONFIG_INVALID} naming the file: missing, readable by others than its owner,
     *     corrupt, not an EC P-256 key, or a key that does not match the anchor
     */
    public static Authority load(Path dir) {
        Path keyFile = dir.resolve(KEY_FILE);
        Path anchorFile = dir.resolve(ANCHOR_FILE);
        if (!Files.isDirectory(dir)) {
            throw config("authority directory " + dir + " does not exist (create one with 'starling authority init "
                    + dir + "')");
        }
        checkPrivate(keyFile);
        PrivateKey key = readKey(keyFile);
        X509Certificate anchor = readAnchor(anchorFile);
        if (!matches(key, anchor.getPublicKey())) {
            throw config(keyFile + " does not match " + anchorFile + ": they come from different authorities");
        }
        return new Authority(key, anchor);
    }

    /**
     * Reads a trust anchor ({@code authority.pem}), as a peer given {@code --trust FILE} does.
     *
     * @throws AuthException {@code CONFIG_INVALID} naming the file when it is missing, corrupt or not a CA
     */
    public static X509Certificate readAnchor(Path anchorFile) {
        String text = readText(anchorFile, 256 * 1024);
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(text);
        } catch (IllegalArgumentException e) {
            throw config(anchorFile + " " + e.getMessage(), e);
        }
        if (certs.size() != 1) {
            throw config(anchorFile + " holds " + certs.size() + " certificates; a trust anchor is exactly one");
        }
        X509Certificate anchor = certs.get(0);
        if (anchor.getBasicConstraints() < 0) {
            throw config(anchorFile + " is not a CA certificate, so it cannot be a trust anchor");
        }
        if (!"EC".equals(anchor.getPublicKey().getAlgorithm())) {
            throw config(anchorFile + " holds a " + anchor.getPublicKey().getAlgorithm()
                    + " key; a Starling authority is EC P-256");
        }
        return anchor;
    }

    /**
     * Signs a device certificate: the device's own public key bound to the peer id of its store ({@code peerId}, as a
     * subject alternative name URI, {@link DeviceCertificates#PEER_URI_PREFIX}), {@code userId}, {@code permissions}
     * (their canonical JSON) and {@code metadata}, valid from {@code now} (to the second) for {@code validity}.
     *
     * @throws IllegalArgumentException when the peer id is 0, the key is not EC P-256, the validity is not between
     *     one second and {@link #MAX_VALIDITY}, or the claims break a limit (so that no certificate is issued that a
     *     peer would refuse to read back)
     */
    public X509Certificate issue(
            PublicKey devicePublicKey,
            long peerId,
            String userId,
            Permissions permissions,
            Value.Obj metadata,
            Duration validity,
            Instant now) {
        DeviceCertificates.peerIdText(peerId); // refuses 0
        return sign(devicePublicKey, peerId, userId, permissions, metadata, validity, now);
    }

    /**
     * A certificate as authorities issued them before certificates named a peer id: for tests of what peers do with
     * such certificates while they are still valid (docs/AUTH.md, "Certificates without a peer id"). Never used to
     * answer a login.
     */
    public X509Certificate issueWithoutPeerId(
            PublicKey devicePublicKey,
            String userId,
            Permissions permissions,
            Value.Obj metadata,
            Duration validity,
            Instant now) {
        return sign(devicePublicKey, 0, userId, permissions, metadata, validity, now);
    }

    private X509Certificate sign(
            PublicKey devicePublicKey,
            long peerId,
            String userId,
            Permissions permissions,
            Value.Obj metadata,
            Duration validity,
            Instant now) {
        PublicKey device = Pem.p256(devicePublicKey.getEncoded());
        if (validity.compareTo(Duration.ofSeconds(1)) < 0 || validity.compareTo(MAX_VALIDITY) > 0) {
            throw new IllegalArgumentException(
                    "validity " + validity + " is not between 1 second and " + MAX_VALIDITY.toDays() + " days");
        }
        byte[] claims = new Claims(userId, permissions, metadata).toJson();
        Instant from = now.truncatedTo(ChronoUnit.SECONDS);
        String deviceFingerprint = Pem.fingerprint(device);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, "Starling device")
                .addRDN(BCStyle.CN, deviceFingerprint)
                .build();
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    anchor, serial(), Date.from(from), Date.from(from.plus(validity)), subject, device);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
                KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth
            }));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(device));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(anchor));
            if (peerId != 0) {
                // non-critical: the subject is not empty (RFC 5280 4.2.1.6)
                b.addExtension(
                        Extension.subjectAlternativeName,
                        false,
                        new GeneralNames(new GeneralName(
                                GeneralName.uniformResourceIdentifier,
                                DeviceCertificates.PEER_URI_PREFIX + DeviceCertificates.peerIdText(peerId))));
            }
            b.addExtension(
                    DeviceCertificates.CLAIMS_OID,
                    false,
                    new DERUTF8String(new String(claims, StandardCharsets.UTF_8)));
            X509CertificateHolder holder = b.build(new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(key));
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot sign a device certificate: " + e, e);
        }
    }

    private static Authority generate(Instant now) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair pair = g.generateKeyPair();
            Instant from = now.truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(1));
            X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                    .addRDN(BCStyle.O, "Starling")
                    .addRDN(BCStyle.CN, "Starling authority " + Long.toHexString(serial().longValue()))
                    .build();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    subject,
                    serial(),
                    Date.from(from),
                    Date.from(from.plus(ANCHOR_VALIDITY)),
                    subject,
                    pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509CertificateHolder holder =
                    b.build(new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(pair.getPrivate()));
            return new Authority(pair.getPrivate(), new JcaX509CertificateConverter().getCertificate(holder));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot generate an authority key: " + e, e);
        }
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    private static void checkPrivate(Path keyFile) {
        if (!Files.exists(keyFile)) {
            throw config(keyFile + " does not exist (an authority directory holds " + KEY_FILE + " and " + ANCHOR_FILE
                    + ", made by 'starling authority init DIR')");
        }
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(keyFile);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw config("cannot read the permissions of " + keyFile + ": " + e.getMessage(), e);
        }
        Set<PosixFilePermission> others = EnumSet.copyOf(mode);
        others.removeAll(EnumSet.of(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE));
        if (!others.isEmpty()) {
            throw config(keyFile + " is open to others (mode " + PosixFilePermissions.toString(mode)
                    + "); the authority key must be readable by its owner only: chmod 600 " + keyFile);
        }
    }

    private static PrivateKey readKey(Path keyFile) {
        String text = readText(keyFile, 64 * 1024);
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o = parser.readObject();
            if (!(o instanceof PrivateKeyInfo info)) {
                throw config(keyFile + " holds no PKCS#8 PRIVATE KEY block");
            }
            PrivateKey key = new JcaPEMKeyConverter().getPrivateKey(info);
            if (!(key instanceof ECPrivateKey ec)
                    || ec.getParams().getCurve().getField().getFieldSize() != 256) {
                throw config(keyFile + " holds a " + key.getAlgorithm() + " key; an authority key is EC P-256");
            }
            return key;
        } catch (IOException | RuntimeException e) {
            if (e instanceof AuthException a) throw a;
            // no cause: a parser's message may quote key material
            throw config(keyFile + " is corrupt: not a PEM private key");
        }
    }

    private static String readText(Path file, int maxBytes) {
        try {
            if (Files.size(file) > maxBytes) throw config(file + " is larger than " + maxBytes + " bytes");
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw config(file + " does not exist", e);
        } catch (IOException e) {
            throw config("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean matches(PrivateKey key, PublicKey pub) {
        try {
            byte[] probe = "starling authority check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
            verifier.initVerify(pub);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void writeNew(Path file, String text, boolean secret) {
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = file.toAbsolutePath()
                .getFileSystem()
                .supportedFileAttributeViews()
                .contains("posix");
        FileAttribute<?>[] attrs = secret && posix
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
                : new FileAttribute<?>[0];
        boolean created = false;
        try (SeekableByteChannel ch = Files.newByteChannel(file, options, attrs)) {
            created = true;
            ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (buf.hasRemaining()) ch.write(buf);
        } catch (FileAlreadyExistsException e) {
            throw config(file + " already exists; refusing to overwrite it", e);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            if (created) deleteQuietly(file);
            throw config("cannot write " + file + ": " + e.getMessage(), e);
        }
        if (secret && posix) {
            try { // the umask may have narrowed the mode, never widened it; make it exactly 600
                Files.setPosixFilePermissions(file, OWNER_ONLY);
            } catch (IOException | UnsupportedOperationException e) {
                // created with 600 already
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: the failure is reported already
        }
    }

    private static AuthException config(String message) {
        return new AuthException(AuthException.Code.CONFIG_INVALID, message);
    }

    private static AuthException config(String message, Throwable cause) {
        return new AuthException(AuthException.Code.CONFIG_INVALID, message, cause);
    }

    @Override
    public String toString() {
        return "Authority[" + fingerprint.substring(0, 16) + "]";
    }
}
