package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.ErrorCode;
import io.starling.QueryException;
import io.starling.StarlingConfig;
import io.starling.StarlingException;
import io.starling.internal.core.Limits;
import io.starling.internal.core.Stamp;
import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.storage.InMemoryStorage;
import io.starling.internal.sync.SyncStoreView;
import io.starling.internal.sync.SyncStoreView.Doc;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each limit of the data model (docs/DATA-MODEL.md, "Limits") through each entry point: DQL literals and paths,
 * arguments, names, and states merged from peers. What is accepted reads back; what is refused is refused with a
 * user error that names the problem, and nothing else in the store changes.
 */
class LimitsTest {
    static final int MAX = Limits.MAX_DEPTH;

    final List<DefaultStarling> peers = new ArrayList<>();
    final Map<DefaultStarling, InMemoryStorage> storages = new HashMap<>();

    DefaultStarling peer() {
        InMemoryStorage storage = new InMemoryStorage();
        DefaultStarling p = DefaultStarling.open(
                StarlingConfig.builder().appId("limits").build(), Path.of("memory"), storage, Clock.systemUTC());
        peers.add(p);
        storages.put(p, storage);
        return p;
    }

    @AfterEach
    void closeAll() {
        peers.forEach(DefaultStarling::close);
    }

    /** {@code {"a": {"a": … 1}}}, {@code levels} deep. */
    static Object nested(int levels) {
        Object v = 1L;
        for (int i = 0; i < levels; i++) v = Map.of("a", v);
        return v;
    }

    /** The same as DQL text. */
    static String nestedDql(int levels) {
        return "{'a': ".repeat(levels) + "1" + "}".repeat(levels);
    }

    static Map<String, Object> doc(String id, Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("_id", id);
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    static long count(DefaultStarling p, String collection) {
        return (Long) p.store()
                .execute("SELECT COUNT(*) AS n FROM " + collection)
                .items()
                .get(0)
                .value()
                .get("n");
    }

    static void assertRefused(Runnable r, ErrorCode code, String messagePart) {
        assertThatThrownBy(r::run)
                .isInstanceOfSatisfying(StarlingException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(code);
                    assertThat(e.errorCode().isUserError()).isTrue();
                })
                .hasMessageContaining(messagePart);
    }

    // ---- depth -----------------------------------------------------------------------------------------

    @Test
    void aDocumentAsDeepAsTheLimitIsStoredReadUpdatedSyncedAndDeleted() {
        DefaultStarling a = peer(), b = peer();
        b.sync().registerSubscription("SELECT * FROM deep", Map.of());
        InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
        try {
            // the document's root object is level 1, so its field holds MAX - 1 more levels
            a.store().execute("INSERT INTO deep DOCUMENTS (:d)", Map.of("d", doc("x", "a", nested(MAX - 1))));
            a.store().execute("INSERT INTO deep DOCUMENTS ({'_id': 'y', 'a': " + nestedDql(MAX - 1) + "})");
            Map<String, Object> read = a.store()
                    .execute("SELECT * FROM deep WHERE _id = 'x'")
                    .items()
                    .get(0)
                    .value();
            assertThat(read.get("a")).isEqualTo(nested(MAX - 1));
            a.store().execute("UPDATE deep SET b = 2 WHERE _id = 'x'");
            SyncTest.await("both documents at b", () -> count(b, "deep WHERE b = 2 OR _id = 'y'") == 2);
            a.store().execute("DELETE FROM deep WHERE _id IN ['x', 'y']");
            SyncTest.await("the deletes at b", () -> count(b, "deep") == 0);
            assertThat(b.sync().metrics().documentsRefused()).isZero();
        } finally {
            link.close();
        }
    }

    @Test
    void deeperIsRefusedAtEveryEntryPointAndTheStoreIsUnchanged() {
        DefaultStarling a = peer();
        a.store().execute("INSERT INTO deep DOCUMENTS ({'_id': 'keep', 'v': 1})");
        // an argument
        assertRefused(
                () -> a.store().execute("INSERT INTO deep DOCUMENTS (:d)", Map.of("d", doc("x", "a", nested(MAX)))),
                ErrorCode.QUERY_ARGUMENT,
                "nested more than " + MAX);
        // a literal: refused where it starts, with its position
        assertThatThrownBy(() ->
                        a.store().execute("INSERT INTO deep DOCUMENTS ({'_id': 'x', 'a': " + nestedDql(MAX) + "})"))
                .isInstanceOfSatisfying(QueryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(ErrorCode.QUERY_INVALID);
                    assertThat(e.line()).isEqualTo(1);
                })
                .hasMessageContaining("nest more than " + MAX);
        // a value that fits alone but not at the depth of the path it is written to
        String path = "p" + ".p".repeat(9);
        assertRefused(
                () -> a.store()
                        .execute("UPDATE deep SET " + path + " = :v WHERE _id = 'keep'", Map.of("v", nested(MAX - 5))),
                ErrorCode.DOCUMENT_INVALID,
                "more than " + MAX + " levels deep");
        // a value built by an expression (no literal is deep, the result is)
        String wrap = "{'a': :v}";
        assertRefused(
                () -> a.store()
                        .execute("UPDATE deep SET w = " + wrap + " WHERE _id = 'keep'", Map.of("v", nested(MAX - 1))),
                ErrorCode.DOCUMENT_INVALID,
                "more than " + MAX + " levels deep");
        // a path longer than any document is deep
        String longPath = "q" + ".q".repeat(MAX);
        assertThatThrownBy(() -> a.store().execute("UPDATE deep SET " + longPath + " = 1 WHERE _id = 'keep'"))
                .isInstanceOf(StarlingException.class)
                .satisfies(e -> assertThat(((StarlingException) e).errorCode().isUserError())
                        .isTrue());
        // a Java map that contains itself is an argument too deep, not a stack overflow
        Map<String, Object> cyclic = new HashMap<>();
        cyclic.put("self", cyclic);
        assertRefused(
                () -> a.store().execute("SELECT * FROM deep WHERE v = :c", Map.of("c", cyclic)),
                ErrorCode.QUERY_ARGUMENT,
                "nested more than");

        assertThat(a.store().execute("SELECT * FROM deep").items())
                .extracting(i -> i.value())
                .containsExactly(Map.of("_id", "keep", "v", 1L));
    }

    // ---- numbers -----------------------------------------------------------------------------------------

    @Test
    void nonFiniteNumbersNeverEnterAState() {
        DefaultStarling a = peer();
        a.store().execute("INSERT INTO n DOCUMENTS ({'_id': 'c', 'big': 1.0e308, 'count': 1.5e308})");
        // DQL arithmetic that overflows gives NULL (docs/QUERY-LANGUAGE.md), never an infinity
        assertThat(a.store()
                        .execute("SELECT big * 10 AS x FROM n")
                        .items()
                        .get(0)
                        .json())
                .isEqualTo("{\"x\":null}");
        assertRefused(
                () -> a.store().execute("UPDATE n APPLY count INCREMENT BY 1.5e308 WHERE _id = 'c'"),
                ErrorCode.DOCUMENT_INVALID,
                "overflow");
        assertRefused(
                () -> a.store().execute("INSERT INTO n DOCUMENTS (:d)", Map.of("d", doc("d", "x", Double.NaN))),
                ErrorCode.DOCUMENT_INVALID,
                "finite");
        assertRefused(
                () -> a.store()
                        .execute(
                                "UPDATE n APPLY count RESTART WITH :v WHERE _id = 'c'",
                                Map.of("v", Double.POSITIVE_INFINITY)),
                ErrorCode.DOCUMENT_INVALID,
                "finite");
        assertThat(a.store().execute("SELECT big, count FROM n").items().get(0).value())
                .isEqualTo(Map.of("big", 1.0e308, "count", 1.5e308));
    }

    @Test
    void concurrentIncrementsWhoseSumOverflowsShowTheLargestFloatOnBothPeers() {
        DefaultStarling a = peer(), b = peer();
        a.sync().registerSubscription("SELECT * FROM n", Map.of());
        b.sync().registerSubscription("SELECT * FROM n", Map.of());
        InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
        try {
            a.store().execute("INSERT INTO n DOCUMENTS ({'_id': 'c', 'count': 0})");
            SyncTest.await("the document at b", () -> count(b, "n") == 1);
            link.close();
            a.store().execute("UPDATE n APPLY count INCREMENT BY 1.5e308 WHERE _id = 'c'");
            b.store().execute("UPDATE n APPLY count INCREMENT BY 1.5e308 WHERE _id = 'c'");
            InMemoryTransport.Link again = InMemoryTransport.connect(a, b);
            try {
                SyncTest.await(
                        "both increments on both peers",
                        () -> count(a, "n WHERE count = 1.7976931348623157e308") == 1
                                && count(b, "n WHERE count = 1.7976931348623157e308") == 1);
                for (DefaultStarling p : List.of(a, b)) {
                    assertThat(p.store()
                                    .execute("SELECT count FROM n")
                                    .items()
                                    .get(0)
                                    .json())
                            .isEqualTo("{\"count\":1.7976931348623157E308}");
                }
            } finally {
                again.close();
            }
        } finally {
            link.close();
        }
    }

    @Test
    void concurrentFirstIncrementsOfAPlainNumberAddUpAcrossPeers() {
        DefaultStarling a = peer(), b = peer();
        a.sync().registerSubscription("SELECT * FROM n", Map.of());
        b.sync().registerSubscription("SELECT * FROM n", Map.of());
        InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
        a.store().execute("INSERT INTO n DOCUMENTS ({'_id': 'c', 'n': 0})");
        SyncTest.await("the document at b", () -> count(b, "n") == 1);
        link.close();
        a.store().execute("UPDATE n APPLY n INCREMENT BY 5 WHERE _id = 'c'");
        b.store().execute("UPDATE n APPLY n INCREMENT BY 10 WHERE _id = 'c'");
        InMemoryTransport.Link again = InMemoryTransport.connect(a, b);
        try {
            SyncTest.await(
                    "15 on both peers", () -> count(a, "n WHERE n = 15") == 1 && count(b, "n WHERE n = 15") == 1);
        } finally {
            again.close();
        }
    }

    // ---- names -----------------------------------------------------------------------------------------

    @Test
    void namesWithLoneSurrogatesOrOverLongAreRefusedNotAliased() {
        DefaultStarling a = peer();
        String lone = "c\uD800";
        assertRefused(
                () -> a.store().execute("INSERT INTO `" + lone + "` DOCUMENTS ({'_id': 1})"),
                ErrorCode.QUERY_INVALID,
                "not valid Unicode");
        assertRefused(
                () -> a.store().execute("SELECT * FROM `" + lone + "`"), ErrorCode.QUERY_INVALID, "not valid Unicode");
        assertRefused(
                () -> a.store().execute("CREATE INDEX `i\uDC00` ON c (a)"),
                ErrorCode.QUERY_INVALID,
                "not valid Unicode");
        assertRefused(
                () -> a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 1, `f\uD800`: 1})"),
                ErrorCode.QUERY_INVALID,
                "not valid Unicode");
        assertRefused(
                () -> a.store().execute("UPDATE c SET `f\uD800` = 1"), ErrorCode.QUERY_INVALID, "not valid Unicode");
        assertRefused(
                () -> a.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", 1, "k\uDFFF", 1))),
                ErrorCode.DOCUMENT_INVALID,
                "not valid Unicode");
        assertRefused(
                () -> a.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", "x\uD800"))),
                ErrorCode.DOCUMENT_INVALID_ID,
                "valid Unicode");
        assertRefused(
                () -> a.store().execute("INSERT INTO c DOCUMENTS (:d)", Map.of("d", Map.of("_id", 2, "s", "\uD800"))),
                ErrorCode.DOCUMENT_INVALID,
                "not valid Unicode");
        String longName = "c".repeat(Limits.MAX_NAME_BYTES + 1);
        assertRefused(
                () -> a.store().execute("INSERT INTO " + longName + " DOCUMENTS ({'_id': 1})"),
                ErrorCode.QUERY_INVALID,
                "the limit is " + Limits.MAX_NAME_BYTES);
        assertRefused(
                () -> a.store().execute("SELECT * FROM `a\u001fb`"), ErrorCode.QUERY_INVALID, "control character");
        assertRefused(
                () -> a.store()
                        .execute(
                                "INSERT INTO c DOCUMENTS (:d)",
                                Map.of("d", Map.of("_id", "x".repeat(Limits.MAX_ID_BYTES)))),
                ErrorCode.DOCUMENT_INVALID_ID,
                "at most " + Limits.MAX_ID_BYTES + " bytes");
        assertThat(a.store().execute("SELECT * FROM system:collections").items())
                .isEmpty();
    }

    // ---- states from peers -------------------------------------------------------------------------------

    @Test
    void aPeerRefusesWhatItCannotAcceptOneDocumentAtATimeAndAppliesTheRest() {
        DefaultStarling b = peer();
        byte[] good = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("v", 1)), new Stamp(1, 7))
                .encode();
        byte[] tooDeep = tooDeepState();
        List<Doc> batch = List.of(
                new Doc("c", DocumentIds.encode(Value.of("good")), good),
                new Doc("c", DocumentIds.encode(Value.of("deep")), tooDeep),
                new Doc("c", DocumentIds.encode(Value.of("garbage")), new byte[] {1, 0, 31}),
                new Doc("c\u0001", DocumentIds.encode(Value.of("named")), good),
                new Doc("c", DocumentIds.encode(Value.of(2.5)), good), // a float id
                new Doc("c", DocumentIds.encode(Value.of("good2")), good));
        SyncStoreView.ApplyResult result =
                b.syncStore().apply(7, batch, new SyncStoreView.Checkpoint(1, 42, java.util.Set.of()));

        assertThat(result.refused())
                .extracting(r -> DocumentIds.decode(r.doc().id()))
                .containsExactly(Value.of("deep"), Value.of("garbage"), Value.of("named"), Value.of(2.5));
        assertThat(result.refused().get(0).reason()).contains("deeper than " + MAX);
        assertThat(count(b, "c")).isEqualTo(2);
        assertThat(b.syncStore().checkpoint(7).sequence())
                .as("the checkpoint moved past the refused")
                .isEqualTo(42);
    }

    @Test
    void aPeerHoldingADamagedRowDoesNotStallSyncOfEverythingElse() {
        DefaultStarling a = peer(), b = peer();
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 'bad'})");
        storages.get(a).write(tx -> tx.put("c", DocumentIds.encode(Value.of("bad")), true, tooDeepState()));
        for (int i = 0; i < 50; i++) a.store().execute("INSERT INTO c DOCUMENTS ({'_id': :id})", Map.of("id", i));
        b.sync().registerSubscription("SELECT * FROM c", Map.of());
        InMemoryTransport.Link link = InMemoryTransport.connect(a, b);
        try {
            SyncTest.await("the 50 good documents at b", () -> count(b, "c") == 50);
            SyncTest.await("the refusal counted", () -> b.sync().metrics().documentsRefused() == 1);
            assertThat(b.sync().peers())
                    .singleElement()
                    .satisfies(p -> assertThat(p.connected()).isTrue());
            a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 'after'})");
            SyncTest.await("a later write at b", () -> count(b, "c") == 51);
            assertThat(b.sync().metrics().documentsRefused())
                    .as("not sent again")
                    .isEqualTo(1);
        } finally {
            link.close();
        }
    }

    /** A state whose objects nest one level deeper than the limit (the codec refuses to make one). */
    static byte[] tooDeepState() {
        io.starling.internal.core.BinaryWriter w = new io.starling.internal.core.BinaryWriter();
        w.writeByte(1).writeVarInt(1).writeVarLong(1).writeFixedLong(7);
        for (int level = 0; level < MAX + 1; level++)
            w.writeByte(4 | 8).writeVarInt(0).writeVarInt(1).writeString("a");
        w.writeByte(4).writeVarInt(0); // an empty object at the bottom
        return w.toByteArray();
    }

    // ---- damaged rows ------------------------------------------------------------------------------------

    @Test
    void aDamagedRowIsSkippedByReadersRefusedByMergesAndRemovedByEvict() {
        DefaultStarling a = peer();
        a.store().execute("CREATE INDEX by_v ON c (v)");
        a.store().execute("INSERT INTO c DOCUMENTS ({'_id': 'ok', 'v': 1}), ({'_id': 'bad', 'v': 1})");
        // the row of 'bad' is overwritten with bytes no version could decode (as a disk error would)
        storages.get(a).write(tx -> tx.put("c", DocumentIds.encode(Value.of("bad")), true, new byte[] {1, 0, 31}));

        assertThat(a.store().execute("SELECT _id FROM c").items())
                .extracting(i -> i.value().get("_id"))
                .containsExactly("ok");
        assertThat(a.store().execute("SELECT _id FROM c WHERE v = 1").items()).hasSize(1); // through the index
        assertThat(a.store().execute("UPDATE c SET w = 2").mutatedDocumentIds()).containsExactly("ok");

        // a peer's copy cannot merge into it: refused alone
        byte[] good = DocumentState.empty()
                .insert((Value.Obj) Value.fromJava(Map.of("v", 5)), new Stamp(1, 7))
                .encode();
        SyncStoreView.ApplyResult result =
                a.syncStore().apply(7, List.of(new Doc("c", DocumentIds.encode(Value.of("bad")), good)), null);
        assertThat(result.refused())
                .singleElement()
                .satisfies(r -> assertThat(r.reason()).contains("damaged"));

        // EVICT finds it by id, removes the row and its index entries; the peer's copy is then taken
        assertThat(a.store().execute("EVICT FROM c WHERE _id = 'bad'").mutatedDocumentIds())
                .containsExactly("bad");
        assertThat(a.syncStore()
                        .apply(7, List.of(new Doc("c", DocumentIds.encode(Value.of("bad")), good)), null)
                        .refused())
                .isEmpty();
        assertThat(a.store().execute("SELECT _id, v FROM c WHERE v = 5").items())
                .extracting(i -> i.value())
                .containsExactly(Map.of("_id", "bad", "v", 5L));
        assertThat(a.store().execute("SELECT _id FROM c WHERE v = 1").items()).hasSize(1);
    }
}
