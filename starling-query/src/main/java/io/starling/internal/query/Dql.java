package io.starling.internal.query;

/**
 * Entry point of the query language: parses DQL text into an immutable {@link Statement}.
 * See docs/QUERY-LANGUAGE.md for the language.
 */
public final class Dql {
    private Dql() {}

    /**
     * Parses one statement (an optional trailing {@code ;} is allowed). Thread-safe; the result may be cached and
     * shared.
     *
     * @throws DqlException SYNTAX or INVALID, with the line and column of the offending token
     */
    public static Statement parse(String text) {
        return Parser.parseStatement(text);
    }

    /**
     * Whether {@code text} is {@code SELECT * FROM *}, the sync subscription to every collection (any case, spacing and
     * comments, an optional {@code ;}). It is not a statement: {@link #parse} refuses it.
     *
     * @throws DqlException INVALID, with the position, when something follows {@code FROM *}
     */
    public static boolean isEveryCollection(String text) {
        return Parser.isEveryCollection(text);
    }

    /**
     * Parses a standalone expression (no aggregates), for tools and tests.
     *
     * @throws DqlException SYNTAX or INVALID, with the line and column of the offending token
     */
    public static Expr parseExpression(String text) {
        return Parser.parseExpression(text);
    }
}
