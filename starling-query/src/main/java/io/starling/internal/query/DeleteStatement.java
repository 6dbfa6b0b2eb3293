package io.starling.internal.query;

import java.util.List;

/** {@code DELETE FROM coll [WHERE cond]}: the engine tombstones the documents {@link QueryExecutor#matching} returns. */
public final class DeleteStatement extends FilteredStatement {
    DeleteStatement(String collection, Node where, List<ArgUse> argUses, int frameSize) {
        super("DELETE", collection, where, argUses, frameSize);
    }
}
