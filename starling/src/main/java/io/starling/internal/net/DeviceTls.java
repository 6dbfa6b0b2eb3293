package io.starling.internal.net;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * What a peer in the online identity mode presents in TLS: its device key, the certificate the authority issued for
 * it, and the authority's certificate, the only trust anchor. Immutable.
 */
public record DeviceTls(PrivateKey privateKey, X509Certificate certificate, X509Certificate trustAnchor) {
    public DeviceTls {
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(trustAnchor, "trustAnchor");
    }
}
