package io.starling.internal.query;

import java.util.List;

/** {@code DELETE FROM coll [WHERE cond]}: the engine tombstones the documents {@link QueryExecutor#matching} returns. */
public final class DeleteStatement extends BaseStatement implements Statement {
    private final String collection;
    final Node where;

    DeleteStatement(String collection, Node where, List<ArgUse> argUses, int frameSize) {
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
        return "DELETE FROM " + Parser.collectionText(collection) + (where == null ? "" : " WHERE " + where.toDql());
    }
}
