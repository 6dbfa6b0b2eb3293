package io.starling.internal.query;

import io.starling.internal.core.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code UPDATE coll [APPLY path INCREMENT BY e | APPLY path RESTART [WITH e], …] [SET path = e, …]
 * [UNSET path, …] [WHERE cond]}, clauses in any order. {@link QueryExecutor#updateOps} turns it into field
 * operations per matched document. Paths are static and pairwise non-overlapping (checked at parse time).
 */
public final class UpdateStatement extends BaseStatement implements Statement {

    /** One mutation of the statement, in source order. */
    sealed interface Clause permits Set, Unset, Apply {
        Path path();
    }

    record Set(Path path, Node value) implements Clause {}

    record Unset(Path path) implements Clause {}

    enum ApplyKind {
        INCREMENT,
        RESTART
    }

    /** {@code APPLY path INCREMENT BY amount} / {@code RESTART WITH amount}; amount's position for errors. */
    record Apply(Path path, ApplyKind kind, Node amount, int line, int column) implements Clause {}

    private final String collection;
    final List<Clause> clauses;
    final @Nullable Node where;

    UpdateStatement(
            String collection, List<Clause> clauses, @Nullable Node where, List<ArgUse> argUses, int frameSize) {
        super(argUses, frameSize);
        this.collection = collection;
        this.clauses = List.copyOf(clauses);
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
        StringBuilder sb = new StringBuilder("UPDATE ").append(Parser.collectionText(collection));
        for (Clause c : clauses) {
            sb.append(' ');
            if (c instanceof Set s) {
                sb.append("SET ");
                Node.printSegments(sb, s.path().segments(), false);
                sb.append(" = ").append(s.value().toDql());
            } else if (c instanceof Unset u) {
                sb.append("UNSET ");
                Node.printSegments(sb, u.path().segments(), false);
            } else {
                Apply a = (Apply) c;
                sb.append("APPLY ");
                Node.printSegments(sb, a.path().segments(), false);
                sb.append(a.kind() == ApplyKind.INCREMENT ? " INCREMENT BY " : " RESTART WITH ")
                        .append(a.amount().toDql());
            }
        }
        if (where != null) sb.append(" WHERE ").append(where.toDql());
        return sb.toString();
    }
}
