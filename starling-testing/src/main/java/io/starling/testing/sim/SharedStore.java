package io.starling.testing.sim;

import io.starling.internal.storage.DocumentStorage;
import io.starling.internal.storage.InMemoryStorage;

/*
 * Design note — the store of a server cluster.
 *
 * Server nodes of one logical server share one database (PostgreSQL in production): one store, one peer identity
 * (the site id stored in it), a stamp site per node (drawn when the node opens), one change log. Here the database
 * is one InMemoryStorage that every node's engine opens, each through a view of its own. Transactions are atomic and
 * run one at a time, as the PostgreSQL storage makes them (every write transaction locks the one counter row), so
 * change sequence numbers follow commit order: a reader that trusts the highest number it has seen (a node's log
 * tail, a session's checkpoint) never skips a row.
 *
 * The planted fault CACHED_SEQUENCE breaks exactly that: each node takes its numbers from a block it reserved
 * earlier (as a database SEQUENCE whose sessions cache numbers does), so a node commits numbers below those another
 * node committed before. A device whose checkpoint is past the other node's block then never receives the rows
 * numbered below it — the classic trap of tailing a change log by sequence number.
 */

/** The one store of the server nodes of a cluster, and each node's view of it. Not thread-safe (one run). */
final class SharedStore {
    /** Numbers a node reserves at once under CACHED_SEQUENCE, and the least it keeps free for one transaction. */
    static final int BLOCK = 64, ROOM = 32;

    final InMemoryStorage disk = new InMemoryStorage();
    private final boolean cachedSequence;
    private final long[] next, end;
    private long reserved;
    /** Write transactions committed by any node, to tell whether a node's action changed the store. */
    long commits;
    /** Under CACHED_SEQUENCE: commits whose rows took numbers below the highest one committed before them. */
    long outOfOrder;

    SharedStore(int nodes, boolean cachedSequence) {
        this.cachedSequence = cachedSequence;
        this.next = new long[nodes];
        this.end = new long[nodes];
    }

    /** What node {@code node}'s engine opens. */
    DocumentStorage forNode(int node) {
        return new DocumentStorage() {
            @Override
            public <T> T write(WriteWork<T> work) {
                T result = cachedSequence ? writeFromBlock(node, work) : disk.write(work);
                commits++;
                return result;
            }

            @Override
            public <T> T read(ReadWork<T> work) {
                return disk.read(work);
            }

            @Override
            public void close() {
                // the database outlives its nodes
            }
        };
    }

    private <T> T writeFromBlock(int node, DocumentStorage.WriteWork<T> work) {
        if (end[node] - next[node] < ROOM) {
            long last = disk.read(DocumentStorage.ReadTx::lastSequence);
            reserved = Math.max(reserved, last); // numbers taken by the nodes' first opens, before any block
            next[node] = reserved + 1;
            end[node] = reserved + BLOCK;
            reserved += BLOCK;
        }
        long first = next[node];
        long highestBefore = disk.read(DocumentStorage.ReadTx::lastSequence);
        T result = disk.writeNumberedFrom(first, work);
        long[] used = {first - 1};
        disk.read(tx -> {
            tx.changesSince(first - 1, BLOCK, row -> {
                if (row.sequence() > end[node]) return false;
                used[0] = row.sequence();
                return true;
            });
            return Boolean.TRUE;
        });
        if (used[0] >= first && first <= highestBefore) outOfOrder++;
        next[node] = used[0] + 1;
        return result;
    }
}
