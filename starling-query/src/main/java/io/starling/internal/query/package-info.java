/**
 * DQL, the query language: lexer, recursive-descent parser, immutable AST, a pure evaluator and the planner that
 * chooses between full scans, {@code _id} lookups and index scans.
 *
 * <p>Public surface: {@link io.starling.internal.query.Dql} (parse), the {@link io.starling.internal.query.Statement}
 * family, {@link io.starling.internal.query.Expr}, {@link io.starling.internal.query.QueryExecutor} (run),
 * {@link io.starling.internal.query.EvalContext}, {@link io.starling.internal.query.DocumentSource} and
 * {@link io.starling.internal.query.DqlException}. Everything else is package-private. The package is pure — no
 * I/O, threads, clock reads or unseeded randomness (checked by an ArchUnit test) — and every public type is
 * immutable or stateless, hence thread-safe. The language is specified in docs/QUERY-LANGUAGE.md; the design
 * notes are at the top of {@code Parser}, {@code Node} and {@code Planner}.
 */
@NullMarked
package io.starling.internal.query;

import org.jspecify.annotations.NullMarked;
