package io.starling.internal.engine;

import io.starling.internal.storage.DocumentStorage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which live documents reference each blob: what the access rule for attachments asks ("may this peer read a document
 * that references it?"). An index in memory, built by one scan of the live documents on first use and then caught up
 * from the change log ({@code changesSince}) before every answer, so it costs one read of the rows written since the
 * last question, not a scan. Entries are candidates: each is checked against the document as it is now before it is
 * answered (an evicted document leaves no row in the change log, so the index may name a document that is gone; it
 * is dropped then). A state that merely contains the bytes of a token's stored form counts as referencing it, as for
 * the collector. Thread-safe (one question at a time).
 */
final class AttachmentReferences {
    private static final HexFormat HEX = HexFormat.of();
    private static final int PAGE = 1024;

    private final DocumentStorage storage;
    private final Map<String, Set<Doc>> byBlob = new HashMap<>();
    private final Map<Doc, Set<String>> byDoc = new HashMap<>();
    /** The sequence the index has read up to; -1 before the first scan. */
    private long through = -1;

    private record Doc(String collection, String id) {}

    AttachmentReferences(DocumentStorage storage) {
        this.storage = storage;
    }

    /** The live documents that reference blob {@code id} (64 hex digits) now, read in one snapshot. */
    synchronized List<DocumentStorage.Row> referencing(String id) {
        return storage.read(tx -> {
            catchUp(tx);
            Set<Doc> docs = byBlob.get(id);
            if (docs == null) return List.of();
            List<DocumentStorage.Row> out = new ArrayList<>();
            for (Doc d : new ArrayList<>(docs)) {
                DocumentStorage.Row row = tx.get(d.collection(), HEX.parseHex(d.id()));
                Set<String> now = new HashSet<>();
                if (row != null && row.live()) AttachmentTokens.collectIds(row.state(), now);
                if (now.contains(id)) out.add(row);
                else if (row == null) forget(d); // evicted: no change-log row will ever say so
            }
            return out;
        });
    }

    private void catchUp(DocumentStorage.ReadTx tx) {
        if (through < 0) {
            long last = tx.lastSequence(); // the snapshot's: every row scanned below is at or under it
            for (String c : tx.collections()) {
                tx.scan(c, true, row -> {
                    index(row);
                    return true;
                });
            }
            through = last;
            return;
        }
        while (true) {
            long[] last = {through};
            int[] count = {0};
            tx.changesSince(through, PAGE, row -> {
                index(row);
                last[0] = Math.max(last[0], row.sequence());
                count[0]++;
                return true;
            });
            through = last[0];
            if (count[0] < PAGE) return;
        }
    }

    /** Replaces what the index knows of the row's document with what its current state references. */
    private void index(DocumentStorage.Row row) {
        Doc d = new Doc(row.collection(), HEX.formatHex(row.id()));
        forget(d);
        if (!row.live()) return;
        Set<String> ids = new HashSet<>();
        AttachmentTokens.collectIds(row.state(), ids);
        if (ids.isEmpty()) return;
        byDoc.put(d, ids);
        for (String id : ids) byBlob.computeIfAbsent(id, k -> new HashSet<>()).add(d);
    }

    private void forget(Doc d) {
        Set<String> old = byDoc.remove(d);
        if (old == null) return;
        for (String id : old) {
            Set<Doc> docs = byBlob.get(id);
            if (docs == null) continue;
            docs.remove(d);
            if (docs.isEmpty()) byBlob.remove(id);
        }
    }
}
