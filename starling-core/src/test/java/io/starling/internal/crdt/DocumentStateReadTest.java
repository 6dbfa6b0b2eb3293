package io.starling.internal.crdt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.CodecException;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link DocumentState#readDocument}, the one-pass reader of scans, against the full decode: on the states of
 * random write histories of several replicas (merges, deletes, counters, nested writes; {@link
 * DocumentStateLawsTest.History}) it gives exactly {@code decode(bytes).document(id)}, and with a set of fields
 * exactly that document's fields in the set.
 */
class DocumentStateReadTest {
    private static final Value ID = Value.of("doc-1");

    @Property(tries = 1000)
    void readingEqualsTheFullDecode(@ForAll long seed) {
        DocumentStateLawsTest.History h = DocumentStateLawsTest.History.run(seed, false);
        Random r = new Random(seed);
        for (DocumentState state : h.allStates) {
            byte[] bytes = state.encode();
            Value.Obj full = DocumentState.decode(bytes).document(ID);
            assertThat(DocumentState.readDocument(bytes, ID, (Set<String>) null))
                    .as("seed %d, state %s", seed, state)
                    .isEqualTo(full);
            Set<String> some = randomFields(r, full);
            Value.Obj partial = DocumentState.readDocument(bytes, ID, some);
            assertThat(partial).as("seed %d, fields %s", seed, some).isEqualTo(restricted(full, some));
            if (partial != null)
                assertThat(partial.fields().keySet().iterator().next()).isEqualTo("_id");
        }
    }

    @Test
    void aDocumentReadsWithItsIdFirstAndOnlyTheFieldsAsked() {
        Stamp s = new Stamp(10, 1);
        Value.Obj fields = (Value.Obj) Value.fromJava(Map.of("b", 1L, "a", Map.of("x", "y"), "c", List.of(1L, "z")));
        byte[] bytes = DocumentState.empty().insert(fields, s).encode();
        assertThat(DocumentState.readDocument(bytes, ID, Set.of("a", "nope")))
                .isEqualTo(Value.fromJava(Map.of("_id", "doc-1", "a", Map.of("x", "y"))));
        assertThat(DocumentState.readDocument(bytes, ID, Set.of())).isEqualTo(Value.fromJava(Map.of("_id", "doc-1")));
        byte[] accented = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("é", 1L, "e", 2L, "😀", 3L)), s)
                .encode();
        assertThat(DocumentState.readDocument(accented, ID, Set.of("é", "😀", "_id")))
                .isEqualTo(Value.fromJava(Map.of("_id", "doc-1", "é", 1L, "😀", 3L)));
        byte[] deleted = DocumentState.decode(bytes).delete(new Stamp(11, 1)).encode();
        assertThat(DocumentState.readDocument(deleted, ID, (Set<String>) null)).isNull();
    }

    @Test
    void damagedBytesFailAsACodecErrorEvenInSkippedFields() {
        Stamp s = new Stamp(10, 1);
        Value.Obj fields = (Value.Obj) Value.fromJava(Map.of("a", "text", "b", 2L));
        byte[] bytes = DocumentState.empty().insert(fields, s).encode();
        for (int cut = 1; cut < bytes.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(bytes, cut);
            assertThatThrownBy(() -> DocumentState.readDocument(truncated, ID, Set.of("b")))
                    .as("cut at %d", cut)
                    .isInstanceOf(CodecException.class);
        }
    }

    private static Set<String> randomFields(Random r, Value.Obj doc) {
        List<String> names = new ArrayList<>(List.of("a", "b", "c", "x", "y"));
        if (doc != null) names.addAll(doc.fields().keySet());
        Set<String> out = new java.util.HashSet<>();
        for (String n : names) if (r.nextBoolean()) out.add(n);
        return out;
    }

    private static Value.Obj restricted(Value.Obj doc, Set<String> fields) {
        if (doc == null) return null;
        LinkedHashMap<String, Value> kept = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : doc.fields().entrySet()) {
            if (e.getKey().equals("_id") || fields.contains(e.getKey())) kept.put(e.getKey(), e.getValue());
        }
        return Value.Obj.ofOwned(kept);
    }
}
