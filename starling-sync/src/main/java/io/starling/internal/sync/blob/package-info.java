/**
 * The attachment transfer protocol, sans I/O: {@link io.starling.internal.sync.blob.BlobServer} serves the chunks of
 * blobs on one connection, {@link io.starling.internal.sync.blob.BlobFetch} fetches one blob from the connected peers.
 * docs/SYNC-PROTOCOL.md, "Attachments", describes the protocol.
 */
@NullMarked
package io.starling.internal.sync.blob;

import org.jspecify.annotations.NullMarked;
