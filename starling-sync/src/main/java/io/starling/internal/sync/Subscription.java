package io.starling.internal.sync;

import io.starling.internal.core.Value;
import java.util.Objects;

/**
 * A subscription as the protocol carries it: {@code SELECT * FROM collection [WHERE …]} text and its
 * arguments (an object value). The store validated the form when the application registered it; the
 * session treats the query as opaque and asks the store whether rows match.
 */
public record Subscription(SubscriptionKey key, String collection, String query, Value.Obj args) {
    public Subscription {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(collection, "collection");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(args, "args");
    }

    /** A subscription with its key computed from the query text and arguments. */
    public static Subscription of(String collection, String query, Value.Obj args) {
        return new Subscription(SubscriptionKey.of(query, args), collection, query, args);
    }
}
