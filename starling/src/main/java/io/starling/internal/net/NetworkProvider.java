package io.starling.internal.net;

/**
 * A network stack (transports, discovery), found with {@link java.util.ServiceLoader} so that the library
 * itself carries no networking dependency: add {@code starling-transport-netty} to the class path to get one.
 * An instance starts one {@link Network} when its configuration asks for listening, connecting or LAN
 * discovery.
 */
public interface NetworkProvider {

    /** Short name for logs ({@code netty}). */
    String name();

    /**
     * Starts listening, connecting and discovering as {@code host.config()} says. Returns once every listener
     * is bound (so {@link Network#listening()} holds real ports); outgoing connections proceed in the
     * background.
     *
     * @throws io.starling.StarlingException {@code CONFIG_INVALID} for a bad key file, {@code NETWORK_IO} when a
     *     listener cannot bind (naming the address)
     */
    Network start(NetworkHost host);
}
