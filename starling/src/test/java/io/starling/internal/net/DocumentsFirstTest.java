package io.starling.internal.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The scheduling rule of one connection: document messages overtake queued attachment chunks. */
class DocumentsFirstTest {

    static byte[] chunk(int n) {
        byte[] b = new byte[8 * 1024];
        b[0] = (byte) n;
        return b;
    }

    /** A transport that writes what it is given into a list, completing writes when the test says. */
    static final class Wire {
        final DocumentsFirst rule;
        final List<String> written = new ArrayList<>();
        final List<byte[]> bulkUnfinished = new ArrayList<>();

        Wire(int bulkBytes) {
            rule = new DocumentsFirst(bulkBytes);
        }

        void document(String name) {
            rule.documentStarted();
            written.add(name);
        }

        void documentDone() {
            rule.documentWritten();
            drain();
        }

        void bulk(byte[] m) {
            rule.offerBulk(m);
            drain();
        }

        void drain() {
            for (byte[] m : rule.releasable()) {
                written.add("chunk" + m[0]);
                bulkUnfinished.add(m);
            }
        }

        void finishOldestChunk() {
            byte[] m = bulkUnfinished.remove(0);
            rule.bulkWritten(m.length);
            drain();
        }
    }

    @Test
    void aDocumentOvertakesChunksQueuedBeforeIt() {
        Wire w = new Wire(16 * 1024);
        for (int i = 0; i < 6; i++) w.bulk(chunk(i));
        // two chunks fill the transport's share; four wait
        assertThat(w.written).containsExactly("chunk0", "chunk1");
        assertThat(w.rule.queued()).isEqualTo(4);
        w.document("doc-a");
        // the document is behind at most the two chunks already in the transport, ahead of the four queued
        assertThat(w.written).containsExactly("chunk0", "chunk1", "doc-a");
        w.finishOldestChunk();
        w.finishOldestChunk();
        // no chunk while the document is being written
        assertThat(w.written).containsExactly("chunk0", "chunk1", "doc-a");
        w.documentDone();
        assertThat(w.written).containsExactly("chunk0", "chunk1", "doc-a", "chunk2", "chunk3");
        w.document("doc-b");
        w.document("doc-c");
        w.finishOldestChunk();
        w.finishOldestChunk();
        w.documentDone();
        assertThat(w.written).endsWith("doc-b", "doc-c");
        w.documentDone();
        assertThat(w.written)
                .containsExactly("chunk0", "chunk1", "doc-a", "chunk2", "chunk3", "doc-b", "doc-c", "chunk4", "chunk5");
    }

    @Test
    void chunksKeepTheirOrderAndOneIsAlwaysReleasedWhenNoneIsHeld() {
        Wire w = new Wire(1); // a share smaller than a chunk still lets one through at a time
        for (int i = 0; i < 3; i++) w.bulk(chunk(i));
        assertThat(w.written).containsExactly("chunk0");
        w.finishOldestChunk();
        w.finishOldestChunk();
        w.finishOldestChunk();
        assertThat(w.written).containsExactly("chunk0", "chunk1", "chunk2");
        assertThat(w.rule.queued()).isZero();
    }

    @Test
    void aClosedConnectionForgetsItsQueue() {
        Wire w = new Wire(8 * 1024);
        for (int i = 0; i < 3; i++) w.bulk(chunk(i));
        w.rule.clear();
        w.finishOldestChunk();
        assertThat(w.written).containsExactly("chunk0");
        assertThat(w.rule.queued()).isZero();
    }
}
