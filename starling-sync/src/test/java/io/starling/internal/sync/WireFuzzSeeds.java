package io.starling.internal.sync;

import io.starling.internal.core.BinaryWriter;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The seed corpus of {@link WireFuzzTest}: valid messages of every type (from {@link RandomMessages} with fixed
 * seeds, so the bytes are the same on every run), truncations, oversize and overlong lengths, counts that claim
 * more than the input holds, and garbage. {@link WireFuzzSeedsTest} checks that the committed files match and
 * rewrites them on request (docs/FUZZING.md). Crash inputs kept as regressions live next to them under other
 * names and are left alone.
 */
final class WireFuzzSeeds {
    /** Where Jazzer looks for the inputs of {@code WireFuzzTest.<method>}: relative to the test class. */
    static final String ROOT = "io/starling/internal/sync/WireFuzzTestInputs";

    static final String[] TYPE_NAMES = {
        "",
        "hello",
        "subscriptions",
        "batch",
        "ack",
        "request",
        "docs",
        "zombies",
        "close",
        "presence",
        "summary",
        "revocations"
    };

    private WireFuzzSeeds() {}

    /** Seeds per fuzz test method name. */
    static Map<String, Map<String, byte[]>> all() {
        return Map.of("decode", messageSeeds(), "roundTrip", messageSeeds(), "frameDecoder", streamSeeds());
    }

    /** Valid messages of every type and a few shapes each, then broken ones. */
    static Map<String, byte[]> messageSeeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        for (int type = 1; type <= RandomMessages.TYPES; type++) {
            for (long seed = 1; seed <= 3; seed++) {
                seeds.put(
                        "valid-" + TYPE_NAMES[type] + "-" + seed,
                        WireCodec.encode(new RandomMessages(seed * 31 + type).of(type)));
            }
        }
        for (int type = 1; type <= RandomMessages.TYPES; type++) {
            byte[] valid = seeds.get("valid-" + TYPE_NAMES[type] + "-1");
            seeds.put("truncated-" + TYPE_NAMES[type], Arrays.copyOf(valid, valid.length / 2));
            seeds.put("trailing-" + TYPE_NAMES[type], Arrays.copyOf(valid, valid.length + 1));
        }
        seeds.put("unknown-type", new byte[] {12, 1});
        seeds.put("summary-three-buckets", bytes(10, 1, 0x63, 3, 0, 0, 0, 0, 0, 0, 0, 0));
        seeds.put("summary-count-huge", bytes(10, 1, 0x63, 0xff, 0xff, 0xff, 0xff, 0x07));
        seeds.put("type-zero", new byte[] {0});
        seeds.put("deflated-batch", WireCodec.encodeDeflated(WireCodecTest.compressibleBatch(40)));
        seeds.put("deflated-bomb", WireCodecTest.deflatedClaiming(64 << 20, new byte[4 << 20]));
        seeds.put("deflated-short", WireCodecTest.deflatedClaiming(1000, WireCodec.encode(new Message.Ack(1))));
        seeds.put(
                "deflated-nested",
                WireCodecTest.deflatedClaiming(-1, WireCodec.encodeDeflated(WireCodecTest.compressibleBatch(40))));
        // ACK 1 with a non-minimal varint: decodes, and re-encodes to the minimal form
        seeds.put("ack-overlong-varint", new byte[] {4, (byte) 0x81, (byte) 0x80, 0});
        seeds.put("ack-zero", new byte[] {4, 0});
        seeds.put("varint-11-bytes", bytes(4, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01));
        // counts and lengths claiming far more than the input holds: refused before anything is allocated
        seeds.put("zombies-count-2g", bytes(7, 0xff, 0xff, 0xff, 0xff, 0x07));
        seeds.put("request-count-huge", bytes(5, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f));
        seeds.put("presence-length-2g", bytes(9, 0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3));
        seeds.put("close-string-length-huge", bytes(8, 0xff, 0xff, 0xff, 0xff, 0x0f, 'x'));
        seeds.put("close-invalid-utf8", bytes(8, 2, 0xc3, 0x28, 0));
        seeds.put("hello-version-2-trailing", helloV2WithTrailingBytes());
        seeds.put("subscriptions-args-nested-129", subscriptionsWithNestedArgs(129));
        seeds.put("subscriptions-args-nested-128", subscriptionsWithNestedArgs(128));
        seeds.put("garbage-1", bytes(3, 0x80, 0x80, 0x01, 0xfe, 0x00, 0x42, 0x13, 0x37));
        seeds.put("garbage-2", bytes(0xff, 0xff, 0xff, 0xff));
        return seeds;
    }

    /** Frame streams: every type framed, all of them in one stream, cut frames, bad lengths, garbage. */
    static Map<String, byte[]> streamSeeds() {
        Map<String, byte[]> messages = messageSeeds();
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int type = 1; type <= RandomMessages.TYPES; type++) {
            byte[] frame = FrameEncoder.frame(messages.get("valid-" + TYPE_NAMES[type] + "-1"));
            seeds.put("frame-" + TYPE_NAMES[type], frame);
            all.writeBytes(frame);
        }
        byte[] stream = all.toByteArray();
        seeds.put("stream-every-type", stream);
        seeds.put("stream-cut-in-a-frame", Arrays.copyOf(stream, stream.length - 3));
        byte[] batch = seeds.get("frame-batch");
        seeds.put("frame-cut-in-length", Arrays.copyOf(FrameEncoder.frame(new byte[300]), 1));
        seeds.put("frame-cut-in-body", Arrays.copyOf(batch, batch.length / 2));
        seeds.put("frame-empty", new byte[] {0});
        seeds.put("frame-empty-then-ack", bytes(0, 2, 4, 1));
        seeds.put(
                "length-small-max-plus-1",
                new BinaryWriter()
                        .writeVarInt(WireFuzzTest.SMALL_MAX + 1)
                        .writeRaw(new byte[8])
                        .toByteArray());
        seeds.put("length-2g", bytes(0xff, 0xff, 0xff, 0xff, 0x07, 1, 2, 3));
        seeds.put("length-varint-6-bytes", bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
        seeds.put("length-5-byte-zero", bytes(0x80, 0x80, 0x80, 0x80, 0x00, 2, 4, 1));
        seeds.put("frame-of-garbage", bytes(5, 0xff, 0x00, 0x80, 0x7f, 0x01));
        seeds.put("garbage", bytes(0x13, 0x37, 0xc0, 0xff, 0xee, 0x00, 0x01, 0x02));
        return seeds;
    }

    private static byte[] helloV2WithTrailingBytes() {
        Message.Hello h = new Message.Hello(2, "app", 7, 9, 0, 1 << 20, 0);
        return new BinaryWriter()
                .writeRaw(WireCodec.encode(h))
                .writeRaw(new byte[] {1, 2, 3})
                .toByteArray();
    }

    /** A SUBSCRIPTIONS whose arguments object holds arrays nested {@code depth} deep (the decoder allows 128). */
    private static byte[] subscriptionsWithNestedArgs(int depth) {
        BinaryWriter w = new BinaryWriter()
                .writeByte(WireCodec.SUBSCRIPTIONS)
                .writeVarLong(1)
                .writeFixedLong(0)
                .writeVarLong(0)
                .writeVarInt(1)
                .writeBytes(new byte[WireCodec.KEY_BYTES])
                .writeString("cars")
                .writeString("SELECT * FROM cars");
        w.writeByte(8).writeVarInt(1).writeString("a"); // object {a: [[[...]]]}
        for (int i = 1; i < depth; i++) w.writeByte(7).writeVarInt(1);
        w.writeByte(0); // innermost: null
        return w.writeByte(0).writeVarInt(0).toByteArray();
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) b[i] = (byte) values[i];
        return b;
    }
}
