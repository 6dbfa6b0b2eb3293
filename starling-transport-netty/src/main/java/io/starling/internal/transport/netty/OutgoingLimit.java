package io.starling.internal.transport.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enters a dialed connection into the {@link ConnectionRegistry} once it is connected; closes it if the limit was
 * reached while it was connecting (a dialer checks for room before dialing, so this is a rare race). Removes itself.
 */
final class OutgoingLimit extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(OutgoingLimit.class);
    private final ConnectionRegistry registry;
    private final String target;

    OutgoingLimit(ConnectionRegistry registry, String target) {
        this.registry = registry;
        this.target = target;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.pipeline().remove(this);
        if (!registry.tryAdd(ctx.channel())) {
            log.warn("connection limit of {} reached, dropping the new connection to {}", registry.max(), target);
            ctx.close();
            return;
        }
        ctx.fireChannelActive();
    }
}
