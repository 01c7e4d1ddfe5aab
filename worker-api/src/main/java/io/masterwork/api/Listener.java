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

    /** Position in the {@code listen} list (0-based). */
    int index();

    /** The address the socket is bound to. */
    InetSocketAddress address();

    /**
     * Starts accepting: every accepted connection gets {@code childHandler} (a
     * {@link io.netty.channel.ChannelInitializer} or a {@code @Sharable} handler) on the worker's
     * event loop. Call at most once per listener.
     *
     * @return the Netty server channel, registered and accepting
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
     * @return the Netty server channel, registered and accepting
     * @throws IllegalArgumentException for an option the channel does not know, naming it
     */
    ServerChannel serve(ChannelHandler childHandler, Map<ChannelOption<?>, Object> childOptions);

    /** The server channel once {@link #serve} was called, else null. */
    ServerChannel channel();
}
