package io.starling.internal.query;

import java.util.List;

/** {@code EVICT FROM coll [WHERE cond]}: removes the local copies of the matching documents (no tombstone). */
public final class EvictStatement extends BaseStatement implements Statement {
    private final String collection;
    final Node where;

    EvictStatement(String collection, Node where, List<ArgUse> argUses, int frameSize) {
        super(argUses, frameSize);
        this.collection = collection;
        this.where = where;
    }

    @Override
    public String collection() {
        return collection;
    }

    @Override
    public boolean isMutation() {
        return true;
    }

    /** The condition, or null when every document matches. */
    public Expr where() {
        return where;
    }

    @Override
    public String toString() {
        return "EVICT FROM " + Parser.collectionText(collection) + (where == null ? "" : " WHERE " + where.toDql());
    }
}
