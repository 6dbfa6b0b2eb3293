package io.starling.internal.net;

import io.starling.Endpoint;
import java.util.List;

/** A running network stack of one instance. Thread-safe. */
public interface Network extends AutoCloseable {

    /** The endpoints listened on, with the real port where port 0 was asked for. */
    List<Endpoint> listening();

    /** Adds an address to keep connected to (reconnecting with backoff) until the network closes. */
    void connect(Endpoint endpoint);

    /**
     * Adds one peer reachable at several addresses (the nodes of one server) to keep connected to, through one
     * address at a time: each new attempt after a failed attempt or an ended connection goes to the next address.
     */
    void connectToAnyOf(List<Endpoint> addresses);

    /**
     * Stops accepting, dialing and discovery; open connections stay, so that their sessions can still say
     * goodbye. The instance calls it first when it closes. Idempotent.
     */
    default void quiesce() {}

    /**
     * Stops accepting and dialing (if {@link #quiesce()} has not), lets open connections flush what is queued (acknowledgements) for a short
     * grace period, then closes them. Idempotent.
     */
    @Override
    void close();
}
