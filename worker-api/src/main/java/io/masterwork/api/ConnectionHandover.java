package io.masterwork.api;

import io.netty.channel.Channel;

/**
 * Live connection handover: how an application lets its client connections outlive this worker.
 *
 * <p>When the master replaces this worker (a reload, or TTOU) and {@code connection_handover = on}, it
 * first names the worker's successors, then asks it to QUIT. In {@link WorkerApplication#drain} the
 * application finishes what is in flight as before, but instead of closing a connection that has reached a
 * clean boundary (no request half read, nothing waiting to be written) it may {@link #moveAway} it: the
 * connection's socket travels to a successor through that worker's inbox (SCM_RIGHTS) with a small
 * {@link MovedConnection} record, and the successor's {@link ConnectionAdopter} serves the next request
 * on the same TCP connection. The client sees nothing: no FIN, no reset, no reconnect; bytes it sends
 * meanwhile wait in the socket's kernel queue for the new owner.
 *
 * <p>Every method is for the worker's event loop thread.
 */
public interface ConnectionHandover {

    /**
     * True while this worker is retiring and knows at least one successor to move connections to. Outside
     * a drain, or with {@code connection_handover = off}, or when the master's QUIT came without successors
     * (a binary upgrade, a stop), it is false and connections end gracefully as before.
     *
     * @return whether {@link #moveAway} can move a connection now
     */
    boolean available();

    /**
     * Moves {@code channel} to a successor now, spreading connections evenly over them. The channel must
     * be registered on this worker's event loop and at a clean boundary: no request half handled, nothing
     * left to write; {@code state} says what the successor needs to resume it (bytes already read from the
     * socket but not handled go in {@link MovedConnection#unread()}). Do not call it while a handler of
     * this channel is decoding (from a response's write listener, say): go through
     * {@code eventLoop().execute} first, so no read sits half processed.
     *
     * <p>Returns true once a successor's inbox holds the connection: this worker's copy has then been
     * closed, which sends nothing to the client (channelInactive fires as for any close; handlers must
     * not write then). Returns false when it could not move (no successor left, every successor's inbox
     * full or gone, a record above {@link MovedConnection#MAX_SIZE}): nothing changed, the channel is still
     * the caller's, who ends it gracefully.
     *
     * @param channel a connection of this worker, at a clean boundary
     * @param state   what travels with the socket (protocol, unread bytes, the application's state)
     * @return true when the connection moved and this worker's copy is closed; false when nothing changed
     */
    boolean moveAway(Channel channel, MovedConnection state);

    /**
     * Sets what adopts the connections a retiring sibling moves to this worker. Without an adopter (or
     * with {@code connection_handover = off} here) a moved connection is closed on arrival. Set it in
     * {@link WorkerApplication#start}.
     *
     * @param adopter replaces any adopter set before
     */
    void onAdopt(ConnectionAdopter adopter);

    /** Nothing ever moves: for contexts without a worker behind them (tests, tools). */
    ConnectionHandover NONE = new ConnectionHandover() {
        @Override
        public boolean available() {
            return false;
        }

        @Override
        public boolean moveAway(Channel channel, MovedConnection state) {
            return false;
        }

        @Override
        public void onAdopt(ConnectionAdopter adopter) {
        }
    };
}
