package io.starling.internal.sync;

/**
 * Settings of a {@link SyncSession}, immutable. Build with {@link #builder()}; every setter rejects a bad value at
 * once, naming it, and {@link Builder#build()} checks how values relate.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>range</th></tr>
 *   <tr><td>maxFrameBytes — the largest frame we accept (announced in HELLO)</td><td>1 MiB</td><td>64 KiB – 64 MiB</td></tr>
 *   <tr><td>batchBytes — target size of a batch</td><td>256 KiB</td><td>4 KiB – 64 MiB</td></tr>
 *   <tr><td>window — unacknowledged batches in flight</td><td>4</td><td>1 – 1024</td></tr>
 *   <tr><td>maxGroupBytes — continued group held by the receiver before it applies without atomicity</td><td>64 MiB</td><td>≥ maxFrameBytes</td></tr>
 *   <tr><td>helloTimeoutMillis — HELLO and first SUBSCRIPTIONS from the peer</td><td>10 s</td><td>&gt; 0</td></tr>
 *   <tr><td>progressTimeoutMillis — no acknowledgement with batches in flight, no answer to a request</td><td>60 s</td><td>&gt; 0</td></tr>
 *   <tr><td>echoEntries — digests remembered for echo suppression</td><td>100,000</td><td>0 – 10,000,000</td></tr>
 *   <tr><td>summaryRatio — a peer that never met us is sent a summary (or reconciled by ranges) only when the collection's states outweigh its cost this many times</td><td>4</td><td>0 – 1,000,000</td></tr>
 *   <tr><td>ranges — announce range reconciliation</td><td>on</td><td></td></tr>
 *   <tr><td>everyCollection — announce and honour the subscription to every collection</td><td>on</td><td></td></tr>
 *   <tr><td>deltas — announce field deltas</td><td>on</td><td></td></tr>
 *   <tr><td>resume — announce resumed sessions (a SUBSCRIPTIONS unchanged since the last session sent as a marker)</td><td>on</td><td></td></tr>
 *   <tr><td>hintPasses — announce hint passes (a coverage taken while the collection was not held, completed by hints only)</td><td>on</td><td></td></tr>
 *   <tr><td>presenceResume — announce restamped presence (a first presence view that is the last one sent with a new sequence sent as a marker)</td><td>on</td><td></td></tr>
 * </table>
 *
 * <p>The progress timeout must exceed the time the slowest link takes to carry one batch (256 KiB at 20 KB/s
 * is 13 s).
 */
public final class SessionConfig {
    /** The protocol version this implementation speaks. */
    public static final int PROTOCOL_VERSION = 1;

    public static final int MIN_FRAME = 64 << 10, MAX_FRAME = 64 << 20;
    /**
     * HELLO capability bit: this peer reads SUMMARY messages (and sends them as a receiver). A receiver sends a
     * SUMMARY only to a peer that announced it, so a peer without it sees none.
     */
    public static final long CAP_SUMMARY = 1;
    /**
     * HELLO capability bit: this peer reads DEFLATE-compressed messages (type 11). BATCH and DOCS messages to a peer
     * that announced it are compressed when that makes them smaller (and {@link #deflate()} is on).
     */
    public static final long CAP_DEFLATE = 2;
    /**
     * HELLO capability bit: this peer reads attachment messages (type 12, {@link BlobMessage}); they are sent only to a
     * peer that announced it.
     */
    public static final long CAP_ATTACHMENTS = 4;
    /**
     * HELLO capability bit: this peer keeps a revocation list and reads REVOCATIONS messages (type 13, {@link
     * Message.Revocations}); they are sent only to a peer that announced it. Only peers of the online identity mode
     * announce it.
     */
    public static final long CAP_REVOCATIONS = 8;
    /**
     * HELLO capability bit: this peer reads and answers RANGES messages (type 14, range-based reconciliation for peers
     * that never met, {@link Reconciliation}). A receiver reconciles with a peer that announced it, and sends SUMMARY
     * to one that did not.
     */
    public static final long CAP_RANGES = 16;
    /**
     * HELLO capability bit (bit 6): this peer reads and honours {@link Subscription#EVERY} in SUBSCRIPTIONS (every
     * collection, including ones created later). A receiver announces it only to a peer that announced the bit, and
     * one subscription per collection it holds to a peer that did not.
     */
    public static final long CAP_EVERY = 64;
    /**
     * HELLO capability bit (bit 5): this peer reads DELTA entries in BATCH (a document's newest writes with a digest of its
     * whole state, docs/SYNC-PROTOCOL.md, "Field deltas"). A sender sends them only to a peer that announced it.
     */
    public static final long CAP_DELTAS = 32;
    /**
     * HELLO capability bit (bit 7): this peer reads RESUME messages (type 15): a receiver that met the sender before
     * may send, instead of a first SUBSCRIPTIONS unchanged since the sender last processed it, a marker naming that
     * message by its digest, and the sender answers a marker it cannot match by asking for the whole message
     * (docs/SYNC-PROTOCOL.md, "Resumed sessions"). Announced only with {@link #resume()} on and a store that keeps a
     * {@link ResumeMemory}; used only between two peers that both announced it.
     */
    public static final long CAP_RESUME = 128;
    /**
     * HELLO capability bit (bit 8): this peer reads the covered flag 2 in SUBSCRIPTIONS, "covered, hints owed": the
     * receiver's checkpoint covers the subscription, but was stored while the receiver held nothing of the collection,
     * so rows matching none of its subscriptions may have passed without a hint; the sender sends the hints of its
     * rows of the collection up to its live cursor (a hint pass) and names the subscription in {@code done} at its end
     * (docs/SYNC-PROTOCOL.md, "Coverage taken while a collection was not held"). A receiver sends the flag only to a
     * peer that announced the bit, and reports such a subscription not covered to one that did not.
     */
    public static final long CAP_HINT_PASS = 256;
    /**
     * HELLO capability bit (bit 9): this peer reads PRESENCE-RESUME messages (type 16): a peer may send, as the first
     * presence view of a session, a marker saying "the view I sent you last (its digest), with my own record's
     * sequence now N" instead of the whole view, and the remote answers a marker naming no view it holds from that
     * peer by asking for the whole view (docs/SYNC-PROTOCOL.md, "Presence on resumed sessions"). Announced with
     * {@link #presenceResume()} on; used only between two peers that both announced it.
     */
    public static final long CAP_PRESENCE_RESUME = 512;

    private static final SessionConfig DEFAULTS = builder().build();

    private final int maxFrameBytes;
    private final int batchBytes;
    private final int window;
    private final long maxGroupBytes;
    private final long helloTimeoutMillis;
    private final long progressTimeoutMillis;
    private final int echoEntries;
    private final int summaryRatio;
    private final boolean deflate;
    private final boolean ranges;
    private final boolean everyCollection;
    private final boolean deltas;
    private final boolean resume;
    private final boolean hintPasses;
    private final boolean presenceResume;

    private SessionConfig(Builder b) {
        maxFrameBytes = b.maxFrameBytes;
        batchBytes = b.batchBytes;
        window = b.window;
        maxGroupBytes = b.maxGroupBytes;
        helloTimeoutMillis = b.helloTimeoutMillis;
        progressTimeoutMillis = b.progressTimeoutMillis;
        echoEntries = b.echoEntries;
        summaryRatio = b.summaryRatio;
        deflate = b.deflate;
        ranges = b.ranges;
        everyCollection = b.everyCollection;
        deltas = b.deltas;
        resume = b.resume;
        hintPasses = b.hintPasses;
        presenceResume = b.presenceResume;
    }

    public static SessionConfig defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these settings. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxFrameBytes = maxFrameBytes;
        b.batchBytes = batchBytes;
        b.window = window;
        b.maxGroupBytes = maxGroupBytes;
        b.helloTimeoutMillis = helloTimeoutMillis;
        b.progressTimeoutMillis = progressTimeoutMillis;
        b.echoEntries = echoEntries;
        b.summaryRatio = summaryRatio;
        b.deflate = deflate;
        b.ranges = ranges;
        b.everyCollection = everyCollection;
        b.deltas = deltas;
        b.resume = resume;
        b.hintPasses = hintPasses;
        b.presenceResume = presenceResume;
        return b;
    }

    public int protocolVersion() {
        return PROTOCOL_VERSION;
    }

    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    public int batchBytes() {
        return batchBytes;
    }

    public int window() {
        return window;
    }

    public long maxGroupBytes() {
        return maxGroupBytes;
    }

    public long helloTimeoutMillis() {
        return helloTimeoutMillis;
    }

    public long progressTimeoutMillis() {
        return progressTimeoutMillis;
    }

    public int echoEntries() {
        return echoEntries;
    }

    /**
     * A receiver with no checkpoint sends a SUMMARY of a collection only when the collection's states take at least
     * this many times the summary's size (0: always, when it holds any row).
     */
    public int summaryRatio() {
        return summaryRatio;
    }

    /** Whether to announce {@link #CAP_DEFLATE} and compress BATCH and DOCS to peers that announce it too. */
    public boolean deflate() {
        return deflate;
    }

    /**
     * Whether to announce {@link #CAP_RANGES}: with it on both sides, peers that never met reconcile by ranges instead of
     * summaries (off: the behaviour of a peer that predates them, for compatibility tests).
     */
    public boolean ranges() {
        return ranges;
    }

    /**
     * Whether to announce {@link #CAP_EVERY} and honour {@link Subscription#EVERY} from a remote. Off, the session
     * behaves as a peer that predates it (a remote's EVERY closes the session as {@code malformed}, and our own is
     * sent as one subscription per collection we hold); for compatibility tests.
     */
    public boolean everyCollection() {
        return everyCollection;
    }

    /**
     * Whether to announce {@link #CAP_DELTAS}: with it on both sides, a resumed session sends a changed document as its
     * newest writes when that is smaller than its whole state.
     */
    public boolean deltas() {
        return deltas;
    }

    /**
     * Whether to announce {@link #CAP_RESUME}: with it on both sides (and a {@link ResumeMemory} in each store), a
     * receiver whose subscriptions did not change since the sender last processed them sends a marker instead of the
     * whole SUBSCRIPTIONS (off: the behaviour of a peer that predates it, for compatibility tests).
     */
    public boolean resume() {
        return resume;
    }

    /**
     * Whether to announce {@link #CAP_HINT_PASS} (off: the behaviour of a peer that predates it, for compatibility
     * tests).
     */
    public boolean hintPasses() {
        return hintPasses;
    }

    /**
     * Whether to announce {@link #CAP_PRESENCE_RESUME}: with it on both sides, a session's first presence view that is
     * the last view sent to that peer with only the sender's own sequence changed goes as a short marker (off: the
     * behaviour of a peer that predates it, for compatibility tests).
     */
    public boolean presenceResume() {
        return presenceResume;
    }

    @Override
    public String toString() {
        return "SessionConfig[maxFrameBytes=" + maxFrameBytes + ", batchBytes=" + batchBytes + ", window=" + window
                + ", maxGroupBytes=" + maxGroupBytes + ", helloTimeoutMillis=" + helloTimeoutMillis
                + ", progressTimeoutMillis=" + progressTimeoutMillis + ", echoEntries=" + echoEntries
                + ", summaryRatio=" + summaryRatio + ", deflate=" + deflate + ", ranges=" + ranges
                + ", everyCollection=" + everyCollection + ", deltas=" + deltas + ", resume=" + resume
                + ", hintPasses=" + hintPasses + ", presenceResume=" + presenceResume + "]";
    }

    public static final class Builder {
        private int maxFrameBytes = 1 << 20;
        private int batchBytes = 256 << 10;
        private int window = 4;
        private long maxGroupBytes = 64L << 20;
        private long helloTimeoutMillis = 10_000;
        private long progressTimeoutMillis = 60_000;
        private int echoEntries = 100_000;
        private int summaryRatio = 4;
        private boolean deflate = true;
        private boolean ranges = true;
        private boolean everyCollection = true;
        private boolean deltas = true;
        private boolean resume = true;
        private boolean hintPasses = true;
        private boolean presenceResume = true;

        private Builder() {}

        public Builder maxFrameBytes(int v) {
            if (v < MIN_FRAME || v > MAX_FRAME) {
                throw new IllegalArgumentException(
                        "maxFrameBytes must be between " + MIN_FRAME + " and " + MAX_FRAME + ": " + v);
            }
            maxFrameBytes = v;
            return this;
        }

        public Builder batchBytes(int v) {
            if (v < 4096 || v > MAX_FRAME)
                throw new IllegalArgumentException("batchBytes must be between 4096 and " + MAX_FRAME + ": " + v);
            batchBytes = v;
            return this;
        }

        public Builder window(int v) {
            if (v < 1 || v > 1024) throw new IllegalArgumentException("window must be between 1 and 1024: " + v);
            window = v;
            return this;
        }

        public Builder maxGroupBytes(long v) {
            if (v < MIN_FRAME)
                throw new IllegalArgumentException("maxGroupBytes must be at least " + MIN_FRAME + ": " + v);
            maxGroupBytes = v;
            return this;
        }

        public Builder helloTimeoutMillis(long v) {
            if (v <= 0) throw new IllegalArgumentException("helloTimeoutMillis must be positive: " + v);
            helloTimeoutMillis = v;
            return this;
        }

        public Builder progressTimeoutMillis(long v) {
            if (v <= 0) throw new IllegalArgumentException("progressTimeoutMillis must be positive: " + v);
            progressTimeoutMillis = v;
            return this;
        }

        public Builder echoEntries(int v) {
            if (v < 0 || v > 10_000_000)
                throw new IllegalArgumentException("echoEntries must be between 0 and 10000000: " + v);
            echoEntries = v;
            return this;
        }

        public Builder summaryRatio(int v) {
            if (v < 0 || v > 1_000_000)
                throw new IllegalArgumentException("summaryRatio must be between 0 and 1000000: " + v);
            summaryRatio = v;
            return this;
        }

        public Builder deflate(boolean v) {
            deflate = v;
            return this;
        }

        public Builder everyCollection(boolean v) {
            everyCollection = v;
            return this;
        }

        public Builder ranges(boolean v) {
            ranges = v;
            return this;
        }

        public Builder deltas(boolean v) {
            deltas = v;
            return this;
        }

        public Builder resume(boolean v) {
            resume = v;
            return this;
        }

        public Builder hintPasses(boolean v) {
            hintPasses = v;
            return this;
        }

        public Builder presenceResume(boolean v) {
            presenceResume = v;
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalArgumentException when maxGroupBytes is below maxFrameBytes
         */
        public SessionConfig build() {
            if (maxGroupBytes < maxFrameBytes) {
                throw new IllegalArgumentException(
                        "maxGroupBytes (" + maxGroupBytes + ") must be at least maxFrameBytes (" + maxFrameBytes + ")");
            }
            return new SessionConfig(this);
        }
    }
}
