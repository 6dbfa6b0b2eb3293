package io.starling.testing.sim;

/**
 * Bugs the simulator can plant in the engine it drives, to show that its checks catch them (PlantedBugsTest). The
 * engine itself is untouched: each fault is a wrapper around how the simulator calls it.
 */
enum EngineFault {
    NONE,
    /** An UPDATE's {@code SET x = …} is not stored, and the statement still reports the document written. */
    DROP_SET,
    /** An UPDATE of a deleted document makes it live again with the updated fields (a husk), and says so. */
    RESURRECT_ON_UPDATE,
    /** A receiving store skips the last document of a batch of several, and reports nothing. */
    LOSE_MERGED_DOC,
    /** A holder told that its copies are zombies keeps them. */
    IGNORE_ZOMBIES,
    /** With identities: a session sends its remote documents whatever the remote's read permission says. */
    SEND_UNREADABLE,
    /** With identities: a store applies a remote's changes whatever the remote's write permission says. */
    APPLY_FORBIDDEN,
    /**
     * With the session policy: the duplicate-session rule is one each side makes up for itself — each peer keeps the
     * session it dialed and closes the one it accepted — instead of one both sides compute alike.
     */
    DUPLICATE_KEEPS_OUTGOING,
    /**
     * With the session policy: an accepted session is not held for the connection-request hook (the driver forgets
     * {@code awaitApproval()}), so it starts whatever the hook would answer.
     */
    IGNORE_APPROVAL,
    /** An attachment fetch takes a chunk's bytes without checking them against the chunk's hash. */
    SKIP_CHUNK_VERIFICATION,
    /**
     * Server cluster: the shared store hands change sequence numbers out of commit order — each node takes them
     * from a block it reserved earlier, as a database SEQUENCE whose sessions cache numbers does — so a reader
     * trusting the highest number it has seen skips rows (SharedStore).
     */
    CACHED_SEQUENCE;

    /** Whether the fault only exists in runs with identities (PlantedBugsTest turns them on for it). */
    boolean needsIdentities() {
        return this == SEND_UNREADABLE || this == APPLY_FORBIDDEN;
    }

    /** Whether the fault only exists in runs with the session policy (PlantedBugsTest turns it on for it). */
    boolean needsSessionPolicy() {
        return this == DUPLICATE_KEEPS_OUTGOING || this == IGNORE_APPROVAL;
    }

    /** Whether the fault only exists in the server cluster topology. */
    boolean needsServerCluster() {
        return this == CACHED_SEQUENCE;
    }
}
