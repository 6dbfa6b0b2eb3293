package io.starling.internal.engine;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one instance; exported by the peer's /metrics later. Thread-safe. */
final class EngineMetrics {
    final LongAdder statements = new LongAdder();
    final LongAdder documentsWritten = new LongAdder();
    final LongAdder documentsMerged = new LongAdder();
    final LongAdder oversizeMerges = new LongAdder();
    /** Rows whose stored state does not decode, met by scans (skipped) or by merges (refused). */
    final LongAdder damagedDocuments = new LongAdder();
}
