package io.starling.testing.model;

/**
 * The stamp of one write as the model orders it: a hybrid-logical-clock value ({@code hlc}: 48 bits of
 * milliseconds and a 16-bit counter, never negative), then the writer's 64-bit site id compared as an
 * <em>unsigned</em> number (docs/DATA-MODEL.md, "Timestamps"). Written here, not borrowed from the engine, so that
 * a wrong order in the engine shows as a difference.
 */
public record ModelStamp(long hlc, long site) implements Comparable<ModelStamp> {
    /** Below every write (the parent clear of the document root). */
    public static final ModelStamp ZERO = new ModelStamp(0, 0);

    /**
     * Stands for the stamp of a write that is being planned: above every real stamp. {@link Plan#bind} replaces it
     * with the stamp the engine gave the write.
     */
    static final ModelStamp PENDING = new ModelStamp(Long.MAX_VALUE, -1L);

    public ModelStamp {
        if (hlc < 0) throw new IllegalArgumentException("an hlc is never negative: " + hlc);
    }

    @Override
    public int compareTo(ModelStamp o) {
        if (hlc != o.hlc) return hlc < o.hlc ? -1 : 1;
        // unsigned: flipping the sign bit maps 0..2^64-1 onto Long.MIN_VALUE..Long.MAX_VALUE in order
        long a = site ^ Long.MIN_VALUE, b = o.site ^ Long.MIN_VALUE;
        return a == b ? 0 : a < b ? -1 : 1;
    }

    public boolean after(ModelStamp o) {
        return compareTo(o) > 0;
    }

    public static ModelStamp max(ModelStamp a, ModelStamp b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /** The millisecond part of the hlc. */
    public long millis() {
        return hlc >>> 16;
    }

    @Override
    public String toString() {
        if (this.equals(PENDING)) return "(pending)";
        return millis() + "." + (hlc & 0xffff) + "@" + Long.toUnsignedString(site, 16);
    }
}
