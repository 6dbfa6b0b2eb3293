package io.starling.internal.transport.netty;

import io.starling.ErrorCode;
import io.starling.StarlingException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * The shared key of an app: an EC P-256 certificate-authority key and its self-signed CA certificate, kept
 * together in one PEM file ({@code PRIVATE KEY} in PKCS#8, then {@code CERTIFICATE}). Every peer of the app
 * holds the same file; at start each peer signs itself a short-lived leaf certificate naming its peer id
 * ({@link LeafCertificates}). Immutable and thread-safe once loaded.
 *
 * <p>Uses the platform's JCA providers for key generation and signing (no provider is registered); BouncyCastle
 * only builds certificates and reads and writes PEM.
 */
public final class KeyFile {
    static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    static final Duration CA_VALIDITY = Duration.ofDays(365L * 100);
    private static final String CA_SUBJECT = "CN=Starling shared key,O=Starling";

    private final PrivateKey caKey;
    private final X509Certificate caCertificate;

    private KeyFile(PrivateKey caKey, X509Certificate caCertificate) {
        this.caKey = caKey;
        this.caCertificate = caCertificate;
    }

    /** The CA private key: signs the leaf certificates. */
    PrivateKey caKey() {
        return caKey;
    }

    /** The CA certificate: the only trust anchor of every TLS connection. */
    X509Certificate caCertificate() {
        return caCertificate;
    }

    /** SHA-256 of the CA certificate (DER), the first 16 lowercase hex digits: tells two keys apart in logs. */
    public String fingerprint() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(caCertificate.getEncoded());
            StringBuilder hex = new StringBuilder(16);
            for (int i = 0; i < 8; i++)
                hex.append(Character.forDigit((digest[i] >> 4) & 0xf, 16))
                        .append(Character.forDigit(digest[i] & 0xf, 16));
            return hex.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /**
     * Creates a new key file. The file must not exist; it is created with permissions {@code rw-------} where the
     * file system is POSIX.
     *
     * @throws StarlingException {@code CONFIG_INVALID} when the file exists or cannot be written
     */
    public static KeyFile generate(Path file) {
        KeyFile key = newKey();
        String pem = key.toPem();
        writeNew(file, pem.getBytes(StandardCharsets.US_ASCII));
        return key;
    }

    /**
     * Reads a key file.
     *
     * @throws StarlingException {@code CONFIG_INVALID} naming the file when it is missing, unreadable, or does not
     *     hold an EC private key with its matching CA certificate
     */
    public static KeyFile load(Path file) {
        String text;
        try {
            text = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw invalid(
                    "shared key file " + file + " does not exist (create one with 'starling keygen " + file + "')", e);
        } catch (IOException e) {
            throw invalid("cannot read shared key file " + file + ": " + e, e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw invalid("shared key file " + file + " is not a Starling shared key: " + e.getMessage(), e);
        }
    }

    /** Parses the PEM text; IllegalArgumentException says what is wrong. */
    static KeyFile parse(String text) {
        PrivateKey key = null;
        X509CertificateHolder cert = null;
        try (Reader r = new StringReader(text);
                PEMParser parser = new PEMParser(r)) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info && key == null) {
                    key = new JcaPEMKeyConverter().getPrivateKey(info);
                } else if (o instanceof PEMKeyPair pair && key == null) {
                    key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
                } else if (o instanceof X509CertificateHolder holder && cert == null) {
                    cert = holder;
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("corrupt PEM (" + e.getMessage() + ")", e);
        }
        if (key == null) throw new IllegalArgumentException("no PRIVATE KEY block");
        if (cert == null) throw new IllegalArgumentException("no CERTIFICATE block");
        if (!"EC".equals(key.getAlgorithm())) {
            throw new IllegalArgumentException("the private key is " + key.getAlgorithm() + ", expected EC P-256");
        }
        X509Certificate x509;
        try {
            x509 = new JcaX509CertificateConverter().getCertificate(cert);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("unreadable certificate (" + e.getMessage() + ")", e);
        }
        if (x509.getBasicConstraints() < 0)
            throw new IllegalArgumentException("the certificate is not a CA certificate");
        if (!matches(key, x509)) throw new IllegalArgumentException("the private key does not match the certificate");
        return new KeyFile(key, x509);
    }

    private static boolean matches(PrivateKey key, X509Certificate cert) {
        try {
            byte[] probe = "starling key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static KeyFile newKey() {
        try {
            KeyPair pair = ecKeyPair();
            Instant now = Instant.now();
            X500Name subject = new X500Name(CA_SUBJECT);
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                    subject,
                    serial(),
                    Date.from(now.minus(Duration.ofHours(1))),
                    Date.from(now.plus(CA_VALIDITY)),
                    subject,
                    pair.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
            X509CertificateHolder holder =
                    b.build(new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(pair.getPrivate()));
            return new KeyFile(pair.getPrivate(), new JcaX509CertificateConverter().getCertificate(holder));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "cannot generate a shared key: " + e, e);
        }
    }

    /** A fresh EC P-256 key pair. */
    static KeyPair ecKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return g.generateKeyPair();
    }

    /** A random positive 127-bit certificate serial number. */
    static BigInteger serial() {
        return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
    }

    String toPem() {
        StringWriter out = new StringWriter();
        out.write("Starling shared key: every peer of the app holds this file. Keep it secret.\n");
        out.write("Fingerprint " + fingerprint() + "\n");
        try (PemWriter pem = new PemWriter(out)) {
            pem.writeObject(new PemObject("PRIVATE KEY", caKey.getEncoded()));
            pem.writeObject(new PemObject("CERTIFICATE", caCertificate.getEncoded()));
        } catch (IOException | GeneralSecurityException e) {
            throw new StarlingException(ErrorCode.INTERNAL, "cannot encode the shared key: " + e, e);
        }
        return out.toString();
    }

    private static void writeNew(Path file, byte[] bytes) {
        Set<StandardOpenOption> options = EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean posix = posix(file);
        FileAttribute<?>[] attrs = posix
                ? new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))
                }
                : new FileAttribute<?>[0];
        boolean created = false;
        try (SeekableByteChannel ch = Files.newByteChannel(file, options, attrs)) {
            created = true;
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
        } catch (FileAlreadyExistsException e) {
            throw invalid("key file " + file + " already exists; refusing to overwrite it", e);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            if (created) deleteQuietly(file);
            throw invalid("cannot write key file " + file + ": " + e, e);
        }
        if (posix) {
            try { // the umask may have narrowed the mode further, never widened it; make it exactly 600
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (IOException | UnsupportedOperationException e) {
                // created with 600 already
            }
        }
    }

    private static boolean posix(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            return (dir != null ? dir : file)
                    .getFileSystem()
                    .supportedFileAttributeViews()
                    .contains("posix");
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // best effort: the failure is reported already
        }
    }

    private static StarlingException invalid(String message, Throwable cause) {
        return new StarlingException(ErrorCode.CONFIG_INVALID, message, cause);
    }

    @Override
    public String toString() {
        return "KeyFile[" + fingerprint() + "]";
    }
}
