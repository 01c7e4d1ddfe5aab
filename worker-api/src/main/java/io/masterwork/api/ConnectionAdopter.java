package io.masterwork.api;

import io.netty.channel.Channel;

/** Takes in a connection a retiring sibling moved to this worker (see {@link ConnectionHandover}). */
@FunctionalInterface
public interface ConnectionAdopter {

    /**
     * Called on the event loop with a channel built on the received socket, already registered on this
     * worker's event loop (channelActive has passed through its still empty pipeline), with {@code autoRead}
     * off. Install the pipeline for {@code moved.protocol()} with the state in {@code moved.state()} and
     * return true: the worker then hands {@code moved.unread()} (if any) to the pipeline as the first
     * {@code channelRead} and turns {@code autoRead} on. Return false to decline (a protocol this application
     * does not speak, no room left): the worker closes the connection, which the client sees as an orderly
     * end (FIN) of an idle connection. An exception thrown here is logged and counts as a decline.
     *
     * @param channel the moved connection, registered on this worker's event loop, {@code autoRead} off
     * @param moved   the record the retiring sibling sent with it: protocol, unread bytes, state
     * @return true when this application took the connection over, false to have the worker close it
     */
    boolean adopt(Channel channel, MovedConnection moved);
}
