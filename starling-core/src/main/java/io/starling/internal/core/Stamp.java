package io.starling.internal.core;

/**
 * The timestamp of one write: a hybrid-logical-clock value and the writer's site id. (hlc, site) totally
 * orders all writes of all replicas; HLC values compare as signed longs (they are never negative) and
 * site ids as unsigned longs.
 *
 * <p>{@link #NONE} is below every real stamp. A stamp with {@code hlc == 0} is below every stamp a clock
 * produces: INITIAL DOCUMENTS use it, so that any real write wins over them.
 */
public record Stamp(long hlc, long site) implements Comparable<Stamp> {

    public static final Stamp NONE = new Stamp(0, 0);

    public Stamp {
        if (hlc < 0) throw new IllegalArgumentException("negative hlc " + hlc);
    }

    @Override
    public int compareTo(Stamp o) {
        int c = Long.compare(hlc, o.hlc);
        return c != 0 ? c : Long.compareUnsigned(site, o.site);
    }

    public boolean after(Stamp o) {
        return compareTo(o) > 0;
    }

    public static Stamp max(Stamp a, Stamp b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    public boolean isNone() {
        return hlc == 0 && site == 0;
    }

    @Override
    public String toString() {
        return HybridLogicalClock.format(hlc) + "@" + Long.toUnsignedString(site, 16);
    }
}
