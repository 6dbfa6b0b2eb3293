package io.starling.internal.sync;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Judges a revocation list a remote sent (docs/SYNC-PROTOCOL.md, "Revocations"). The session treats the list as opaque
 * bytes and a number; the engine implements this with the auth module (the authority's signature against the trust
 * anchor), tests and the simulator with anything simple. Implementations must be pure, thread-safe and must not
 * throw: a list they cannot judge is refused.
 */
@FunctionalInterface
public interface RevocationVerifier {

    /**
     * Verifies {@code list}, which the remote says is number {@code serial}.
     *
     * @return the verified list, or why it is refused: not a list, another authority's, a signature that does not
     *     verify, past the list's limits, a number other than {@code serial}
     */
    Verdict verify(long serial, byte[] list);

    /** Exactly one of {@code list} (accepted) and {@code problem} (refused) is set. */
    record Verdict(
            @Nullable VerifiedRevocations list, @Nullable String problem) {
        public Verdict {
            if ((list == null) == (problem == null)) {
                throw new IllegalArgumentException("a verdict is either a verified list or a problem");
            }
        }

        public static Verdict accepted(VerifiedRevocations list) {
            return new Verdict(Objects.requireNonNull(list, "list"), null);
        }

        public static Verdict refused(String problem) {
            return new Verdict(null, Objects.requireNonNull(problem, "problem"));
        }
    }
}
