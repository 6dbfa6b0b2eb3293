package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.sync.SyncStoreView.Doc;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The records a {@link SyncStoreView} exchanges with a session compare their contents, not the identity of their
 * arrays: a {@link DocRef} keys the receiver's maps of hints and requests, and both name a document readably in logs.
 */
class SyncStoreViewRecordsTest {
    private static byte[] bytes(int... b) {
        byte[] r = new byte[b.length];
        for (int i = 0; i < b.length; i++) r[i] = (byte) b[i];
        return r;
    }

    @Test
    void docRefsAreEqualByCollectionAndIdBytes() {
        DocRef ref = new DocRef("cars", bytes(1, 2));
        DocRef same = new DocRef("cars", bytes(1, 2));
        assertThat(ref).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(ref).isNotEqualTo(new DocRef("cars", bytes(1, 3)));
        assertThat(ref).isNotEqualTo(new DocRef("boats", bytes(1, 2)));
        assertThat(ref).isNotEqualTo("cars/0102");
        Set<DocRef> set = new HashSet<>(List.of(ref, same, new DocRef("cars", bytes(1, 3))));
        assertThat(set).hasSize(2);
    }

    @Test
    void docsAreEqualByCollectionIdAndState() {
        Doc doc = new Doc("cars", bytes(1), bytes(7, 8));
        Doc same = new Doc("cars", bytes(1), bytes(7, 8));
        assertThat(doc).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(doc).isNotEqualTo(new Doc("boats", bytes(1), bytes(7, 8)));
        assertThat(doc).isNotEqualTo(new Doc("cars", bytes(2), bytes(7, 8)));
        assertThat(doc).isNotEqualTo(new Doc("cars", bytes(1), bytes(7, 9)));
        assertThat(doc).isNotEqualTo(doc.ref());
        assertThat(doc.ref()).isEqualTo(new DocRef("cars", bytes(1)));
    }

    /** Logs name a document by its collection and id in hex, and a state by its size (never its content). */
    @Test
    void theyReadAsCollectionAndHexId() {
        assertThat(new DocRef("cars", bytes(0x0a, 0xff))).hasToString("cars/0aff");
        assertThat(new Doc("cars", bytes(0x0a, 0xff), bytes(1, 2, 3))).hasToString("Doc[cars/0aff, 3 bytes]");
    }
}
