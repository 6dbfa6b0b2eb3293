package io.starling.internal.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1UTF8String;

/**
 * Verifies device certificates against a trust anchor and reads their claims (docs/AUTH.md).
 *
 * <p>A device certificate is signed directly by the authority (there are no intermediate certificates), is not a CA,
 * holds an EC P-256 key, and carries its claims — user id, permissions, metadata — as one JSON object in a
 * non-critical extension ({@link #CLAIMS_OID}), and names the peer id of the device's store as a subject alternative
 * name URI ({@link #PEER_URI_PREFIX} and the id as 16 lowercase hex digits), which a peer compares with the id the
 * remote's HELLO claims. Verification checks, in order: the chain's shape, that the anchor signed it, its validity
 * period with {@link #SKEW} of tolerance either way, the peer id's syntax, and the claims with hard limits; each
 * refusal has its own code and says why. A certificate issued before certificates named a peer id has none: it
 * verifies, with {@link VerifiedIdentity#peerId()} 0 (docs/AUTH.md, "Certificates without a peer id"). Stateless and
 * thread-safe.
 */
public final class DeviceCertificates {
    /**
     * The claims extension. An OID under {@code 2.25} is a UUID written as one decimal arc (ITU-T X.667): unique
     * without registering an enterprise number. This one was drawn once for Starling and never changes.
     */
    public static final ASN1ObjectIdentifier CLAIMS_OID =
            new ASN1ObjectIdentifier("2.25.166976106779742647848985941252691998089");

    /**
     * The prefix of the subject alternative name URI that names the device's peer id: {@code
     * starling:peer:2f1c9a0d54e1b6a7} ({@code openssl x509 -text} shows it as {@code URI:starling:peer:…}).
     */
    public static final String PEER_URI_PREFIX = "starling:peer:";

    /** How far apart the clocks of an issuer and a verifier may be. */
    public static final Duration SKEW = Duration.ofMinutes(5);

    private DeviceCertificates() {}

    /** {@link #verify(List, X509Certificate, Instant)} of a single certificate. */
    public static VerifiedIdentity verify(X509Certificate certificate, X509Certificate trustAnchor, Instant now) {
        return verify(List.of(certificate), trustAnchor, now);
    }

    /**
     * Verifies a device certificate chain: the device certificate first, optionally followed by the anchor itself
     * (as TLS sends it).
     *
     * @throws AuthException {@code CERTIFICATE_OTHER_AUTHORITY} when the anchor did not sign it, {@code
     *     CERTIFICATE_EXPIRED} or {@code CERTIFICATE_NOT_YET_VALID} outside its validity (beyond {@link #SKEW}),
     *     {@code CERTIFICATE_MALFORMED} when it is not a device certificate or its claims are malformed
     */
    public static VerifiedIdentity verify(List<X509Certificate> chain, X509Certificate trustAnchor, Instant now) {
        if (chain.isEmpty()) throw malformed("no certificate was presented");
        X509Certificate cert = chain.get(0);
        for (X509Certificate extra : chain.subList(1, chain.size())) {
            if (!extra.equals(trustAnchor)) {
                throw refused(
                        AuthException.Code.CERTIFICATE_OTHER_AUTHORITY,
                        "the chain holds a certificate other than the trust anchor (" + subject(extra)
                                + "); this authority signs device certificates directly");
            }
        }
        if (cert.equals(trustAnchor)) throw malformed("the trust anchor itself is not a device certificate");
        try {
            cert.verify(trustAnchor.getPublicKey());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw refused(
                    AuthException.Code.CERTIFICATE_OTHER_AUTHORITY,
                    "the certificate of " + subject(cert) + " was issued by another authority (" + issuer(cert)
                            + "); this peer trusts only authority "
                            + Authority.fingerprintOf(trustAnchor).substring(0, 16));
        }
        if (!cert.getIssuerX500Principal().equals(trustAnchor.getSubjectX500Principal())) {
            throw refused(
                    AuthException.Code.CERTIFICATE_OTHER_AUTHORITY,
                    "the certificate names another issuer (" + issuer(cert) + ") than the trust anchor");
        }
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        if (now.plus(SKEW).isBefore(notBefore)) {
            throw refused(
                    AuthException.Code.CERTIFICATE_NOT_YET_VALID,
                    "the certificate is not valid until " + notBefore + " (this clock reads " + now
                            + "; clocks may differ by " + SKEW.toMinutes() + " minutes)");
        }
        if (now.minus(SKEW).isAfter(notAfter)) {
            throw refused(
                    AuthException.Code.CERTIFICATE_EXPIRED,
                    "the certificate expired at " + notAfter + " (this clock reads " + now + "; clocks may differ by "
                            + SKEW.toMinutes() + " minutes)");
        }
        if (cert.getBasicConstraints() >= 0) throw malformed("the certificate is a CA certificate, not a device's");
        PublicKey deviceKey;
        try {
            deviceKey = Pem.p256(cert.getPublicKey().getEncoded());
        } catch (IllegalArgumentException e) {
            throw malformed("the certificate's key " + e.getMessage());
        }
        long peerId = peerIdOf(cert);
        Claims claims = claims(cert);
        return new VerifiedIdentity(
                claims.userId(), claims.permissions(), claims.metadata(), notAfter, Pem.fingerprint(deviceKey), peerId);
    }

    /**
     * A peer id as certificates and login requests write it: 16 lowercase hex digits.
     *
     * @throws IllegalArgumentException for 0, which is no peer's id
     */
    public static String peerIdText(long peerId) {
        if (peerId == 0) throw new IllegalArgumentException("peer id 0 is not a peer's id");
        return String.format(Locale.ROOT, "%016x", peerId);
    }

    /**
     * Parses a peer id written as {@link #peerIdText} writes it: exactly 16 lowercase hex digits, not all zero.
     *
     * @throws IllegalArgumentException naming what is wrong (the text is quoted only when it is short and printable)
     */
    public static long parsePeerId(String text) {
        if (text.length() != 16) {
            throw new IllegalArgumentException("a peer id is 16 lowercase hex digits; " + quoted(text) + " has "
                    + text.length() + (text.length() == 1 ? " character" : " characters"));
        }
        for (int i = 0; i < 16; i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                throw new IllegalArgumentException("a peer id is 16 lowercase hex digits; " + quoted(text)
                        + " has another character at position " + (i + 1));
            }
        }
        long id = Long.parseUnsignedLong(text, 16);
        if (id == 0) throw new IllegalArgumentException("peer id 0000000000000000 is not a peer's id");
        return id;
    }

    /**
     * The peer id a certificate names (its one subject alternative name URI starting with {@link #PEER_URI_PREFIX}),
     * or 0 when it names none (a certificate issued before certificates named peer ids).
     *
     * @throws AuthException {@code CERTIFICATE_MALFORMED} when the peer id is malformed or named twice
     */
    public static long peerIdOf(X509Certificate cert) {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw malformed("the certificate's subject alternative names do not parse: " + e.getMessage());
        }
        if (names == null) return 0;
        long found = 0;
        for (List<?> name : names) {
            // a URI is general name 6 (RFC 5280), which the JDK hands over as a String
            if (name.size() < 2 || !Integer.valueOf(6).equals(name.get(0)) || !(name.get(1) instanceof String uri)) {
                continue;
            }
            if (!uri.startsWith(PEER_URI_PREFIX)) continue;
            if (found != 0) throw malformed("the certificate names more than one peer id");
            try {
                found = parsePeerId(uri.substring(PEER_URI_PREFIX.length()));
            } catch (IllegalArgumentException e) {
                throw malformed("the certificate's peer id is malformed: " + e.getMessage());
            }
        }
        return found;
    }

    private static String quoted(String text) {
        if (text.length() > 32) return "the text";
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) return "the text";
        }
        return "\"" + text + "\"";
    }

    /** The claims of a certificate whose signature is checked already. */
    static Claims claims(X509Certificate cert) {
        byte[] raw = cert.getExtensionValue(CLAIMS_OID.getId());
        if (raw == null) throw malformed("the certificate carries no Starling claims (extension " + CLAIMS_OID + ")");
        // the extension value arrives wrapped in its OCTET STRING; the UTF8String adds at most 5 bytes of header
        if (raw.length > Claims.MAX_CLAIMS_BYTES + 16) {
            throw malformed(
                    "the certificate's claims are " + raw.length + " bytes; the limit is " + Claims.MAX_CLAIMS_BYTES);
        }
        String json;
        try {
            ASN1Primitive inner =
                    ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(raw).getOctets());
            json = ASN1UTF8String.getInstance(inner).getString();
        } catch (IOException | RuntimeException e) {
            throw malformed("the certificate's claims extension is not a UTF8String");
        }
        try {
            return Claims.fromJson(json.getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw malformed("the certificate's claims are malformed: " + e.getMessage());
        }
    }

    private static String subject(X509Certificate c) {
        return "\"" + c.getSubjectX500Principal().getName() + "\"";
    }

    private static String issuer(X509Certificate c) {
        return "\"" + c.getIssuerX500Principal().getName() + "\"";
    }

    private static AuthException malformed(String message) {
        return refused(AuthException.Code.CERTIFICATE_MALFORMED, message);
    }

    private static AuthException refused(AuthException.Code code, String message) {
        return new AuthException(code, message);
    }
}
