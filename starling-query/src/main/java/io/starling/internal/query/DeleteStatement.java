package io.starling.internal.query;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code DELETE FROM coll [WHERE cond]}: the engine tombstones the documents {@link QueryExecutor#matching} returns. */
public final class DeleteStatement extends FilteredStatement {
    DeleteStatement(String collection, @Nullable Node where, List<ArgUse> argUses, int frameSize) {
        super("DELETE", collection, where, argUses, frameSize);
    }
}
