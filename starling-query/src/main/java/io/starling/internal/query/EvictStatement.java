package io.starling.internal.query;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code EVICT FROM coll [WHERE cond]}: removes the local copies of the matching documents (no tombstone). */
public final class EvictStatement extends FilteredStatement {
    EvictStatement(String collection, @Nullable Node where, List<ArgUse> argUses, int frameSize) {
        super("EVICT", collection, where, argUses, frameSize);
    }
}
