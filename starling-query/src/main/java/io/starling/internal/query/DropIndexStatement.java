package io.starling.internal.query;

import java.util.List;

/**
 * {@code DROP INDEX [IF EXISTS] name ON collection} (or {@code DROP INDEX collection.name}). The engine removes the
 * index in a write transaction; without {@code IF EXISTS} an unknown index is an error.
 */
public final class DropIndexStatement extends BaseStatement implements Statement {
    private final String name;
    private final String collection;
    private final boolean ifExists;
    private final int line;
    private final int column;

    DropIndexStatement(String name, String collection, boolean ifExists, int line, int column) {
        super(List.of(), 0);
        this.name = name;
        this.collection = collection;
        this.ifExists = ifExists;
        this.line = line;
        this.column = column;
    }

    public String name() {
        return name;
    }

    @Override
    public String collection() {
        return collection;
    }

    public boolean ifExists() {
        return ifExists;
    }

    /** True: the engine runs it in a write transaction. */
    @Override
    public boolean isMutation() {
        return true;
    }

    /** 1-based line of {@code DROP}, for errors about the statement as a whole (an unknown index). */
    public int line() {
        return line;
    }

    /** 1-based column of {@code DROP}. */
    public int column() {
        return column;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DROP INDEX ");
        if (ifExists) sb.append("IF EXISTS ");
        Keywords.appendIdentifier(sb, name);
        return sb.append(" ON ").append(Parser.collectionText(collection)).toString();
    }
}
