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
 * exactly that document's fields in the set; {@link DocumentState#readFields}, the read of a scan's filter, gives
 * the same fields' values.
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
            // the filter's read: the same fields' values in an array, MISSING where the document lacks one
            DocumentState.FieldSet set = DocumentState.FieldSet.of(some);
            Value[] into = new Value[set.size() + 1];
            into[set.size()] = Value.TRUE; // beyond the fields: untouched
            boolean exists = DocumentState.readFields(bytes, set, into);
            assertThat(exists).as("seed %d, exists", seed).isEqualTo(full != null);
            if (full != null) {
                for (int i = 0; i < set.size(); i++) {
                    assertThat(into[i])
                            .as("seed %d, field %s", seed, set.name(i))
                            .isEqualTo(full.get(set.name(i)));
                }
            }
            assertThat(into[set.size()]).isSameAs(Value.TRUE);
        }
    }

    @Test
    void readFieldsGivesTheValuesOfTheFieldsAskedInTheirOrder() {
        Stamp s = new Stamp(10, 1);
        Value.Obj fields = (Value.Obj) Value.fromJava(Map.of("b", 1L, "a", Map.of("x", "y"), "é", "z"));
        byte[] bytes = DocumentState.empty().insert(fields, s).encode();
        DocumentState.FieldSet set = DocumentState.FieldSet.of(Set.of("a", "nope", "é", "_id"));
        assertThat(set.size()).isEqualTo(3); // _id is not a stored field
        Value[] into = new Value[3];
        assertThat(DocumentState.readFields(bytes, set, into)).isTrue();
        for (int i = 0; i < 3; i++) {
            Value expected = switch (set.name(i)) {
                case "a" -> Value.fromJava(Map.of("x", "y"));
                case "é" -> Value.of("z");
                default -> Value.MISSING;
            };
            assertThat(into[i]).as(set.name(i)).isEqualTo(expected);
        }
        byte[] deleted = DocumentState.decode(bytes).delete(new Stamp(11, 1)).encode();
        assertThat(DocumentState.readFields(deleted, set, into)).isFalse();
        assertThatThrownBy(() -> DocumentState.readFields(bytes, set, new Value[2]))
                .isInstanceOf(IllegalArgumentException.class);
        for (int cut = 1; cut < bytes.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(bytes, cut);
            assertThatThrownBy(() -> DocumentState.readFields(truncated, set, new Value[3]))
                    .as("cut at %d", cut)
                    .isInstanceOf(CodecException.class);
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
