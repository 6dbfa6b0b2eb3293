/**
 * Change data capture to Kafka: {@link io.starling.internal.cdc.kafka.KafkaChangeSink} tails a store's change feed
 * and produces each change to a Kafka topic, at least once, keyed by collection and document id (docs/CDC.md).
 */
@NullMarked
package io.starling.internal.cdc.kafka;

import org.jspecify.annotations.NullMarked;
