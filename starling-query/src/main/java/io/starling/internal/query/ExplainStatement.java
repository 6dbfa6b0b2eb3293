package io.starling.internal.query;

/**
 * {@code EXPLAIN <SELECT | UPDATE | DELETE | EVICT>}: {@link QueryExecutor#explain} returns the plan the statement
 * would run with, as one item, without reading or writing any document. Not a mutation, whatever it explains.
 */
public final class ExplainStatement extends BaseStatement implements Statement {
    private final Statement explained;
    private final int line;
    private final int column;

    ExplainStatement(Statement explained, int line, int column) {
        super(((BaseStatement) explained).argUses, ((BaseStatement) explained).frameSize);
        this.explained = explained;
        this.line = line;
        this.column = column;
    }

    /** The statement under EXPLAIN: a SELECT, UPDATE, DELETE or EVICT. */
    public Statement explained() {
        return explained;
    }

    /** The explained statement's collection. */
    @Override
    public String collection() {
        return explained.collection();
    }

    @Override
    public boolean isMutation() {
        return false;
    }

    /** 1-based line of {@code EXPLAIN}. */
    public int line() {
        return line;
    }

    /** 1-based column of {@code EXPLAIN}. */
    public int column() {
        return column;
    }

    @Override
    public String toString() {
        return "EXPLAIN " + explained;
    }
}
