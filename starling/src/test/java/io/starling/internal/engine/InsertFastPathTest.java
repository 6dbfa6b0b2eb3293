package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.AttachmentToken;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.InMemoryStorage;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An INSERT whose documents are all bare arguments ({@code DOCUMENTS (:d0), (:d1)}) writes them from the argument
 * maps in one walk ({@code NewDocument}); the same documents given inside an expression ({@code DOCUMENTS ([:d0,
 * :d1])}) take the ordinary path (conversion, storable checks, encoding). Both must end the same: the same stored
 * documents, or the same error — code and message — for the same statement, including which document's error comes
 * first. {@code NewDocumentEquivalenceTest} checks the bytes; this checks the engine around them.
 */
class InsertFastPathTest {
    private final List<DefaultStarling> peers = new ArrayList<>();

    @TempDir
    Path dir; // attachments live in files beside the store

    private DefaultStarling peer() {
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("fast").build(),
                dir.resolve("p" + peers.size()),
                new InMemoryStorage(),
                Clock.systemUTC());
        peers.add(p);
        return p;
    }

    @AfterEach
    void closeAll() {
        peers.forEach(DefaultStarling::close);
    }

    private static Map<String, Object> doc(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private static Object nested(int levels) {
        Object v = 1L;
        for (int i = 0; i < levels; i++) v = doc("a", v);
        return v;
    }

    /** What a statement did: its error (code and message), or every stored document of the collection. */
    private static String outcome(DefaultStarling p, String statement, Map<String, ?> args) {
        try {
            p.store().execute(statement, args);
        } catch (StarlingException e) {
            return e.getClass().getSimpleName() + " " + e.errorCode() + ": " + e.getMessage();
        }
        return p.store().execute("SELECT * FROM c ORDER BY _id").items().stream()
                .map(i -> i.json())
                .toList()
                .toString();
    }

    /** The fast path's and the ordinary path's outcomes for the same documents, in two fresh stores. */
    private void assertSameOutcome(List<Map<String, Object>> before, List<?> docs, String onConflict) {
        DefaultStarling fast = peer(), ordinary = peer();
        for (Map<String, Object> d : before) {
            fast.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", d));
            ordinary.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", d));
        }
        Map<String, Object> args = new LinkedHashMap<>();
        StringBuilder bare = new StringBuilder(), inArray = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            args.put("d" + i, docs.get(i));
            bare.append(i == 0 ? "" : ", ").append("(:d").append(i).append(')');
            inArray.append(i == 0 ? "" : ", ").append(":d").append(i);
        }
        String a = outcome(fast, "INSERT INTO c DOCUMENTS " + bare + onConflict, args);
        String b = outcome(ordinary, "INSERT INTO c DOCUMENTS ([" + inArray + "])" + onConflict, args);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void goodDocumentsAreStoredAlike() {
        assertSameOutcome(
                List.of(),
                List.of(
                        doc("_id", "a", "n", 1L, "f", -0.0d, "s", "ünï \uD83D\uDE00", "l", List.of(1L, doc("y", 2L))),
                        doc("_id", doc("k", 1L, "j", "x"), "big", BigInteger.valueOf(Long.MAX_VALUE)),
                        doc("_id", "deep", "a", nested(Limits.MAX_DEPTH - 1)),
                        doc("_id", "long key", "é".repeat(512), 1L)),
                "");
    }

    @Test
    void eachBadDocumentFailsWithTheSameErrorAsBefore() {
        List<Object> bad = List.of(
                doc("_id", "a", "a", nested(Limits.MAX_DEPTH)), // one level past the limit
                doc("_id", "a", "é".repeat(512) + "a", 1L), // a field name one byte past the limit
                doc("_id", "a", "s", "x\uD800"), // a lone surrogate
                doc("_id", "a\uDC00"), // ... in the id
                doc("_id", "a", "n", Double.NaN),
                doc("_id", "a", "n", BigInteger.ONE.shiftLeft(64)),
                doc("_id", "a", "t", new AtomicLong(1)), // a type DQL cannot use
                doc("_id", nested(Limits.MAX_ID_DEPTH + 2)), // an id too deep for an id
                doc("_id", null),
                doc("_id", "x".repeat(Limits.MAX_ID_BYTES + 1)),
                doc("_id", "a", "att", doc("_attachment", "not a token")));
        for (Object d : bad) assertSameOutcome(List.of(), List.of(doc("_id", "ok", "v", 1L), d), "");
    }

    @Test
    void theFirstErrorIsTheSameWhenSeveralDocumentsAreBad() {
        Map<Object, Object> intKey = new HashMap<>();
        intKey.put(1, "x");
        // a storable problem in d1, a conversion problem in d2: the conversion is reported (arguments are bound first)
        assertSameOutcome(
                List.of(),
                List.of(doc("_id", "ok"), doc("_id", "b", "s", "x\uD800"), doc("_id", "c", "m", intKey)),
                "");
        // a bad id in d0, a problem in the fields of d1
        assertSameOutcome(List.of(), List.of(doc("_id", null), doc("_id", "b", "n", Double.NaN)), "");
    }

    @Test
    void idConflictsResolveAlike() {
        List<Map<String, Object>> before = List.of(doc("_id", "a", "x", 1L, "y", 1L), doc("_id", "b", "x", 1L));
        List<Object> docs = List.of(doc("_id", "a", "x", 2L), doc("_id", "c", "x", 3L), doc("_id", "a", "z", 4L));
        assertSameOutcome(before, docs, " ON ID CONFLICT DO UPDATE");
        assertSameOutcome(before, docs, " ON ID CONFLICT DO UPDATE_LOCAL_DIFF");
        assertSameOutcome(before, docs, " ON ID CONFLICT DO NOTHING");
        assertSameOutcome(before, docs, "");
    }

    @Test
    void attachmentTokensAndValuesInsideArgumentsTakeTheOrdinaryPath() {
        DefaultStarling p = peer();
        AttachmentToken token = p.store().newAttachment(new byte[] {1, 2, 3}, Map.of("m", "v"));
        assertSameOutcome(List.of(), List.of(doc("_id", "t", "file", token), doc("_id", "v", "val", Value.of(7))), "");
        p.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", doc("_id", "t", "file", token)));
        Object read =
                p.store().execute("SELECT file FROM c").items().get(0).value().get("file");
        assertThat(read).isInstanceOf(AttachmentToken.class);
    }

    @Test
    void theStoredStateIsTheOrdinaryEncoding() {
        DefaultStarling p = peer();
        Map<String, Object> d = doc("_id", "a", "b", List.of(1L, "x"), "c", doc("\uFF61", 1L, "\uD83D\uDE00", 2L));
        p.store().execute("INSERT INTO c DOCUMENTS (:d0), (:d1)", Map.of("d0", d, "d1", doc("_id", "b")));
        DocumentState stored = p.defaultStore().documentState("c", Value.of("a"));
        DocumentState ordinary = DocumentState.empty().insert((Value.Obj) Value.fromJava(d), stored.maxStamp());
        assertThat(stored.encode()).isEqualTo(ordinary.encode());
    }
}
