package io.starling.cli;

import io.starling.QueryResult;
import java.util.Set;

/** What a statement does, as far as printing its result is concerned. */
enum StatementKind {
    /** SELECT, EXPLAIN: the result is its items. */
    QUERY,
    /** INSERT, UPDATE, DELETE, EVICT: the result is the ids of the documents written. */
    MUTATION,
    /** CREATE INDEX, DROP INDEX: the result is that it worked. */
    DEFINITION;

    private static final Set<String> MUTATIONS = Set.of("INSERT", "UPDATE", "DELETE", "EVICT");
    private static final Set<String> DEFINITIONS = Set.of("CREATE", "DROP");

    /**
     * The kind of {@code statement}, judged by its first keyword, and by its result: a {@link QueryResult} cannot
     * tell an UPDATE that matched nothing from a SELECT that found nothing.
     */
    static StatementKind of(String statement, QueryResult result) {
        if (!result.mutatedDocumentIds().isEmpty()) return MUTATION;
        String keyword = StatementSplitter.firstKeyword(statement);
        if (MUTATIONS.contains(keyword)) return MUTATION;
        if (DEFINITIONS.contains(keyword) && result.items().isEmpty()) return DEFINITION;
        return QUERY;
    }
}
