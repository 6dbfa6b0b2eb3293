package io.starling.testing.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the stamp table of an encoded document state, following the documented format (docs/DATA-MODEL.md,
 * "The state codec": version byte 1, an unsigned LEB128 count, then per stamp the LEB128 hlc delta from the
 * previous stamp and the 8-byte big-endian site) with a reader of its own. The model needs a write's stamp — the
 * one thing a statement's result does not say — and takes it from the writer's state right after the write.
 */
public final class EncodedState {
    private EncodedState() {}

    /** Every stamp in the state's table. */
    public static List<ModelStamp> stamps(byte[] state) {
        if (state.length == 0 || state[0] != 1) throw new IllegalArgumentException("not a version-1 document state");
        int[] pos = {1};
        long count = varLong(state, pos);
        if (count < 0 || count > state.length) throw new IllegalArgumentException("bad stamp count " + count);
        List<ModelStamp> out = new ArrayList<>((int) count);
        long hlc = 0;
        for (long i = 0; i < count; i++) {
            hlc += varLong(state, pos);
            if (pos[0] + 8 > state.length) throw new IllegalArgumentException("truncated stamp table");
            long site = 0;
            for (int b = 0; b < 8; b++) site = (site << 8) | (state[pos[0]++] & 0xff);
            out.add(new ModelStamp(hlc, site));
        }
        return out;
    }

    /** The greatest stamp of the state ({@link ModelStamp#ZERO} for none), by the model's own order. */
    public static ModelStamp newest(byte[] state) {
        ModelStamp m = ModelStamp.ZERO;
        for (ModelStamp s : stamps(state)) m = ModelStamp.max(m, s);
        return m;
    }

    private static long varLong(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= b.length) throw new IllegalArgumentException("truncated varint");
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) return v;
        }
        throw new IllegalArgumentException("varint longer than 10 bytes");
    }
}
