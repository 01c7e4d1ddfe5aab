package io.masterwork.api;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * One listening socket of the {@code listen} list, as this worker inherited it from the master.
 *
 * <p>The socket is already bound and listening (the master owns it); a worker only accepts on its
 * copy. {@link #serve} attaches the application's handler for accepted connections and registers
 * the server channel on the worker's event loop; from then on connections are accepted.
 */
public interface Listener {

    /**
     * Which entry of the {@code listen} list this socket is.
     *
     * @return its position in the list (0-based)
     */
    int index();

    /**
     * Where clients connect.
     *
     * @return the address the socket is bound to
     */
    InetSocketAddress address();

    /**
     * Starts accepting: every accepted connection gets {@code childHandler} (a
     * {@link io.netty.channel.ChannelInitializer} or a {@code @Sharable} handler) on the worker's
     * event loop. Call at most once per listener.
     *
     * @param childHandler what every accepted connection's pipeline starts with
     * @return the Netty server channel, registered and accepting
     * @throws IllegalStateException when this listener is already served (or closed at shutdown), or the
     *                               channel cannot be registered on the event loop
     */
    default ServerChannel serve(ChannelHandler childHandler) {
        return serve(childHandler, Map.of());
    }

    /**
     * As {@link #serve(ChannelHandler)}, with {@code childOptions} set on every accepted connection (e.g.
     * {@code SO_KEEPALIVE}, {@code SO_RCVBUF}, {@code WRITE_BUFFER_WATER_MARK}); {@code TCP_NODELAY} is on
     * unless they say otherwise. A connection adopted from a retiring sibling keeps its socket options (they
     * belong to the socket, which moved) but gets Netty's defaults for Netty's own options: set those in the
     * adopter when they matter.
     *
     * @param childHandler what every accepted connection's pipeline starts with
     * @param childOptions Netty channel options for every accepted connection (may be empty)
     * @return the Netty server channel, registered and accepting
     * @throws IllegalArgumentException for an option the channel does not know, naming it
     * @throws IllegalStateException    when this listener is already served (or closed at shutdown), or the
     *                                  channel cannot be registered on the event loop
     */
    ServerChannel serve(ChannelHandler childHandler, Map<ChannelOption<?>, Object> childOptions);

    /**
     * The channel {@link #serve} returned, for an application that closes or inspects it later.
     *
     * @return the server channel once {@link #serve} was called, else null
     */
    ServerChannel channel();
}
