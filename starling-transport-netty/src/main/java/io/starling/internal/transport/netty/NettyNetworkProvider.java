package io.starling.internal.transport.netty;

import io.starling.internal.net.Network;
import io.starling.internal.net.NetworkHost;
import io.starling.internal.net.NetworkProvider;

/** The Netty network stack, found by {@link java.util.ServiceLoader}: TCP and WebSocket, TLS 1.3, LAN discovery. */
public final class NettyNetworkProvider implements NetworkProvider {

    /** Public for {@link java.util.ServiceLoader}. */
    public NettyNetworkProvider() {}

    @Override
    public String name() {
        return "netty";
    }

    @Override
    public Network start(NetworkHost host) {
        return NettyNetwork.start(host, NetSettings.fromSystemProperties());
    }
}
