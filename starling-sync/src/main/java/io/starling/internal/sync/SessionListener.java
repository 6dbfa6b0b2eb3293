package io.starling.internal.sync;

import java.util.List;

/**
 * Events of one {@link SyncSession}, called synchronously on the thread that drives the session, from inside
 * its methods. Implementations must be quick and must not call the session back. All methods default to no-ops.
 */
public interface SessionListener {
    SessionListener NONE = new SessionListener() {};

    /** Both HELLOs were accepted. */
    default void established(long remotePeerId) {}

    /**
     * Every change of ours up to {@code ackedSequence} was acknowledged by the remote or needs nothing there (an echo of
     * what it sent, a row it does not read): for "has my write reached it". Never goes down within a session.
     */
    default void acknowledged(long ackedSequence) {}

    /** The remote's subscriptions (what we send it) are now {@code subscriptions}. */
    default void remoteSubscriptionsChanged(List<Subscription> subscriptions) {}

    /**
     * Something worth a log line that does not close the session (a continued group beyond maxGroupBytes applied
     * without atomicity, a bounded queue that dropped work).
     */
    default void warning(String message) {}

    /**
     * Documents the remote sent that the store refused one by one ({@link SyncStoreView#apply}); the rest of
     * their batch was applied and sync goes on.
     */
    default void refused(List<SyncStoreView.Refusal> refused) {}

    /**
     * Changes the remote sent that its write permission does not allow ({@link Principal#mayApply}): left out one
     * by one, never merged (so never relayed); the rest of their batch was applied and sync goes on.
     */
    default void denied(List<SyncStoreView.DocRef> denied) {}

    /**
     * The remote's HELLO arrived on a session that waits for the application's approval ({@link
     * SyncSession#awaitApproval()}): decide, then call {@link SyncSession#allow()} or {@link SyncSession#deny}.
     * Nothing the remote sent is read until then.
     */
    default void approvalRequested(long remotePeerId) {}

    /**
     * The remote sent a revocation list newer than ours that verified, and the session adopted it into the peer's
     * {@link RevocationState}: the owner stores it and tells its other sessions ({@link
     * SyncSession#revocationsChanged()}) — later, not from inside this call.
     */
    default void revocationsAdopted(VerifiedRevocations list) {}

    /**
     * The remote sent a revocation list newer than ours that the verifier refused ({@code problem} says why): not
     * adopted, not relayed, counted ({@link SyncSession#revocationsRefused()}); the session goes on.
     */
    default void revocationsRefused(String problem) {}

    /** The remote sent its presence view (an opaque payload the engine encodes). */
    default void presence(byte[] payload) {}

    /**
     * The remote sent its presence view as a marker: the last view it sent us (named by {@code digest}) with its own
     * record's sequence now {@code sequence} (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"). Only between
     * peers that both announced {@link SessionConfig#CAP_PRESENCE_RESUME}. The engine answers with {@link
     * SyncSession#wantPresence} when it does not hold that view.
     */
    default void samePresence(long digest, long sequence) {}

    /** The remote does not hold the view our marker named ({@code digest}): it wants the view whole. */
    default void presenceWanted(long digest) {}

    /**
     * The session closed, once. {@code reason} is one of the stable close reasons ({@link SyncSession#TIMEOUT},
     * …, or what the remote sent); {@code byRemote} when the remote sent CLOSE.
     */
    default void closed(String reason, String message, boolean byRemote) {}
}
