package io.starling.cli;

import io.starling.ObserverHandle;
import io.starling.Presence;

/**
 * {@code GET /api/v1/presence/observe}: the presence graph as Server-Sent Events, the current graph first and then
 * the graph each time it changes, each event's data the JSON of {@code GET /api/v1/presence}. Built like the live
 * query stream: {@link Presence#observe} feeds it, and at most one event is in flight; changes that come while one
 * is being written are coalesced, and the graph is read when its event is sent (a slow reader sees fewer graphs,
 * never a stale one).
 *
 * <p>Thread-safe: the observer runs on the instance's sync thread and must not block, so it only renders the graph
 * and hands it over; the sink writes it on the server's threads.
 */
final class PresenceStream implements HttpApi.EventStream {
    private final Presence presence;

    PresenceStream(Presence presence) {
        this.presence = presence;
    }

    @Override
    public AutoCloseable start(HttpApi.EventSink sink) {
        Relay relay = new Relay(sink);
        ObserverHandle handle = presence.observe(graph -> relay.changed());
        relay.changed();
        return handle;
    }

    /**
     * One event in flight; a change while it is written marks the graph dirty, and the graph sent next is read when
     * it is sent, so no event carries a graph older than one already sent.
     */
    private final class Relay {
        private final HttpApi.EventSink sink;
        private boolean sending;
        private boolean dirty;

        Relay(HttpApi.EventSink sink) {
            this.sink = sink;
        }

        void changed() {
            synchronized (this) {
                if (sending) {
                    dirty = true;
                    return;
                }
                sending = true;
            }
            sink.send(PresenceRenderer.json(presence.graph()), this::sent);
        }

        private void sent() {
            synchronized (this) {
                if (!dirty) {
                    sending = false;
                    return;
                }
                dirty = false;
            }
            sink.send(PresenceRenderer.json(presence.graph()), this::sent);
        }
    }
}
