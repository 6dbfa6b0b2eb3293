package io.starling.cli;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Writes Server-Sent Events ({@code text/event-stream}) on one HTTP connection: the response headers once, then
 * each event as a chunk, {@code data: <one line>\n\n}. The headers go out with the first event or on
 * {@link #open()}, whichever comes first, so that a stream that fails to start can still answer with an error.
 *
 * <p>Bounded memory, whatever the client does: the source sends the next event only after the previous one was
 * written to the socket ({@code sent}), coalescing what changed meanwhile; a keep-alive is not queued while a write
 * waits; and a write that waits longer than the stall timeout (the client reads nothing) closes the connection, which
 * releases what waits and closes the stream's observer. So a stream holds at most one event, for a bounded time.
 *
 * <p>Thread-safe: events come from the observer's delivery thread, keepalives from the connection's event loop.
 * Netty keeps the order of writes made under this object's lock.
 */
final class EventStreamSink implements HttpApi.EventSink {
    private final Channel channel;
    private final long stallNanos;
    private final Runnable onStall;
    private final AtomicBoolean stalled = new AtomicBoolean();
    private boolean headersSent;
    /** The last write; the client has taken everything once it is done. */
    private @Nullable ChannelFuture lastWrite;

    /**
     * @param stallTimeout how long a write may wait for the client to read before the connection is closed
     * @param onStall called (once) when that happens, to log it
     */
    EventStreamSink(Channel channel, Duration stallTimeout, Runnable onStall) {
        this.channel = channel;
        this.stallNanos = stallTimeout.toNanos();
        this.onStall = onStall;
    }

    /** Sends the response headers if no event has yet. */
    synchronized void open() {
        if (headersSent) return;
        headersSent = true;
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        res.headers().set("X-Accel-Buffering", "no"); // reverse proxies must not hold events back
        HttpUtil.setTransferEncodingChunked(res, true);
        write(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public void send(String data, Runnable sent) {
        sendEvents("data: " + data + "\n\n", sent);
    }

    @Override
    public synchronized void sendEvents(String events, Runnable sent) {
        open();
        write(chunk(events)).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) sent.run();
            else f.channel().close();
        });
    }

    /** A comment line: keeps proxies from timing the stream out, and finds clients that are gone. */
    synchronized void keepalive() {
        if (!headersSent) return;
        if (lastWrite != null && !lastWrite.isDone()) return; // the client is behind: queue nothing more
        write(chunk(":\n\n")).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    /** Writes, and closes the connection if the client has not taken it within the stall timeout. */
    private ChannelFuture write(Object message) {
        ChannelFuture f = channel.writeAndFlush(message);
        lastWrite = f;
        if (!f.isDone()) {
            var stall = channel.eventLoop()
                    .schedule(
                            () -> {
                                if (!f.isDone() && stalled.compareAndSet(false, true)) {
                                    onStall.run();
                                    channel.close();
                                }
                            },
                            stallNanos,
                            TimeUnit.NANOSECONDS);
            f.addListener(done -> stall.cancel(false));
        }
        return f;
    }

    private static DefaultHttpContent chunk(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }
}
