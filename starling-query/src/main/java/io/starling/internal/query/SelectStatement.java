package io.starling.internal.query;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code SELECT [DISTINCT] projections | * FROM coll [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY …] [LIMIT n]
 * [OFFSET n]}. Run it with {@link QueryExecutor#select}.
 */
public final class SelectStatement extends BaseStatement implements Statement {

    /** One projected column: its expression and its output field name. */
    record Projection(Node expr, String name, boolean aliased) {}

    /** An ORDER BY key: an expression, or (projectionIndex >= 0) the value of an aliased projection. */
    record OrderItem(Node expr, boolean descending, int projectionIndex) {}

    /** A LIMIT or OFFSET operand (an integer literal or an argument) and where it was written. */
    record Bound(Node expr, int line, int column) {}

    private final String collection;
    final boolean distinct;
    final boolean selectAll;
    final List<Projection> projections;
    final @Nullable Node where;
    final List<Node> groupBy;
    final @Nullable Node having;
    final List<OrderItem> orderBy;
    final @Nullable Bound limit;
    final @Nullable Bound offset;
    /** The aggregates of projections, HAVING and ORDER BY, indexed by slot. */
    final List<Node.Aggregate> aggregates;
    /** The top-level fields the statement reads, or null for all of them (see {@link FieldRefs}). */
    final java.util.@Nullable Set<String> readFields;

    SelectStatement(
            String collection,
            boolean distinct,
            boolean selectAll,
            List<Projection> projections,
            @Nullable Node where,
            List<Node> groupBy,
            @Nullable Node having,
            List<OrderItem> orderBy,
            @Nullable Bound limit,
            @Nullable Bound offset,
            List<Node.Aggregate> aggregates,
            List<ArgUse> argUses,
            int frameSize) {
        super(argUses, frameSize);
        this.collection = collection;
        this.distinct = distinct;
        this.selectAll = selectAll;
        this.projections = List.copyOf(projections);
        this.where = where;
        this.groupBy = List.copyOf(groupBy);
        this.having = having;
        this.orderBy = List.copyOf(orderBy);
        this.limit = limit;
        this.offset = offset;
        this.aggregates = List.copyOf(aggregates);
        this.readFields = FieldRefs.of(this);
    }

    @Override
    public String collection() {
        return collection;
    }

    @Override
    public boolean isMutation() {
        return false;
    }

    /** The WHERE condition, or null. */
    public @Nullable Expr where() {
        return where;
    }

    /** True for {@code SELECT *} (items are whole documents, with {@code _id}). */
    public boolean selectsAll() {
        return selectAll;
    }

    /** The output field names in projection order; empty for {@code SELECT *}. */
    public List<String> columns() {
        List<String> names = new ArrayList<>(projections.size());
        for (Projection p : projections) names.add(p.name());
        return names;
    }

    /** True when the statement groups rows (GROUP BY or an aggregate in the projections, HAVING or ORDER BY). */
    /**
     * True for {@code SELECT * FROM c [WHERE …]} and nothing more — no DISTINCT, grouping, aggregates,
     * ordering, LIMIT or OFFSET: the form of a sync subscription.
     */
    public boolean isPlainFilter() {
        return selectAll
                && !distinct
                && groupBy.isEmpty()
                && having == null
                && orderBy.isEmpty()
                && limit == null
                && offset == null
                && aggregates.isEmpty();
    }

    public boolean isAggregate() {
        return !groupBy.isEmpty() || !aggregates.isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("SELECT ");
        if (distinct) sb.append("DISTINCT ");
        if (selectAll) {
            sb.append('*');
        } else {
            for (int i = 0; i < projections.size(); i++) {
                if (i > 0) sb.append(", ");
                projections.get(i).expr().print(sb);
                if (projections.get(i).aliased()) {
                    sb.append(" AS ");
                    Keywords.appendIdentifier(sb, projections.get(i).name());
                }
            }
        }
        sb.append(" FROM ").append(Parser.collectionText(collection));
        if (where != null) sb.append(" WHERE ").append(where.toDql());
        if (!groupBy.isEmpty()) {
            sb.append(" GROUP BY ");
            Node.printList(sb, groupBy);
        }
        if (having != null) sb.append(" HAVING ").append(having.toDql());
        for (int i = 0; i < orderBy.size(); i++) {
            OrderItem o = orderBy.get(i);
            sb.append(i == 0 ? " ORDER BY " : ", ");
            if (o.projectionIndex() >= 0)
                Keywords.appendIdentifier(
                        sb, projections.get(o.projectionIndex()).name());
            else o.expr().print(sb);
            if (o.descending()) sb.append(" DESC");
        }
        if (limit != null) sb.append(" LIMIT ").append(limit.expr().toDql());
        if (offset != null) sb.append(" OFFSET ").append(offset.expr().toDql());
        return sb.toString();
    }
}
