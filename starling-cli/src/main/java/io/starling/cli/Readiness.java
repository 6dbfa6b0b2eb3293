package io.starling.cli;

import org.jspecify.annotations.Nullable;

/**
 * Whether a peer or server should be sent traffic: what {@code GET /readyz} answers. Not ready while it starts
 * (until its storage is open and every listener is bound), ready then, and not ready again from the moment it starts
 * draining for a stop. Thread-safe.
 */
final class Readiness {
    enum State {
        STARTING,
        READY,
        DRAINING
    }

    private volatile State state;

    private Readiness(State state) {
        this.state = state;
    }

    /** Starts not ready. */
    static Readiness starting() {
        return new Readiness(State.STARTING);
    }

    /** Ready from the start (an HTTP API served on its own, in tests). */
    static Readiness ready() {
        return new Readiness(State.READY);
    }

    void markReady() {
        if (state == State.STARTING) state = State.READY;
    }

    void markDraining() {
        state = State.DRAINING;
    }

    State state() {
        return state;
    }

    /** Why traffic should go elsewhere, or null when ready. */
    @Nullable
    String problem() {
        return switch (state) {
            case STARTING -> "starting: the storage or a listener is not ready yet";
            case READY -> null;
            case DRAINING -> "draining: this node is stopping; use another";
        };
    }
}
