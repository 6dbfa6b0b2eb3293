package io.starling.internal.sync;

import io.starling.internal.core.BinaryReader;
import io.starling.internal.core.BinaryWriter;

/** The encoding of {@link BlobMessage}s inside a BLOB message (docs/SYNC-PROTOCOL.md, "Attachments"). */
final class BlobCodec {
    static final int WANT = 1, HAVE = 2, LACK = 3, GET = 4, CHUNK = 5, DONE = 6;

    private BlobCodec() {}

    static void write(BinaryWriter w, BlobMessage m) {
        if (m instanceof BlobMessage.Want x) {
            w.writeByte(WANT).writeVarLong(x.fetchNo()).writeBytes(x.id()).writeVarLong(x.length());
            w.writeVarInt(x.ttl());
        } else if (m instanceof BlobMessage.Have x) {
            w.writeByte(HAVE).writeVarLong(x.fetchNo()).writeVarLong(x.chunks());
        } else if (m instanceof BlobMessage.Lack x) {
            w.writeByte(LACK).writeVarLong(x.fetchNo()).writeString(x.reason());
        } else if (m instanceof BlobMessage.Get x) {
            w.writeByte(GET).writeVarLong(x.fetchNo()).writeVarLong(x.index()).writeVarInt(x.count());
        } else if (m instanceof BlobMessage.Chunk x) {
            w.writeByte(CHUNK).writeVarLong(x.fetchNo()).writeVarLong(x.index()).writeBytes(x.hash());
            w.writeBytes(x.data());
        } else if (m instanceof BlobMessage.Done x) {
            w.writeByte(DONE).writeVarLong(x.fetchNo());
        }
    }

    /** Reads one blob message; the records' own checks refuse out-of-range values (WireCodec turns them into malformed). */
    static BlobMessage read(BinaryReader r) {
        int kind = r.readByte();
        long fetchNo = r.readVarLong();
        return switch (kind) {
            case WANT -> new BlobMessage.Want(fetchNo, r.readBytes(), r.readVarLong(), intOf(r.readVarLong()));
            case HAVE -> new BlobMessage.Have(fetchNo, r.readVarLong());
            case LACK -> new BlobMessage.Lack(fetchNo, r.readString());
            case GET -> new BlobMessage.Get(fetchNo, r.readVarLong(), intOf(r.readVarLong()));
            case CHUNK -> new BlobMessage.Chunk(fetchNo, r.readVarLong(), r.readBytes(), r.readBytes());
            case DONE -> new BlobMessage.Done(fetchNo);
            default -> throw WireException.malformed("unknown attachment message kind " + kind);
        };
    }

    private static int intOf(long v) {
        if (v < 0 || v > Integer.MAX_VALUE) throw WireException.malformed("number " + v + " out of range");
        return (int) v;
    }
}
