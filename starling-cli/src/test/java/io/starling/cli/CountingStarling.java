package io.starling.cli;

import io.starling.ObserverCallback;
import io.starling.Presence;
import io.starling.QueryResult;
import io.starling.SignalNextCallback;
import io.starling.Starling;
import io.starling.StarlingConfig;
import io.starling.Store;
import io.starling.StoreObserver;
import io.starling.Sync;
import io.starling.TransactionWork;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real instance seen through a wrapper that counts the observers registered and not yet closed, so that tests can
 * check that the HTTP API closes every observer it opens (an event stream whose client left must not leak one).
 */
final class CountingStarling implements Starling {
    private final Starling delegate;
    private final AtomicInteger openObservers = new AtomicInteger();
    private final Store store;
    private final Presence presence;

    CountingStarling(Starling delegate) {
        this.delegate = delegate;
        this.store = new CountingStore(delegate.store());
        this.presence = new CountingPresence(delegate.presence());
    }

    /** The wrapped instance. */
    Starling delegate() {
        return delegate;
    }

    /** Observers registered through this wrapper and not closed. */
    int openObservers() {
        return openObservers.get();
    }

    @Override
    public Store store() {
        return store;
    }

    @Override
    public Sync sync() {
        return delegate.sync();
    }

    @Override
    public Presence presence() {
        return presence;
    }

    @Override
    public StarlingConfig config() {
        return delegate.config();
    }

    @Override
    public void close() {
        delegate.close();
    }

    private final class CountingStore implements Store {
        private final Store store;

        CountingStore(Store store) {
            this.store = store;
        }

        @Override
        public QueryResult execute(String statement) {
            return store.execute(statement);
        }

        @Override
        public QueryResult execute(String statement, Map<String, ?> arguments) {
            return store.execute(statement, arguments);
        }

        @Override
        public <T> T transaction(TransactionWork<T> work) {
            return store.transaction(work);
        }

        @Override
        public <T> T readTransaction(TransactionWork<T> work) {
            return store.readTransaction(work);
        }

        @Override
        public StoreObserver registerObserver(String query, Map<String, ?> arguments, ObserverCallback callback) {
            return counted(store.registerObserver(query, arguments, callback));
        }

        @Override
        public StoreObserver registerObserver(
                String query, Map<String, ?> arguments, Executor executor, ObserverCallback callback) {
            return counted(store.registerObserver(query, arguments, executor, callback));
        }

        @Override
        public StoreObserver registerObserverWithSignalNext(
                String query, Map<String, ?> arguments, SignalNextCallback callback) {
            return counted(store.registerObserverWithSignalNext(query, arguments, callback));
        }

        @Override
        public StoreObserver registerObserverWithSignalNext(
                String query, Map<String, ?> arguments, Executor executor, SignalNextCallback callback) {
            return counted(store.registerObserverWithSignalNext(query, arguments, executor, callback));
        }

        @Override
        public Health health() {
            return store.health();
        }

        @Override
        public io.starling.AttachmentToken newAttachment(java.nio.file.Path file, Map<String, String> metadata) {
            return store.newAttachment(file, metadata);
        }

        @Override
        public io.starling.AttachmentToken newAttachment(byte[] data, Map<String, String> metadata) {
            return store.newAttachment(data, metadata);
        }

        @Override
        public io.starling.AttachmentToken newAttachment(java.io.InputStream in, Map<String, String> metadata) {
            return store.newAttachment(in, metadata);
        }

        @Override
        public io.starling.AttachmentFetcher fetchAttachment(
                io.starling.AttachmentToken token, io.starling.AttachmentFetchListener listener) {
            return store.fetchAttachment(token, listener);
        }

        @Override
        public java.util.List<io.starling.AttachmentFetcher> attachmentFetchers() {
            return store.attachmentFetchers();
        }

        @Override
        public io.starling.StoreChange.Page changes(long after, int max, java.util.Set<String> collections) {
            return store.changes(after, max, collections);
        }

        @Override
        public io.starling.ObserverHandle observeCommits(Runnable callback) {
            return countedHandle(store.observeCommits(callback));
        }

        private StoreObserver counted(StoreObserver observer) {
            openObservers.incrementAndGet();
            return new StoreObserver() {
                private final AtomicInteger closes = new AtomicInteger();

                @Override
                public String query() {
                    return observer.query();
                }

                @Override
                public boolean isClosed() {
                    return observer.isClosed();
                }

                @Override
                public void close() {
                    observer.close();
                    if (closes.getAndIncrement() == 0) openObservers.decrementAndGet();
                }
            };
        }
    }

    private io.starling.ObserverHandle countedHandle(io.starling.ObserverHandle handle) {
        openObservers.incrementAndGet();
        AtomicInteger closes = new AtomicInteger();
        return new io.starling.ObserverHandle() {
            @Override
            public boolean isClosed() {
                return handle.isClosed();
            }

            @Override
            public void close() {
                handle.close();
                if (closes.getAndIncrement() == 0) openObservers.decrementAndGet();
            }
        };
    }

    /** Presence whose observers count with the store's. */
    private final class CountingPresence implements Presence {
        private final Presence presence;

        CountingPresence(Presence presence) {
            this.presence = presence;
        }

        @Override
        public Graph graph() {
            return presence.graph();
        }

        @Override
        public io.starling.ObserverHandle observe(java.util.function.Consumer<Graph> callback) {
            return countedHandle(presence.observe(callback));
        }

        @Override
        public void setMetadata(Map<String, ?> metadata) {
            presence.setMetadata(metadata);
        }

        @Override
        public void setConnectionRequestHandler(ConnectionRequestHandler handler, java.time.Duration timeout) {
            presence.setConnectionRequestHandler(handler, timeout);
        }
    }
}
