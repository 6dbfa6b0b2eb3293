package io.starling.internal.transport.netty;

import io.starling.internal.sync.FrameDecoder;
import io.starling.internal.sync.FrameEncoder;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.SessionConfig;
import io.starling.internal.sync.WireCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

/** A hand-driven TCP client speaking (or breaking) the frame protocol, for hostile-peer tests. */
final class RawPeer implements AutoCloseable {
    final Socket socket;

    RawPeer(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
    }

    RawPeer send(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return this;
    }

    RawPeer send(Message m) throws IOException {
        return send(FrameEncoder.frame(m));
    }

    /** Reads until the server closes the connection; returns every byte received. */
    byte[] readUntilClosed() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) out.write(buf, 0, n);
        } catch (SocketException reset) {
            // closed by the server while our unread bytes were in flight: closed all the same
        }
        return out.toByteArray();
    }

    /** The messages in {@code bytes} (keep-alive frames skipped); stops at anything that does not decode. */
    static List<Message> messages(byte[] bytes) {
        List<Message> out = new ArrayList<>();
        try {
            for (byte[] frame : new FrameDecoder(SessionConfig.defaults().maxFrameBytes()).feed(bytes)) {
                if (frame.length > 0) out.add(WireCodec.decode(frame));
            }
        } catch (RuntimeException e) {
            // a truncated tail: keep what decoded
        }
        return out;
    }

    /** The reason of the CLOSE message among {@code messages}, or null. */
    static String closeReason(List<Message> messages) {
        for (Message m : messages) if (m instanceof Message.Close c) return c.reason();
        return null;
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
