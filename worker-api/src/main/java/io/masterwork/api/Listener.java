package io.masterwork.api;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ServerChannel;

import java.net.InetSocketAddress;

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
    ServerChannel serve(ChannelHandler childHandler);

    /** The server channel once {@link #serve} was called, else null. */
    ServerChannel channel();
}
