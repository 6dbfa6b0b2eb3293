package io.starling.cli;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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

/**
 * Writes Server-Sent Events ({@code text/event-stream}) on one HTTP connection: the response headers once, then
 * each event as a chunk, {@code data: <one line>\n\n}. The headers go out with the first event or on
 * {@link #open()}, whichever comes first, so that a stream that fails to start can still answer with an error.
 *
 * <p>Thread-safe: events come from the observer's delivery thread, keepalives from the connection's event loop.
 * Netty keeps the order of writes made under this object's lock.
 */
final class EventStreamSink implements HttpApi.EventSink {
    private final Channel channel;
    private boolean headersSent;

    EventStreamSink(Channel channel) {
        this.channel = channel;
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
        channel.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    @Override
    public synchronized void send(String data, Runnable sent) {
        open();
        channel.writeAndFlush(chunk("data: " + data + "\n\n")).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess()) sent.run();
            else f.channel().close();
        });
    }

    /** A comment line: keeps proxies from timing the stream out, and finds clients that are gone. */
    synchronized void keepalive() {
        if (!headersSent) return;
        channel.writeAndFlush(chunk(":\n\n")).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    private static DefaultHttpContent chunk(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }
}
