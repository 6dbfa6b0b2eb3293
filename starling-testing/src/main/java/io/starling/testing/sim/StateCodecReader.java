package io.starling.testing.sim;

import io.starling.internal.core.BinaryReader;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads counter contributions out of an encoded document state, following the format documented in
 * docs/DATA-MODEL.md ("The state codec") rather than DocumentState's internals: the simulator needs each
 * increment's running sum (what the writer's site had counted toward the counter) to check that a site's
 * running sum never silently restarts.
 */
final class StateCodecReader {
    /**
     * One counter series: a site's running sum since the clear {@code basis}, started at {@code series}, as of
     * {@code stamp}.
     */
    record Contribution(Stamp basis, Stamp series, Stamp stamp, Value sum) {}

    private StateCodecReader() {}

    /** Whether the state's stamp table holds {@code stamp}: some part of the write stamped so is still in it. */
    static boolean holdsStamp(byte[] state, Stamp stamp) {
        BinaryReader r = new BinaryReader(state);
        if (r.readByte() != 1) throw new IllegalArgumentException("state format version is not 1");
        int count = r.readLength(r.remaining());
        long hlc = 0;
        for (int i = 0; i < count; i++) {
            hlc += r.readVarLong();
            if (new Stamp(hlc, r.readFixedLong()).equals(stamp)) return true;
        }
        return false;
    }

    /** The series of {@code site} at {@code path} whose latest increment is {@code stamp}, or null. */
    static @Nullable Contribution contribution(byte[] state, List<String> path, long site, Stamp stamp) {
        BinaryReader r = new BinaryReader(state);
        if (r.readByte() != 1) throw new IllegalArgumentException("state format version is not 1");
        int count = r.readLength(r.remaining());
        Stamp[] stamps = new Stamp[count];
        long hlc = 0;
        for (int i = 0; i < count; i++) {
            hlc += r.readVarLong();
            stamps[i] = new Stamp(hlc, r.readFixedLong());
        }
        return node(r, stamps, path, 0, site, stamp);
    }

    /** Reads one node; returns the wanted contribution if it lies in this subtree. */
    private static @Nullable Contribution node(
            BinaryReader r, Stamp[] stamps, List<String> path, int depth, long site, Stamp stamp) {
        int flags = r.readByte();
        int kind = flags & 3;
        if (kind != 0) {
            r.readLength(Integer.MAX_VALUE);
            if (kind == 1 || kind == 3) ValueCodec.read(r);
        }
        if ((flags & 4) != 0) r.readLength(Integer.MAX_VALUE);
        Contribution found = null;
        if ((flags & 8) != 0) {
            int n = r.readLength(r.remaining());
            for (int i = 0; i < n; i++) {
                String key = r.readString();
                boolean onPath = depth < path.size() && path.get(depth).equals(key);
                Contribution c =
                        node(r, stamps, onPath ? path : List.of(), onPath ? depth + 1 : Integer.MAX_VALUE, site, stamp);
                if (onPath) found = c;
            }
        }
        if ((flags & 16) != 0) {
            int n = r.readLength(r.remaining());
            for (int i = 0; i < n; i++) {
                Stamp basis = stamps[r.readLength(Integer.MAX_VALUE)];
                Stamp series = stamps[r.readLength(Integer.MAX_VALUE)];
                Stamp at = stamps[r.readLength(Integer.MAX_VALUE)];
                Value sum = ValueCodec.read(r);
                if (depth == path.size() && at.site() == site && at.equals(stamp))
                    found = new Contribution(basis, series, at, sum);
            }
        }
        return found;
    }
}
