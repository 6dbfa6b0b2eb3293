package io.starling.internal.auth;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/** PEM text of keys and certificates, device public keys and fingerprints. */
public final class Pem {
    /** A device key as text: PEM, or base64 of the DER SubjectPublicKeyInfo; far more than a P-256 key needs. */
    static final int MAX_PUBLIC_KEY_CHARS = 4096;
    /** A certificate chain as PEM text. */
    static final int MAX_CHAIN_CHARS = 256 * 1024;

    private Pem() {}

    /** PEM text of one certificate. */
    public static String certificate(X509Certificate cert) {
        try {
            return write("CERTIFICATE", cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot encode a certificate: " + e, e);
        }
    }

    /** PEM text of a public key (SubjectPublicKeyInfo). */
    public static String publicKey(PublicKey key) {
        return write("PUBLIC KEY", key.getEncoded());
    }

    static String write(String type, byte[] der) {
        StringWriter out = new StringWriter();
        try (PemWriter pem = new PemWriter(out)) {
            pem.writeObject(new PemObject(type, der));
        } catch (IOException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "cannot write PEM: " + e, e);
        }
        return out.toString();
    }

    /**
     * The certificates of a PEM text, in order.
     *
     * @throws IllegalArgumentException when the text is too long, holds no certificate, or a block is corrupt
     */
    public static List<X509Certificate> certificates(String pem) {
        if (pem.length() > MAX_CHAIN_CHARS) {
            throw new IllegalArgumentException(
                    "is " + pem.length() + " characters; the limit is " + MAX_CHAIN_CHARS + " for certificates");
        }
        List<X509Certificate> certs = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new IllegalArgumentException("holds a PEM block that is not a CERTIFICATE");
                }
                certs.add(new JcaX509CertificateConverter().getCertificate(holder));
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null) throw iae;
            throw new IllegalArgumentException("holds a corrupt certificate (" + e.getMessage() + ")", e);
        }
        if (certs.isEmpty()) throw new IllegalArgumentException("holds no PEM CERTIFICATE block");
        return certs;
    }

    /**
     * A device's public key, from PEM ({@code -----BEGIN PUBLIC KEY-----}) or base64 of its DER SubjectPublicKeyInfo.
     * Only EC P-256 keys are accepted: they are what TLS between peers uses everywhere (the JDK and Android), and
     * what the authority signs with.
     *
     * @throws IllegalArgumentException saying what is wrong with the key (never quoting it)
     */
    public static PublicKey devicePublicKey(String text) {
        if (text.length() > MAX_PUBLIC_KEY_CHARS) {
            throw new IllegalArgumentException(
                    "is " + text.length() + " characters; a public key is at most " + MAX_PUBLIC_KEY_CHARS);
        }
        byte[] der;
        String t = text.strip();
        if (t.startsWith("-----BEGIN")) {
            try (PEMParser parser = new PEMParser(new StringReader(t))) {
                Object o = parser.readObject();
                if (!(o instanceof SubjectPublicKeyInfo info)) {
                    throw new IllegalArgumentException("is PEM but not a PUBLIC KEY block");
                }
                der = info.getEncoded();
            } catch (IOException | RuntimeException e) {
                if (e instanceof IllegalArgumentException iae) throw iae;
                throw new IllegalArgumentException("is a corrupt PEM public key", e);
            }
        } else {
            try {
                der = Base64.getDecoder().decode(t.replaceAll("\\s+", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("is neither PEM nor base64 of a DER public key", e);
            }
        }
        return p256(der);
    }

    /** The EC P-256 key of a DER SubjectPublicKeyInfo. */
    static PublicKey p256(byte[] der) {
        SubjectPublicKeyInfo info;
        try {
            info = SubjectPublicKeyInfo.getInstance(der);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("is not a DER SubjectPublicKeyInfo", e);
        }
        if (info == null) throw new IllegalArgumentException("is empty");
        ASN1ObjectIdentifier algorithm = info.getAlgorithm().getAlgorithm();
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm)) {
            throw new IllegalArgumentException("is a key of algorithm " + algorithm + "; expected an EC P-256 key");
        }
        var params = info.getAlgorithm().getParameters();
        if (!(params instanceof ASN1ObjectIdentifier curve) || !SECObjectIdentifiers.secp256r1.equals(curve)) {
            throw new IllegalArgumentException("is an EC key on another curve (" + params + "); expected P-256");
        }
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException("is not a valid EC P-256 public key (" + e.getMessage() + ")", e);
        }
    }

    /** SHA-256 of the key's DER SubjectPublicKeyInfo, 64 lowercase hex digits: the device's identity. */
    public static String fingerprint(PublicKey key) {
        return sha256(key.getEncoded());
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new AuthException(AuthException.Code.INTERNAL, "SHA-256 is not available", e);
        }
    }
}
