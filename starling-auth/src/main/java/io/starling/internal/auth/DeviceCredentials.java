package io.starling.internal.auth;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.jspecify.annotations.Nullable;

/**
 * What a device holds in the online mode: its own key pair (made on the device; the private key never leaves it)
 * and the certificate the authority issued for the public key. Kept in a directory (the database's) as {@code
 * device.key} (PKCS#8 PEM, mode 600) and {@code device.pem}; {@link #save} replaces both atomically, so a crash
 * leaves the old pair or the new one. Immutable and thread-safe.
 */
public final class DeviceCredentials {
    public static final String KEY_FILE = "device.key";
    public static final String CERTIFICATE_FILE = "device.pem";

    private final KeyPair keyPair;
    private final X509Certificate certificate;

    /**
     * Credentials of a key pair and the certificate issued for its public key (by a login, or by the authority for
     * itself).
     *
     * @throws IllegalArgumentException when the certificate is for another key
     */
    public DeviceCredentials(KeyPair keyPair, X509Certificate certificate) {
        if (!certificate.getPublicKey().equals(keyPair.getPublic())) {
            throw new IllegalArgumentException("the certificate is for another key than the device's");
        }
        this.keyPair = keyPair;
        this.certificate = certificate;
    }

    /** A fresh EC P-256 key pair for a device. */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot make an EC P-256 key pair: " + e, e);
        }
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The certificate's expiry. */
    public Instant expiresAt() {
        return certificate.getNotAfter().toInstant();
    }

    /**
     * When to renew: once two thirds of the certificate's validity have passed, so that a device that is offline for
     * a while still renews well before the certificate expires.
     */
    public Instant renewAt() {
        Instant from = certificate.getNotBefore().toInstant();
        Duration life = Duration.between(from, expiresAt());
        return from.plus(life.multipliedBy(2).dividedBy(3));
    }

    /**
     * Who the certificate says this device is, checked against the trust anchor at {@code now}.
     *
     * @throws AuthException a {@code CERTIFICATE_…} code when the certificate is not (or no longer) valid
     */
    public VerifiedIdentity identity(X509Certificate trustAnchor, Instant now) {
        return DeviceCertificates.verify(certificate, trustAnchor, now);
    }

    /**
     * Writes {@code device.key} (mode 600) and {@code device.pem} into {@code dir}, replacing what is there.
     *
     * @throws AuthException {@code CONFIG_INVALID} when the files cannot be written
     */
    public void save(Path dir) {
        replace(
                dir.resolve(KEY_FILE),
                Pem.write("PRIVATE KEY", keyPair.getPrivate().getEncoded()),
                true);
        replace(dir.resolve(CERTIFICATE_FILE), Pem.certificate(certificate), false);
    }

    /**
     * Reads the credentials saved in {@code dir}, or null when there are none (the device has not logged in).
     *
     * @throws AuthException {@code CONFIG_INVALID} naming the file when only one of the two exists, a file is
     *     corrupt, or the key does not match the certificate
     */
    public static @Nullable DeviceCredentials load(Path dir) {
        Path keyFile = dir.resolve(KEY_FILE);
        Path certFile = dir.resolve(CERTIFICATE_FILE);
        boolean key = Files.exists(keyFile);
        boolean cert = Files.exists(certFile);
        if (!key && !cert) return null;
        if (!key || !cert) {
            throw config("found " + (key ? keyFile : certFile) + " without " + (key ? certFile : keyFile)
                    + "; log in again to replace both");
        }
        PrivateKey privateKey = readKey(keyFile);
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(read(certFile));
        } catch (IllegalArgumentException e) {
            throw config(certFile + " " + e.getMessage());
        }
        X509Certificate certificate = certs.get(0);
        PublicKey publicKey = certificate.getPublicKey();
        if (!matches(privateKey, publicKey)) {
            throw config(keyFile + " does not match " + certFile + "; log in again to replace both");
        }
        return new DeviceCredentials(new KeyPair(publicKey, privateKey), certificate);
    }

    private static PrivateKey readKey(Path keyFile) {
        try (PEMParser parser = new PEMParser(new StringReader(read(keyFile)))) {
            if (parser.readObject() instanceof PrivateKeyInfo info) {
                return new JcaPEMKeyConverter().getPrivateKey(info);
            }
            throw config(keyFile + " holds no PKCS#8 PRIVATE KEY block");
        } catch (IOException | RuntimeException e) {
            if (e instanceof AuthException a) throw a;
            throw config(keyFile + " is corrupt: not a PEM private key"); // no cause: it may quote key material
        }
    }

    private static String read(Path file) {
        try {
            if (Files.size(file) > 256 * 1024) throw config(file + " is larger than 256 KiB");
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static boolean matches(PrivateKey key, PublicKey pub) {
        try {
            byte[] probe = "starling device check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(Authority.SIGNATURE_ALGORITHM);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(Authority.SIGNATURE_ALGORITHM);
            verifier.initVerify(pub);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Writes a temporary file beside {@code file} (mode 600 for a secret), then moves it over {@code file}. */
    private static void replace(Path file, String text, boolean secret) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            tmp = Files.createTempFile(dir, file.getFileName() + ".", ".tmp");
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // not a POSIX file system: its own rules apply
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true); // on disk before it replaces the old file
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the failure is reported already
                }
            }
            throw new AuthException(
                    AuthException.Code.CONFIG_INVALID, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static AuthException config(String message) {
        return new AuthException(AuthException.Code.CONFIG_INVALID, message);
    }

    @Override
    public String toString() {
        return "DeviceCredentials[" + Pem.fingerprint(keyPair.getPublic()).substring(0, 16) + ", until " + expiresAt()
                + "]";
    }
}
