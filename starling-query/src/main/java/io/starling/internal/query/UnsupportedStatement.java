package io.starling.internal.query;

import java.util.List;

/**
 * A statement that parses (so its syntax is checked and errors have positions) but that this version does not
 * execute: {@code CREATE INDEX}, {@code DROP INDEX}, {@code EXPLAIN}. The engine answers it with
 * {@link #unsupported()}.
 */
public final class UnsupportedStatement extends BaseStatement implements Statement {

    public enum Kind {
        CREATE_INDEX("CREATE INDEX"), DROP_INDEX("DROP INDEX"), EXPLAIN("EXPLAIN");

        private final String text;

        Kind(String text) {
            this.text = text;
        }

        /** The statement's keywords, e.g. "CREATE INDEX". */
        public String text() {
            return text;
        }
    }

    private final Kind kind;
    private final String collection;
    private final String indexName;
    private final Statement explained;
    private final int line;
    private final int column;

    UnsupportedStatement(Kind kind, String collection, String indexName, Statement explained, int line, int column) {
        super(List.of(), 0);
        this.kind = kind;
        this.collection = collection;
        this.indexName = indexName;
        this.explained = explained;
        this.line = line;
        this.column = column;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String collection() {
        return collection;
    }

    @Override
    public boolean isMutation() {
        return false;
    }

    /** The index name of CREATE/DROP INDEX, else null. */
    public String indexName() {
        return indexName;
    }

    /** The statement under EXPLAIN, else null. */
    public Statement explained() {
        return explained;
    }

    /** 1-based line of the statement's first keyword. */
    public int line() {
        return line;
    }

    /** 1-based column of the statement's first keyword. */
    public int column() {
        return column;
    }

    /** The error the engine raises for this statement: UNSUPPORTED, at the statement's first keyword. */
    public DqlException unsupported() {
        return new DqlException(DqlException.Kind.UNSUPPORTED, line, column, kind.text() + " is not supported yet");
    }

    @Override
    public String toString() {
        switch (kind) {
            case EXPLAIN:
                return "EXPLAIN " + explained;
            case CREATE_INDEX:
                return "CREATE INDEX " + indexName + " ON " + Parser.collectionText(collection) + " (…)";
            default:
                return "DROP INDEX " + indexName;
        }
    }
}
