package io.starling.transport;

import io.starling.internal.transport.netty.KeyFile;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Shared key files for {@link io.starling.Identity#sharedKey shared-key} identity: every peer of an app holds the
 * same file, and peers prove they hold it with mutual TLS 1.3 (docs/NETWORKING.md, "TLS and identity").
 *
 * <p>The file is PEM text: a comment line, an EC P-256 private key ({@code PRIVATE KEY}, PKCS#8) and its
 * self-signed CA certificate ({@code CERTIFICATE}). Whoever holds it can join the app, so it is created readable by
 * its owner only. Thread-safe (stateless).
 */
public final class SharedKeys {
    private SharedKeys() {}

    /**
     * Generates a new shared key and writes it to {@code file}, which must not exist. The file gets permissions
     * {@code 600} where the file system is POSIX.
     *
     * @return the new key's fingerprint, as {@link #describe} would return it
     * @throws io.starling.StarlingException {@link io.starling.ErrorCode#CONFIG_INVALID} when the file exists or
     *     cannot be written (the message names it)
     */
    public static String generate(Path file) {
        Objects.requireNonNull(file, "file");
        return KeyFile.generate(file).fingerprint();
    }

    /**
     * The fingerprint of the shared key in {@code file}: the first 16 lowercase hex digits of the SHA-256 of its CA
     * certificate. Two peers can sync only if their fingerprints are equal.
     *
     * @throws io.starling.StarlingException {@link io.starling.ErrorCode#CONFIG_INVALID} naming the file when it is
     *     missing, unreadable or not a shared key
     */
    public static String describe(Path file) {
        Objects.requireNonNull(file, "file");
        return KeyFile.load(file).fingerprint();
    }
}
