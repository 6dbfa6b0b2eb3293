package io.starling.internal.engine;

import io.starling.Sync;
import java.util.concurrent.atomic.LongAdder;

/** Replication counters of one instance (what {@code /metrics} exports). Thread-safe. */
final class SyncMetrics {
    final LongAdder bytesSent = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
    final LongAdder documentsSent = new LongAdder();
    final LongAdder documentsReceived = new LongAdder();
    final LongAdder connectionsRefused = new LongAdder();
    final LongAdder messagesSent = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder documentsRefused = new LongAdder();
    final LongAdder writesDenied = new LongAdder();
    final LongAdder revocationListsRefused = new LongAdder();

    Sync.Metrics snapshot(int connections) {
        return new Sync.Metrics(
                bytesSent.sum(),
                bytesReceived.sum(),
                documentsSent.sum(),
                documentsReceived.sum(),
                connections,
                connectionsRefused.sum(),
                messagesSent.sum(),
                messagesReceived.sum(),
                documentsRefused.sum(),
                writesDenied.sum(),
                revocationListsRefused.sum());
    }
}
