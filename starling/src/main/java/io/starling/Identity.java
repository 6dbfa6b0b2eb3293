package io.starling;

import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How peers of an app recognise each other. Immutable.
 *
 * <ul>
 *   <li>{@link #playground()}: no authentication and no encryption — for development only; the instance logs a
 *       loud warning when it starts networking.
 *   <li>{@link #sharedKey(Path)}: every peer of the app holds the same key file (made by {@code starling keygen});
 *       connections use mutual TLS 1.3 with certificates signed by that key, each peer's id bound to its
 *       certificate. A peer without the key is refused before any document byte flows.
 * </ul>
 */
public final class Identity {
    private final @Nullable Path keyFile;

    private Identity(@Nullable Path keyFile) {
        this.keyFile = keyFile;
    }

    public static Identity playground() {
        return new Identity(null);
    }

    public static Identity sharedKey(Path keyFile) {
        return new Identity(Objects.requireNonNull(keyFile, "keyFile"));
    }

    public boolean isPlayground() {
        return keyFile == null;
    }

    /** The shared key file, or null in playground mode. */
    public @Nullable Path keyFile() {
        return keyFile;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Identity i && Objects.equals(keyFile, i.keyFile);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(keyFile);
    }

    @Override
    public String toString() {
        return keyFile == null ? "playground" : "shared-key " + keyFile;
    }
}
