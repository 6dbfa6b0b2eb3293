package io.starling.internal.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.BinaryWriter;
import io.starling.internal.core.Value;
import io.starling.internal.core.ValueCodec;
import io.starling.internal.sync.Message.Ack;
import io.starling.internal.sync.Message.Batch;
import io.starling.internal.sync.Message.Close;
import io.starling.internal.sync.Message.DocEntry;
import io.starling.internal.sync.Message.Docs;
import io.starling.internal.sync.Message.Hello;
import io.starling.internal.sync.Message.HintEntry;
import io.starling.internal.sync.Message.PartEntry;
import io.starling.internal.sync.Message.Request;
import io.starling.internal.sync.Message.Subscriptions;
import io.starling.internal.sync.Message.Zombies;
import io.starling.internal.sync.SyncStoreView.DocRef;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The wire format: every message round-trips (random contents, every type), the encodings of a few messages are
 * pinned byte for byte (compatibility), and random garbage, truncations and mutations of valid messages are refused
 * with {@link WireException} and nothing else. The seed of a failing case is the jqwik sample.
 */
class WireCodecTest {
    private static final HexFormat HEX = HexFormat.of();

    @Property(tries = 1000)
    void everyMessageTypeRoundTrips(@ForAll long seed) {
        RandomMessages gen = new RandomMessages(seed);
        for (int type = 1; type <= RandomMessages.TYPES; type++) {
            Message m = gen.of(type);
            byte[] bytes = WireCodec.encode(m);
            Message back = WireCodec.decode(bytes);
            assertThat(back).as("seed %d type %d", seed, type).isEqualTo(m);
            assertThat(WireCodec.encode(back)).isEqualTo(bytes);
            assertThat(bytes[0]).isEqualTo((byte) RandomMessages.wireType(type));
            if (m instanceof Batch b) assertThat(WireCodec.batchSize(b)).isEqualTo(bytes.length);
            for (var e :
                    m instanceof Batch b ? b.entries() : m instanceof Docs d ? d.entries() : List.<Message.Entry>of()) {
                assertThat(e.hashCode()).isEqualTo(((Message.Entry) copyOf(e)).hashCode());
            }
        }
    }

    private static Object copyOf(Message.Entry e) {
        Batch b = (Batch) WireCodec.decode(
                WireCodec.encode(new Batch(1, 0, 0, 0, e instanceof PartEntry, List.of(e), List.of())));
        return b.entries().get(0);
    }

    @Property(tries = 4000)
    void randomGarbageIsRefusedWithWireExceptionOnly(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] bytes = new byte[r.nextInt(4) == 0 ? r.nextInt(3) : r.nextInt(300)];
        r.nextBytes(bytes);
        if (bytes.length > 0 && r.nextBoolean())
            bytes[0] = (byte) RandomMessages.wireType(1 + r.nextInt(RandomMessages.TYPES)); // a known type: deeper
        decodeSafely(bytes, "seed " + seed);
    }

    @Property(tries = 6000)
    void mutatedMessagesAreRefusedWithWireExceptionOnly(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] bytes = WireCodec.encode(new RandomMessages(seed).any());
        for (int k = 1 + r.nextInt(3); k > 0; k--) bytes = mutate(bytes, r);
        decodeSafely(bytes, "seed " + seed);
    }

    @Property(tries = 300)
    void everyTruncationIsRefused(@ForAll long seed) {
        byte[] bytes = WireCodec.encode(new RandomMessages(seed).any());
        for (int n = 0; n < bytes.length; n++) {
            byte[] prefix = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> WireCodec.decode(prefix))
                    .as("seed %d, %d of %d bytes", seed, n, bytes.length)
                    .isInstanceOf(WireException.class)
                    .satisfies(e -> assertThat(((WireException) e).reason()).isEqualTo("malformed"));
        }
    }

    @Property(tries = 300)
    void trailingBytesAreRefused(@ForAll long seed) {
        Message m = new RandomMessages(seed).any();
        if (m instanceof Hello h && h.version() != 1)
            return; // a later version may append fields (refused as "version")
        byte[] bytes = WireCodec.encode(m);
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1 + new Random(seed).nextInt(3));
        assertThatThrownBy(() -> WireCodec.decode(longer))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("trailing");
    }

    /** Decodes; a success must be a valid message that round-trips, a failure a WireException. */
    private static void decodeSafely(byte[] bytes, String what) {
        Message m;
        try {
            m = WireCodec.decode(bytes);
        } catch (WireException e) {
            assertThat(e.reason()).as(what).isEqualTo(SyncSession.MALFORMED);
            return;
        } catch (Throwable t) {
            throw new AssertionError(what + ": " + HEX.formatHex(bytes) + " threw " + t, t);
        }
        assertThat(WireCodec.decode(WireCodec.encode(m))).as(what).isEqualTo(m);
    }

    private static byte[] mutate(byte[] b, Random r) {
        switch (r.nextInt(6)) {
            case 0 -> { // flip a bit
                if (b.length == 0) return new byte[] {(byte) r.nextInt()};
                byte[] c = b.clone();
                c[r.nextInt(c.length)] ^= (byte) (1 << r.nextInt(8));
                return c;
            }
            case 1 -> { // a byte at an edge value
                if (b.length == 0) return b;
                byte[] c = b.clone();
                int[] edges = {0, 1, 0x7f, 0x80, 0xff, 0x10};
                c[r.nextInt(c.length)] = (byte) edges[r.nextInt(edges.length)];
                return c;
            }
            case 2 -> { // insert
                int at = r.nextInt(b.length + 1);
                byte[] c = new byte[b.length + 1];
                System.arraycopy(b, 0, c, 0, at);
                c[at] = (byte) r.nextInt();
                System.arraycopy(b, at, c, at + 1, b.length - at);
                return c;
            }
            case 3 -> { // delete
                if (b.length == 0) return b;
                int at = r.nextInt(b.length);
                byte[] c = new byte[b.length - 1];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                return c;
            }
            case 4 -> { // a huge varint somewhere
                int at = r.nextInt(b.length + 1);
                byte[] v = {
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    (byte) 0xff,
                    0x01
                };
                byte[] c = new byte[b.length + v.length];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(v, 0, c, at, v.length);
                System.arraycopy(b, at, c, at + v.length, b.length - at);
                return c;
            }
            default -> { // truncate
                return Arrays.copyOf(b, r.nextInt(b.length + 1));
            }
        }
    }

    // ---- pinned encodings: a change here breaks compatibility with deployed peers -----------------------

    @Test
    void encodingsArePinned() {
        assertThat(hex(new Ack(1))).isEqualTo("0401");
        assertThat(hex(new Ack(300))).isEqualTo("04ac02");
        assertThat(hex(new Close("timeout", "x"))).isEqualTo("080774696d656f75740178");
        assertThat(hex(new Hello(1, "app", 2, 3, 0, 1 << 20, 0)))
                .isEqualTo("0101036170700000000000000002000000000000000300808040" + "00");
        assertThat(hex(new Request(1, List.of(new DocRef("c", new byte[] {5})))))
                .isEqualTo("05010101630105");
        assertThat(hex(new Zombies(List.of()))).isEqualTo("0700");
        assertThat(hex(new Batch(
                        1,
                        1,
                        0,
                        2,
                        false,
                        List.of(
                                new DocEntry("c", new byte[] {9}, 2, new byte[] {1, 0}),
                                new HintEntry("c", new byte[] {8}, 0x0102030405060708L)),
                        List.of())))
                .isEqualTo("03" + "01" + "01" + "00" + "02" + "00" + "02" + "01016301090202" + "0100" + "0201630108"
                        + "0102030405060708" + "00");
        // a DELTA entry (4): collection, id, group, the whole state's digest (8 bytes), the delta
        assertThat(hex(new Batch(
                        2,
                        1,
                        2,
                        3,
                        false,
                        List.of(new Message.DeltaEntry("c", new byte[] {9}, 3, 0x0102030405060708L, new byte[] {1, 0})),
                        List.of())))
                .isEqualTo("03" + "02" + "01" + "02" + "03" + "00" + "01" + "04016301090301020304050607080201" + "00"
                        + "00");
        assertThat(hex(new Docs(3, 0, true, List.of(new PartEntry("c", new byte[] {9}, 0, new byte[] {7})))))
                .isEqualTo("06" + "03" + "00" + "01" + "01" + "03016301090001" + "07");
        SubscriptionKey key = SubscriptionKey.fromBytes(new byte[16]);
        assertThat(hex(new Subscriptions(
                        1,
                        0,
                        5,
                        List.of(new Subscriptions.Item(new Subscription(key, "c", "*", Value.Obj.EMPTY), true)),
                        List.of("c"))))
                .isEqualTo("02" + "01" + "0000000000000000" + "05" + "01" + "10" + "00".repeat(16) + "0163" + "012a"
                        + "0800" + "01" + "01" + "0163");
        // covered flag 2: covered, hints owed (CAP_HINT_PASS)
        Subscriptions owed = new Subscriptions(
                1,
                0,
                5,
                List.of(new Subscriptions.Item(new Subscription(key, "c", "*", Value.Obj.EMPTY), true, true)),
                List.of("c"));
        assertThat(hex(owed))
                .isEqualTo("02" + "01" + "0000000000000000" + "05" + "01" + "10" + "00".repeat(16) + "0163" + "012a"
                        + "0800" + "02" + "01" + "0163");
        assertThat(WireCodec.decode(WireCodec.encode(owed))).isEqualTo(owed);
        assertThat(hex(new Message.Summary("c", new long[] {1, -1})))
                .isEqualTo("0a" + "0163" + "02" + "0000000000000001" + "ffffffffffffffff");
        // RANGES: collection, round, kind (1 OPEN, 2 SPLIT, 3 CHILDREN), body
        assertThat(hex(new Message.Ranges("c", 1, new Message.Ranges.Open(new Message.Ranges.Fingerprint(1)))))
                .isEqualTo("0e" + "0163" + "01" + "01" + "00" + "0000000000000001");
        assertThat(hex(new Message.Ranges("c", 1, new Message.Ranges.Open(new Message.Ranges.Listed(new long[] {2})))))
                .isEqualTo("0e" + "0163" + "01" + "01" + "01" + "01" + "0000000000000002");
        java.util.BitSet bits = new java.util.BitSet();
        bits.set(0);
        bits.set(2);
        bits.set(9);
        assertThat(hex(new Message.Ranges("c", 1, new Message.Ranges.Split(10, bits))))
                .isEqualTo("0e" + "0163" + "01" + "02" + "0a" + "05" + "02");
        assertThat(hex(new Message.Ranges(
                        "c",
                        2,
                        new Message.Ranges.Children(List.of(List.of(
                                new Message.Ranges.Fingerprint(1),
                                new Message.Ranges.Listed(new long[0]),
                                new Message.Ranges.Listed(new long[] {2}),
                                new Message.Ranges.Implied()))))))
                .isEqualTo("0e" + "0163" + "02" + "03" + "01" + "94" + "0000000000000001" + "00" + "01"
                        + "0000000000000002");
    }

    @Property(tries = 1000)
    void rangesMessagesRoundTrip(@ForAll long seed) {
        Message m = new RandomMessages(seed).ranges();
        byte[] bytes = WireCodec.encode(m);
        assertThat(WireCodec.decode(bytes)).as("seed %d", seed).isEqualTo(m);
        assertThat(bytes[0]).isEqualTo((byte) 14);
    }

    @Property(tries = 3000)
    void mutatedRangesAreRefusedWithWireExceptionOnly(@ForAll long seed) {
        Random r = new Random(seed);
        byte[] bytes = WireCodec.encode(new RandomMessages(seed).ranges());
        for (int k = 1 + r.nextInt(3); k > 0; k--) bytes = mutate(bytes, r);
        decodeSafely(bytes, "seed " + seed);
    }

    @Test
    void refusesRangesOutsideTheirBounds() {
        refused("0e0163", "truncated");
        refused("0e00" + "01" + "01" + "00" + "0000000000000001", "empty collection");
        refused("0e0163" + "00" + "01" + "00" + "0000000000000001", "round 0 outside 1..33");
        refused("0e0163" + "22" + "02" + "00", "round 34 outside");
        refused("0e0163" + "01" + "04", "unknown ranges kind 4");
        refused("0e0163" + "02" + "01" + "00" + "0000000000000001", "OPEN in round 2");
        refused("0e0163" + "01" + "03" + "00", "CHILDREN in round 1");
        refused("0e0163" + "01" + "01" + "02", "root mode 2"); // an implied root
        refused("0e0163" + "01" + "01" + "01" + "03" + "00".repeat(24), "out of range"); // a list of 3
        refused("0e0163" + "01" + "02" + "02" + "05", "bit past 2 ranges");
        refused("0e0163" + "01" + "02" + "818001", "out of range"); // 16,385 ranges
        refused("0e0163" + "02" + "03" + "01" + "c0", "part 3 of mode 3");
        refused("0e0163" + "02" + "03" + "01" + "02", "part 0 of mode 2"); // only the last part may be implied
        refused("0e0163" + "02" + "03" + "02" + "00", "truncated"); // two nodes of four fingerprints announced
        refused("0e0163" + "01" + "01" + "00" + "0000000000000001" + "00", "trailing");
    }

    private static String hex(Message m) {
        byte[] b = WireCodec.encode(m);
        assertThat(WireCodec.decode(b)).isEqualTo(m);
        return HEX.formatHex(b);
    }

    @Test
    void summariesHoldUpToMaxBuckets() {
        Message.Summary max = new Message.Summary("c", new long[Summaries.MAX_BUCKETS]);
        assertThat(WireCodec.decode(WireCodec.encode(max))).isEqualTo(max);
        byte[] over = WireCodec.encode(new Message.Summary("c", new long[Summaries.MAX_BUCKETS]));
        over[3] = (byte) 0x80;
        over[4] = (byte) 0x80;
        over[5] = (byte) 0x08; // 2^17 buckets announced
        assertThatThrownBy(() -> WireCodec.decode(Arrays.copyOf(over, over.length + (1 << 20))))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("not a power of two up to 65536");
    }

    // ---- compression --------------------------------------------------------------------------------

    static Batch compressibleBatch(int docs) {
        List<Message.Entry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < docs; i++) {
            entries.add(new DocEntry(
                    "cars",
                    ("car-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    i,
                    ("{\"make\":\"Volvo\",\"model\":\"V" + (i % 9) + "0\",\"year\":20" + (10 + i % 15) + "}")
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return new Batch(1, 1, 0, docs, false, entries, List.of());
    }

    /** A type-11 message announcing {@code length} inflated bytes (-1: the true length) around {@code plain}, deflated. */
    static byte[] deflatedClaiming(int length, byte[] plain) {
        java.util.zip.Deflater d = new java.util.zip.Deflater(1, true);
        d.setInput(plain);
        d.finish();
        byte[] buf = new byte[plain.length + 64];
        int n = d.deflate(buf);
        d.end();
        io.starling.internal.core.BinaryWriter w = new io.starling.internal.core.BinaryWriter(n + 8);
        w.writeByte(11).writeVarInt(length < 0 ? plain.length : length).writeRaw(Arrays.copyOf(buf, n));
        return w.toByteArray();
    }

    @Test
    void compressedMessagesDecodeToTheInnerMessage() {
        Batch b = compressibleBatch(200);
        byte[] plain = WireCodec.encode(b), deflated = WireCodec.encodeDeflated(b);
        assertThat(deflated[0]).isEqualTo((byte) 11);
        assertThat(deflated.length).isLessThan(plain.length / 3);
        assertThat(WireCodec.decode(deflated)).isEqualTo(b);
        // small or incompressible messages go as they are
        assertThat(WireCodec.encodeDeflated(new Ack(1))).isEqualTo(WireCodec.encode(new Ack(1)));
        byte[] noise = new byte[4000];
        new Random(1).nextBytes(noise);
        Batch random = new Batch(1, 1, 0, 1, false, List.of(new DocEntry("c", new byte[] {1}, 1, noise)), List.of());
        assertThat(WireCodec.encodeDeflated(random)).isEqualTo(WireCodec.encode(random));
    }

    @Test
    void aReusedCompressorGivesTheBytesOfAFreshOne() {
        byte[] noise = new byte[4000];
        new Random(2).nextBytes(noise);
        Batch incompressible =
                new Batch(1, 1, 0, 1, false, List.of(new DocEntry("c", new byte[] {1}, 1, noise)), List.of());
        // an incompressible message leaves the compressor in the middle of a stream: the next one starts afresh
        List<Message> sequence = List.of(
                compressibleBatch(200), incompressible, compressibleBatch(50), new Ack(3), compressibleBatch(300));
        java.util.zip.Deflater reused = WireCodec.newDeflater();
        try {
            for (Message m : sequence) {
                byte[] bytes = WireCodec.encodeDeflated(m, reused);
                assertThat(bytes).isEqualTo(WireCodec.encodeDeflated(m));
                assertThat(WireCodec.decode(bytes)).isEqualTo(m);
            }
        } finally {
            reused.end();
        }
    }

    @Test
    void compressedMessagesAreCheckedLikeOthers() {
        byte[] plain = WireCodec.encode(compressibleBatch(100));
        assertThatThrownBy(() -> WireCodec.decode(deflatedClaiming(-1, plain), plain.length - 1))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("out of range"); // inflates past the caller's limit
        assertThat(WireCodec.decode(deflatedClaiming(-1, plain), plain.length)).isEqualTo(compressibleBatch(100));
        assertThatThrownBy(() -> WireCodec.decode(deflatedClaiming(64 << 20, new byte[4 << 20]), 1 << 20))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("out of range"); // a bomb: refused before inflating
        assertThatThrownBy(() -> WireCodec.decode(deflatedClaiming(plain.length + 1, plain)))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("inflates to " + plain.length + " bytes, not");
        assertThatThrownBy(() -> WireCodec.decode(deflatedClaiming(plain.length - 1, plain)))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("more than");
        assertThatThrownBy(
                        () -> WireCodec.decode(deflatedClaiming(-1, WireCodec.encodeDeflated(compressibleBatch(100)))))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("inside a compressed message");
        byte[] trailing = Arrays.copyOf(deflatedClaiming(-1, plain), deflatedClaiming(-1, plain).length + 1);
        assertThatThrownBy(() -> WireCodec.decode(trailing))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("after the stream");
        assertThatThrownBy(() -> WireCodec.decode(HEX.parseHex("0b05ffffffff"))).isInstanceOf(WireException.class);
        assertThatThrownBy(() -> WireCodec.decode(HEX.parseHex("0b00")))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("0 bytes");
        byte[] badInner = deflatedClaiming(-1, HEX.parseHex("040100")); // ACK with a trailing byte
        assertThatThrownBy(() -> WireCodec.decode(badInner))
                .isInstanceOf(WireException.class)
                .hasMessageContaining("trailing");
    }

    // ---- named refusals -------------------------------------------------------------------------------

    @Test
    void refusesWhatIsNotExactlyOneValidMessage() {
        refused("", "empty");
        refused("7f", "unknown message type 127");
        refused("0c", "");
        refused("0c0701", "unknown attachment message kind 7");
        refused("0a0163", "truncated"); // SUMMARY without its bucket count
        refused("0a016303" + "00".repeat(24), "not a power of two"); // 3 buckets
        refused("0a016300", "not a power of two"); // no bucket
        refused("0a016302" + "00".repeat(8), "out of range"); // 2 buckets announced, 1 present
        refused("09", "truncated"); // PRESENCE without its payload
        refused("00", "unknown message type 0");
        refused("040100", "trailing");
        refused("0400", "batch number out of range"); // batch numbers start at 1
        refused("04ffffffffffffffffff01", "out of range"); // 2^64-1 as a sequence
        refused("04ffffffffffffffffff7f", "overflows"); // more than 64 bits
        refused("0702", "out of range"); // 2 refs announced, no bytes left for them
        refused("07ffffffff0f", "out of range"); // a count past the input
        refused("080274ff0178", "UTF-8"); // invalid UTF-8 in the reason
        refused("08c0800178", "runs past"); // a length past the end
        refused("0801", "runs past");
    }

    @Test
    void refusesBadFieldsInsideMessages() {
        // subscription key of 15 bytes
        refused(
                "02" + "01" + "0000000000000000" + "00" + "01" + "0f" + "00".repeat(15) + "0163" + "012a" + "0800"
                        + "01" + "00",
                "key of 15 bytes");
        // covered flag 3 (2 is "covered, hints owed", CAP_HINT_PASS)
        refused(
                "02" + "01" + "0000000000000000" + "00" + "01" + "10" + "00".repeat(16) + "0163" + "012a" + "0800"
                        + "03" + "00",
                "covered flag");
        // arguments not an object
        refused(
                "02" + "01" + "0000000000000000" + "00" + "01" + "10" + "00".repeat(16) + "0163" + "012a" + "0301"
                        + "01" + "00",
                "not an object");
        // empty collection name
        refused("07" + "01" + "00" + "0105", "empty collection");
        // empty id
        refused("07" + "01" + "0163" + "00", "empty document id");
        // toSeq below fromSeq
        refused("03" + "01" + "01" + "05" + "04" + "00" + "00" + "00", "below fromSeq");
        // unknown flag bit
        refused("03" + "01" + "01" + "00" + "00" + "02" + "00" + "00", "unknown flags");
        // a continued batch that completes a backfill
        refused("03" + "01" + "01" + "00" + "00" + "01" + "00" + "01" + "10" + "00".repeat(16), "continued batch");
        // unknown entry type
        refused("03" + "01" + "01" + "00" + "00" + "00" + "01" + "05" + "0163" + "0109" + "00", "unknown entry type 5");
        // a part at the end of a batch that is not continued
        refused("03" + "01" + "01" + "00" + "00" + "00" + "01" + "03016301090001" + "07" + "00", "nothing follows");
        // a part followed by another document
        refused(
                "03" + "01" + "01" + "00" + "00" + "00" + "02" + "03016301090001" + "07" + "01016301080001" + "07"
                        + "00",
                "rest of its document");
        // a hint in DOCS
        refused("06" + "01" + "00" + "00" + "01" + "02016301090102030405060708", "hint in DOCS");
        // an empty state
        refused("06" + "01" + "00" + "00" + "01" + "010163010900" + "00", "empty state");
        // HELLO: maximum frame size past an int
        refused("01" + "01" + "00" + "00".repeat(16) + "00" + "ffffffff7f" + "00", "out of range");
    }

    @Test
    void aHelloOfALaterVersionMayCarryMoreFields() {
        byte[] v2 = WireCodec.encode(new Hello(2, "app", 2, 3, 0, 1 << 20, 0));
        byte[] longer = Arrays.copyOf(v2, v2.length + 3);
        assertThat(WireCodec.decode(longer)).isEqualTo(new Hello(2, "app", 2, 3, 0, 1 << 20, 0));
    }

    @Test
    void subscriptionArgumentsRoundTripCanonically() {
        Value.Obj args = (Value.Obj) Value.fromJava(java.util.Map.of("b", 1, "a", List.of("x", 2.5)));
        Subscription s = Subscription.of("cars", "SELECT * FROM cars WHERE a = :a", args);
        Subscriptions m = new Subscriptions(1, 0, 0, List.of(new Subscriptions.Item(s, false)), List.of());
        Subscriptions back = (Subscriptions) WireCodec.decode(WireCodec.encode(m));
        assertThat(back.subscriptions().get(0).subscription()).isEqualTo(s);
        assertThat(back.subscriptions().get(0).subscription().key()).isEqualTo(SubscriptionKey.of(s.query(), args));
        BinaryWriter w = new BinaryWriter();
        ValueCodec.write(w, args);
        assertThat(WireCodec.encode(m)).containsSubsequence(w.toByteArray());
    }

    @Test
    void recordsRefuseInvalidContents() {
        assertThatThrownBy(() -> new Ack(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Batch(1, 0, 5, 4, false, List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Docs(1, 0, false, List.of(new HintEntry("c", new byte[] {1}, 0))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Batch(
                        1, 0, 0, 0, false, List.of(new PartEntry("c", new byte[] {1}, 0, new byte[] {1})), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Docs(
                        1, 0, false, List.of(new Message.DeltaEntry("c", new byte[] {1}, 0, 0, new byte[] {1}))))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] one = {1};
        assertThatThrownBy(() -> new Batch(
                        1,
                        0,
                        0,
                        0,
                        false,
                        List.of(new PartEntry("c", one, 0, one), new Message.DeltaEntry("c", one, 0, 0, one)),
                        List.of()))
                .as("a part followed by a delta of its document")
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deltasAreRefusedInDocsAndEmpty() {
        // DOCS (6) request 1, part 0, not continued, one DELTA entry
        refused("06" + "01" + "00" + "00" + "01" + "04016301090001020304050607080101", "a delta in DOCS");
        // BATCH with a DELTA entry whose delta is empty
        refused("03" + "01" + "01" + "00" + "01" + "00" + "01" + "040163010900010203040506070800" + "00", "delta");
    }

    @Test
    void resumeMessagesArePinnedAndChecked() {
        // RESUME (15), kind 1 SAME: revision, flags (1 every subscription covered, 2 every collection held), checkpoint
        // sequence, the subscriptions' digest (8 bytes)
        assertThat(hex(new Message.SameSubscriptions(1, 3, 300, 0x0102030405060708L)))
                .isEqualTo("0f" + "01" + "01" + "03" + "ac02" + "0102030405060708");
        // kind 2 WANTED: the revision of the marker that could not be used
        assertThat(hex(new Message.SubscriptionsWanted(2))).isEqualTo("0f" + "02" + "02");
        for (Message m :
                List.of(new Message.SameSubscriptions(7, 0, 1, -1), new Message.SubscriptionsWanted(Long.MAX_VALUE))) {
            assertThat(WireCodec.decode(WireCodec.encode(m))).isEqualTo(m);
        }
        refused("0f" + "03" + "01", "unknown resume kind 3");
        refused("0f" + "01" + "00" + "00" + "01" + "0102030405060708", "revision out of range");
        refused("0f" + "01" + "01" + "04" + "01" + "0102030405060708", "unknown resume flags 4");
        refused("0f" + "01" + "01" + "00" + "00" + "0102030405060708", "checkpoint sequence out of range");
        refused("0f" + "01" + "01" + "00" + "01" + "01020304050607", "");
        refused("0f" + "02" + "00", "revision out of range");
        refused("0f" + "02" + "01" + "00", "trailing");
        refused("0f", "");
        Random r = new Random(15);
        for (int i = 0; i < 2000; i++) {
            byte[] bytes = WireCodec.encode(
                    r.nextBoolean()
                            ? new Message.SameSubscriptions(
                                    1 + r.nextInt(1000), r.nextInt(4), 1 + r.nextInt(1 << 20), r.nextLong())
                            : new Message.SubscriptionsWanted(1 + r.nextInt(1000)));
            for (int k = 1 + r.nextInt(3); k > 0; k--) bytes = mutate(bytes, r);
            decodeSafely(bytes, "resume " + i);
        }
    }

    @Test
    void presenceResumeMessagesArePinnedAndChecked() {
        // PRESENCE-RESUME (16), kind 1 SAME: the digest of the view it names (8 bytes), the sender's new sequence
        assertThat(hex(new Message.SamePresence(0x0102030405060708L, 300)))
                .isEqualTo("10" + "01" + "0102030405060708" + "ac02");
        // kind 2 WANTED: the digest of the marker that could not be used
        assertThat(hex(new Message.PresenceWanted(-2))).isEqualTo("10" + "02" + "fffffffffffffffe");
        for (Message m : List.of(
                new Message.SamePresence(Long.MIN_VALUE, 0),
                new Message.SamePresence(-1, Long.MAX_VALUE),
                new Message.PresenceWanted(0))) {
            assertThat(WireCodec.decode(WireCodec.encode(m))).isEqualTo(m);
        }
        refused("10" + "03" + "0102030405060708", "unknown presence-resume kind 3");
        refused("10" + "00", "unknown presence-resume kind 0");
        refused("10" + "01" + "0102030405060708", ""); // no sequence
        refused("10" + "01" + "01020304050607", ""); // a short digest
        refused("10" + "01" + "0102030405060708" + "ffffffffffffffffff01", "presence sequence"); // 2^64 - 1
        refused("10" + "01" + "0102030405060708" + "01" + "00", "trailing");
        refused("10" + "02" + "0102030405060708" + "00", "trailing");
        refused("10" + "02" + "01020304050607", "");
        refused("10", "");
        assertThatThrownBy(() -> new Message.SamePresence(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 1000)
    void presenceResumeMessagesRoundTripAndTheirMutationsAndTruncationsAreRefusedWithWireExceptionOnly(
            @ForAll long seed) {
        Random r = new Random(seed);
        Message m = new RandomMessages(seed).presenceResume();
        byte[] bytes = WireCodec.encode(m);
        assertThat(WireCodec.decode(bytes)).as("seed %d", seed).isEqualTo(m);
        assertThat(bytes[0]).isEqualTo((byte) 16);
        for (int n = 0; n < bytes.length; n++) {
            byte[] prefix = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> WireCodec.decode(prefix))
                    .as("seed %d, %d of %d bytes", seed, n, bytes.length)
                    .isInstanceOf(WireException.class);
        }
        byte[] mutated = bytes;
        for (int k = 1 + r.nextInt(3); k > 0; k--) mutated = mutate(mutated, r);
        decodeSafely(mutated, "seed " + seed);
    }

    @Test
    void theSubscriptionsDigestCoversEachSubscriptionInOrderAndNothingElse() {
        Subscription s = SyncSessionTest.sub("c", "*"), t = SyncSessionTest.sub("d", "k = 1");
        long digest = WireCodec.subscriptionSetDigest(List.of(s, t));
        // the count and the subscriptions as SUBSCRIPTIONS encodes them, without covered flags and held collections
        BinaryWriter w = new BinaryWriter(64).writeVarInt(2);
        for (Subscription x : List.of(s, t)) {
            w.writeBytes(x.key().bytes()).writeString(x.collection()).writeString(x.query());
            ValueCodec.write(w, x.args());
        }
        assertThat(digest).isEqualTo(Digests.of(w.toByteArray()));
        assertThat(WireCodec.subscriptionSetDigest(List.of(t, s))).isNotEqualTo(digest);
        assertThat(WireCodec.subscriptionSetDigest(List.of(s))).isNotEqualTo(digest);
        // a marker stands for the SUBSCRIPTIONS its flags describe
        Message.SameSubscriptions marker = new Message.SameSubscriptions(1, 3, 40, digest);
        assertThat(marker.expand(List.of(s, Subscription.EVERY, t), 9))
                .isEqualTo(new Subscriptions(
                        1,
                        9,
                        40,
                        List.of(
                                new Subscriptions.Item(s, true),
                                new Subscriptions.Item(Subscription.EVERY, true),
                                new Subscriptions.Item(t, true)),
                        List.of("c", "d")));
        assertThat(new Message.SameSubscriptions(1, 0, 40, digest).expand(List.of(s), 9))
                .isEqualTo(new Subscriptions(1, 9, 40, List.of(new Subscriptions.Item(s, false)), List.of()));
    }

    private static void refused(String hex, String messagePart) {
        byte[] bytes = HEX.parseHex(hex);
        assertThatThrownBy(() -> WireCodec.decode(bytes))
                .as(hex)
                .isInstanceOf(WireException.class)
                .hasMessageContaining(messagePart)
                .satisfies(e -> assertThat(((WireException) e).reason()).isEqualTo(SyncSession.MALFORMED));
    }
}
