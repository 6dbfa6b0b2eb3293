package io.starling.internal.engine;

import io.starling.ObserverHandle;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * The callbacks registered with {@code Presence.observe} or {@code Sync.observePeers}, and their handles. A delivery
 * calls every open callback with the value current at that moment, one delivery at a time (so a callback never runs
 * on two threads at once, and never sees an older value after a newer one). A callback that throws is logged and
 * keeps its registration. Closing a handle waits for a delivery under way on another thread.
 */
final class CallbackList<T> {
    private final String what;
    private final Logger log;
    private final List<Handle> handles = new CopyOnWriteArrayList<>();
    private final Object deliveryLock = new Object();

    /** {@code what} names a callback in the log ("a presence observer"). */
    CallbackList(String what, Logger log) {
        this.what = what;
        this.log = log;
    }

    ObserverHandle add(Consumer<? super T> callback) {
        java.util.Objects.requireNonNull(callback, "callback");
        Handle h = new Handle(callback);
        handles.add(h);
        return h;
    }

    /** Calls every open callback with {@code current.get()}, read once inside the delivery. */
    void deliver(Supplier<T> current) {
        if (handles.isEmpty()) return;
        synchronized (deliveryLock) {
            T value = current.get();
            for (Handle h : handles) h.call(value);
        }
    }

    /** Ends every registration (the instance is closing). */
    void closeAll() {
        for (Handle h : handles) h.close();
    }

    private final class Handle implements ObserverHandle {
        private final Consumer<? super T> callback;
        private volatile boolean closed;

        Handle(Consumer<? super T> callback) {
            this.callback = callback;
        }

        void call(T value) {
            if (closed) return;
            try {
                callback.accept(value);
            } catch (RuntimeException e) {
                log.warn("{} threw", what, e);
            }
        }

        @Override
        public boolean isClosed() {
            return closed;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            handles.remove(this);
            synchronized (deliveryLock) {
                // waits for a delivery running on another thread; reentrant from inside the callback
            }
        }
    }
}
