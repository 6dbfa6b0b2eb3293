package io.starling;

import java.util.List;
import java.util.Objects;

/**
 * How an observer's result changed since its previous delivery, by position:
 *
 * <ul>
 *   <li>{@link #deletions()}: positions in the <em>previous</em> result of items that are gone;
 *   <li>{@link #insertions()}: positions in the <em>current</em> result of items that are new;
 *   <li>{@link #updates()}: positions in the current result of items that stayed but changed;
 *   <li>{@link #moves()}: items that stayed but changed their order, from previous to current position.
 * </ul>
 *
 * Items are matched by their {@code _id} when the query projects it (so a changed document is an update),
 * otherwise by value (so a changed row is a deletion plus an insertion). Positions are ascending. Immutable.
 */
public final class QueryResultDiff {
    private static final QueryResultDiff EMPTY = new QueryResultDiff(List.of(), List.of(), List.of(), List.of());

    /** An item that moved from {@code from} in the previous result to {@code to} in the current one. */
    public record Move(int from, int to) {}

    private final List<Integer> insertions;
    private final List<Integer> deletions;
    private final List<Integer> updates;
    private final List<Move> moves;

    public QueryResultDiff(List<Integer> insertions, List<Integer> deletions, List<Integer> updates, List<Move> moves) {
        this.insertions = List.copyOf(insertions);
        this.deletions = List.copyOf(deletions);
        this.updates = List.copyOf(updates);
        this.moves = List.copyOf(moves);
    }

    public static QueryResultDiff empty() {
        return EMPTY;
    }

    public List<Integer> insertions() {
        return insertions;
    }

    public List<Integer> deletions() {
        return deletions;
    }

    public List<Integer> updates() {
        return updates;
    }

    public List<Move> moves() {
        return moves;
    }

    public boolean isEmpty() {
        return insertions.isEmpty() && deletions.isEmpty() && updates.isEmpty() && moves.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QueryResultDiff d
                && insertions.equals(d.insertions)
                && deletions.equals(d.deletions)
                && updates.equals(d.updates)
                && moves.equals(d.moves);
    }

    @Override
    public int hashCode() {
        return Objects.hash(insertions, deletions, updates, moves);
    }

    @Override
    public String toString() {
        return "QueryResultDiff{insertions=" + insertions + ", deletions=" + deletions + ", updates=" + updates
                + ", moves=" + moves + '}';
    }
}
