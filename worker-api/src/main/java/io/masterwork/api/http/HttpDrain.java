package io.masterwork.api.http;

import io.masterwork.api.ConnectionHandover;
import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The drain of an application's HTTP/1.1 connections: each connection's {@link HttpConnectionDrain}, the
 * worker-wide {@link #drain} that moves or ends every one of them, and whether a connection a retiring
 * sibling moved here may be taken in. {@link HttpHandover} keeps its connections here; an application that
 * builds its own pipeline (the built-in one does) keeps them here too, with the same decisions. Event loop
 * thread only.
 */
public final class HttpDrain {
    private final ConnectionHandover handover;
    private final Set<HttpConnectionDrain> open = new LinkedHashSet<>();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private boolean draining;

    /**
     * No connection yet.
     *
     * @param handover the worker's {@link io.masterwork.api.ApplicationContext#handover()}
     */
    public HttpDrain(ConnectionHandover handover) {
        this.handover = Objects.requireNonNull(handover, "handover");
    }

    /**
     * Tracks an HTTP/1.1 connection until it {@linkplain HttpConnectionDrain#closed closes}. Call once its
     * handlers are in place: while the worker drains, the connection's drain starts at once.
     *
     * @param channel the connection, on this worker's event loop
     * @param decoder its request decoder
     * @param served  requests it served before it moved here (0 for a new connection)
     * @param owner   its handlers' side of the drain
     * @return the connection's drain, for its handlers to report to
     */
    public HttpConnectionDrain add(Channel channel, HttpBoundaryDecoder decoder, int served, HttpConnectionDrain.Owner owner) {
        Objects.requireNonNull(decoder, "decoder");
        return track(new HttpConnectionDrain(this, channel, decoder, served, owner));
    }

    /**
     * Tracks a connection moved here after it switched away from HTTP ({@code 101}): it counts for the drain,
     * which goes to {@link HttpConnectionDrain.Owner#drainSwitched}.
     *
     * @param channel the connection, on this worker's event loop
     * @param owner   its handlers' side of the drain
     * @return the connection's drain
     */
    public HttpConnectionDrain addSwitched(Channel channel, HttpConnectionDrain.Owner owner) {
        HttpConnectionDrain connection = new HttpConnectionDrain(this, channel, null, 0, owner);
        connection.switchedProtocols();
        return track(connection);
    }

    private HttpConnectionDrain track(HttpConnectionDrain connection) {
        open.add(connection);
        if (draining) {
            connection.drain();
        }
        return connection;
    }

    /**
     * Whether a connection a retiring sibling moved here may be taken in now: always, except while this worker
     * drains too, unless it can pass the connection on to successors of its own (two reloads in quick
     * succession) and its drain has not completed.
     *
     * @return true when adopting is allowed
     */
    public boolean mayAdopt() {
        return !draining || handover.available() && !drained.isDone();
    }

    /**
     * For {@link io.masterwork.api.WorkerApplication#drain}: every connection moves or ends at its next clean
     * boundary.
     *
     * @return completes once no connection is left
     */
    public CompletionStage<Void> drain() {
        draining = true;
        for (HttpConnectionDrain connection : new ArrayList<>(open)) {
            connection.drain();
        }
        completeIfDrained();
        return drained;
    }

    /**
     * Whether {@link #drain} has begun.
     *
     * @return true once the worker drains
     */
    public boolean draining() {
        return draining;
    }

    /** For {@link io.masterwork.api.WorkerApplication#closeAll}: closes every connection now. */
    public void closeAll() {
        for (HttpConnectionDrain connection : new ArrayList<>(open)) {
            connection.channel().close();
        }
    }

    /**
     * The connections open now.
     *
     * @return their number
     */
    public int size() {
        return open.size();
    }

    ConnectionHandover handover() {
        return handover;
    }

    void closed(HttpConnectionDrain connection) {
        open.remove(connection);
        completeIfDrained();
    }

    private void completeIfDrained() {
        if (draining && open.isEmpty()) {
            drained.complete(null);
        }
    }
}
