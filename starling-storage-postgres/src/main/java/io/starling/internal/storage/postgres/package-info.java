/**
 * The storage SPI on PostgreSQL (and Postgres-compatible engines): {@link
 * io.starling.internal.storage.postgres.PostgresStorage}. Several instances on one database are one store.
 */
@NullMarked
package io.starling.internal.storage.postgres;

import org.jspecify.annotations.NullMarked;
