package io.starling.internal.sync;

import io.starling.internal.core.Value;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A subscription as the protocol carries it: {@code SELECT * FROM collection [WHERE …]} text and its
 * arguments (an object value). The store validated the form when the application registered it; the
 * session treats the query as opaque and asks the store whether rows match.
 *
 * <p>One subscription is the session's own: {@link #EVERY}, {@code SELECT * FROM *}, every document of every
 * collection but the system ones. Its collection is empty (no collection has an empty name, so it cannot be
 * mistaken for one); the session matches it itself, never asking the store, and sends it only to peers that
 * announced {@link SessionConfig#CAP_EVERY} (others are given one subscription per collection we hold instead).
 */
public record Subscription(SubscriptionKey key, String collection, String query, Value.Obj args) {
    /** The text of the subscription to every collection. */
    public static final String EVERY_QUERY = "SELECT * FROM *";

    /** Every document of every collection except the system ones ({@code system:…}). */
    public static final Subscription EVERY = of("", EVERY_QUERY, Value.Obj.EMPTY);

    /** The prefix of system collections, which {@link #EVERY} does not cover. */
    static final String SYSTEM_PREFIX = "system:";

    public Subscription {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(args, "args");
    }

    /** Whether this is {@link #EVERY}, the subscription to every collection. */
    public boolean everyCollection() {
        return collection.isEmpty();
    }

    private static final Pattern WHOLE = Pattern.compile(
            "\\s*select\\s+\\*\\s+from\\s+(`([^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*)\\s*;?\\s*", Pattern.CASE_INSENSITIVE);

    /**
     * Whether every live document of the collection matches: {@link #EVERY}, or {@code SELECT * FROM c} with nothing
     * after the name. Judged on the text alone; a whole subscription written otherwise counts as filtered, which costs
     * at most a backfill, never a document.
     */
    public boolean matchesEveryDocument() {
        return everyCollection() || WHOLE.matcher(query).matches();
    }

    /** Whether {@link #EVERY} covers the collection: any but a system one. */
    public static boolean coveredByEvery(String collection) {
        return !collection.isEmpty() && !collection.startsWith(SYSTEM_PREFIX);
    }

    /**
     * {@code SELECT * FROM `collection`}: the subscription to one whole collection (the name always backticked, so that
     * a reserved word or any other text is read as the name) — what a subscription to every collection becomes, one per collection, for a peer that does not
     * read {@link #EVERY}.
     */
    public static Subscription wholeCollection(String collection) {
        if (collection.isEmpty()) throw new IllegalArgumentException("empty collection name");
        return of(collection, "SELECT * FROM `" + collection.replace("`", "``") + "`", Value.Obj.EMPTY);
    }

    /** A subscription with its key computed from the query text and arguments. */
    public static Subscription of(String collection, String query, Value.Obj args) {
        return new Subscription(SubscriptionKey.of(query, args), collection, query, args);
    }
}
