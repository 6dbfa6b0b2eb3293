package io.starling.internal.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1UTF8String;

/**
 * Verifies device certificates against a trust anchor and reads their claims (docs/AUTH.md).
 *
 * <p>A device certificate is signed directly by the authority (there are no intermediate certificates), is not a CA,
 * holds an EC P-256 key, and carries its claims — user id, permissions, metadata — as one JSON object in a
 * non-critical extension ({@link #CLAIMS_OID}). Verification checks, in order: the chain's shape, that the anchor
 * signed it, its validity period with {@link #SKEW} of tolerance either way, and the claims with hard limits; each
 * refusal has its own code and says why. Stateless and thread-safe.
 */
public final class DeviceCertificates {
    /**
     * The claims extension. An OID under {@code 2.25} is a UUID written as one decimal arc (ITU-T X.667): unique
     * without registering an enterprise number. This one was drawn once for Starling and never changes.
     */
    public static final ASN1ObjectIdentifier CLAIMS_OID =
            new ASN1ObjectIdentifier("2.25.166976106779742647848985941252691998089");

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
        Claims claims = claims(cert);
        return new VerifiedIdentity(
                claims.userId(), claims.permissions(), claims.metadata(), notAfter, Pem.fingerprint(deviceKey));
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
