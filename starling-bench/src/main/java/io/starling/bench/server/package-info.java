/**
 * The server load harness ({@code bench/server}, docs/BENCHMARKS.md): a fleet of lightweight simulated devices, each a
 * real sync session over the real network stack, against {@code starling server} processes.
 */
@NullMarked
package io.starling.bench.server;

import org.jspecify.annotations.NullMarked;
