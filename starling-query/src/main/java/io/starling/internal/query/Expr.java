package io.starling.internal.query;

/**
 * A parsed DQL expression: an immutable, thread-safe tree whose equality is structural (two parses of the same
 * text are equal; source positions are not part of the tree). The concrete node types are internal; what a
 * caller can do with an expression is print it back as DQL and hand it to {@link QueryExecutor}.
 */
public sealed interface Expr permits Node {
    /**
     * The expression as DQL text, fully parenthesised, such that {@code Dql.parseExpression(e.toDql())} gives an
     * expression equal to {@code e}.
     */
    String toDql();
}
