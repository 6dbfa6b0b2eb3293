package io.starling.internal.engine;

/**
 * What an instance's attachment layer did since it opened (the CLI shows them in {@code /metrics}).
 *
 * @param chunkBytesSent chunk bytes sent to peers (this peer serving a blob it holds or relays)
 * @param chunkBytesReceived chunk bytes received from peers, whether they verified or not
 * @param chunksRejected chunks that did not verify (wrong length or SHA-256): their peer is given up for the fetch
 *     and the chunk is asked of another
 * @param relaysStarted fetches started on a peer's behalf
 * @param blobsCollected blobs the collector deleted
 */
public record AttachmentCounters(
        long chunkBytesSent, long chunkBytesReceived, long chunksRejected, long relaysStarted, long blobsCollected) {}
