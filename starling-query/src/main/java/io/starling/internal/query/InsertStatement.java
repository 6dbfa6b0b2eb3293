package io.starling.internal.query;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code INSERT INTO coll [INITIAL] DOCUMENTS (e), (e), … [ON ID CONFLICT FAIL | DO NOTHING | DO UPDATE |
 * DO UPDATE_LOCAL_DIFF]}. {@link QueryExecutor#insertDocuments} evaluates the documents; the engine applies the
 * conflict policy.
 */
public final class InsertStatement extends BaseStatement implements Statement {

    /** What to do when a document's {@code _id} already exists locally. */
    public enum OnIdConflict {
        /** The statement fails (the default). */
        FAIL,
        /** The existing document is kept; the new one is skipped. */
        DO_NOTHING,
        /** The supplied fields are written; other fields are kept. */
        DO_UPDATE,
        /** Only the supplied fields whose value differs from the local one are written. */
        DO_UPDATE_LOCAL_DIFF
    }

    private final String collection;
    private final List<Node> documents;
    /** {line, column} of each document expression. */
    final List<int[]> positions;

    private final OnIdConflict onIdConflict;
    private final boolean initial;
    /** The argument each document is, when every one is a bare {@code :name}; else null. */
    private final @Nullable List<String> documentArguments;

    private final Set<String> documentArgumentSet;

    InsertStatement(
            String collection,
            List<Node> documents,
            List<int[]> positions,
            OnIdConflict onIdConflict,
            boolean initial,
            List<ArgUse> argUses,
            int frameSize) {
        super(argUses, frameSize);
        this.collection = collection;
        this.documents = List.copyOf(documents);
        this.positions = List.copyOf(positions);
        this.onIdConflict = onIdConflict;
        this.initial = initial;
        List<String> names = new ArrayList<>(documents.size());
        for (Node d : documents) if (d instanceof Node.Arg a) names.add(a.name());
        this.documentArguments = names.size() == documents.size() ? List.copyOf(names) : null;
        this.documentArgumentSet = documentArguments == null ? Set.of() : new HashSet<>(documentArguments);
    }

    /**
     * The argument names of the documents, in order, when every document is a bare argument ({@code DOCUMENTS (:d0),
     * (:d1)}): an INSERT whose arguments are all new documents given as maps can write them without evaluating
     * anything. Null when some document is another expression.
     */
    public @Nullable List<String> documentArguments() {
        return documentArguments;
    }

    /** Whether {@code name} is one of {@link #documentArguments} (a set: a 1,000-document INSERT asks 1,000 times). */
    public boolean isDocumentArgument(String name) {
        return documentArgumentSet.contains(name);
    }

    @Override
    public String collection() {
        return collection;
    }

    @Override
    public boolean isMutation() {
        return true;
    }

    /** The DOCUMENTS expressions, in order. */
    public List<Expr> documents() {
        return List.copyOf(documents);
    }

    List<Node> documentNodes() {
        return documents;
    }

    public OnIdConflict onIdConflict() {
        return onIdConflict;
    }

    /**
     * True for {@code INITIAL DOCUMENTS}: insert only ids absent locally; such a write never overrides a real one.
     */
    public boolean initial() {
        return initial;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("INSERT INTO ").append(Parser.collectionText(collection));
        sb.append(initial ? " INITIAL DOCUMENTS " : " DOCUMENTS ");
        for (int i = 0; i < documents.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append('(').append(documents.get(i).toDql()).append(')');
        }
        if (onIdConflict != OnIdConflict.FAIL)
            sb.append(" ON ID CONFLICT ")
                    .append(onIdConflict.name().replace('_', ' ').replace("UPDATE LOCAL DIFF", "UPDATE_LOCAL_DIFF"));
        return sb.toString();
    }
}
