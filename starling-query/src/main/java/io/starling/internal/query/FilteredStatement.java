package io.starling.internal.query;

import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code VERB FROM coll [WHERE cond]}: the shape DELETE and EVICT share. */
abstract sealed class FilteredStatement extends BaseStatement implements Statement
        permits DeleteStatement, EvictStatement {
    private final String verb;
    private final String collection;
    final @Nullable Node where;

    FilteredStatement(String verb, String collection, @Nullable Node where, List<ArgUse> argUses, int frameSize) {
        super(argUses, frameSize);
        this.verb = verb;
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
    public @Nullable Expr where() {
        return where;
    }

    @Override
    public String toString() {
        return verb + " FROM " + Parser.collectionText(collection) + (where == null ? "" : " WHERE " + where.toDql());
    }
}
