package io.masterwork.api;

import io.netty.channel.Channel;

import java.util.ArrayList;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open connections of an application, for its drain: {@link #track} each accepted channel;
 * {@link #drain} completes once every tracked channel has closed; {@link #closeAll} ends the rest.
 * An application that closes connections itself after their last response needs nothing else for
 * {@link WorkerApplication#drain} and {@link WorkerApplication#closeAll}. An HTTP/1.1 application with
 * keep-alive wants {@link io.masterwork.api.http.HttpHandover} instead: it also ends idle connections and moves
 * them to the new generation on a reload.
 */
public final class Connections {
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;

    /** No connection tracked yet. */
    public Connections() {
    }

    /**
     * Tracks {@code channel} until it closes; callable from any thread (typically the accepting handler).
     *
     * @param channel an accepted connection
     */
    public void track(Channel channel) {
        open.add(channel);
        channel.closeFuture().addListener(f -> {
            open.remove(channel);
            completeIfDrained();
        });
    }

    /**
     * Starts the drain: from now on the last tracked connection to close completes the returned stage.
     *
     * @return completes when no tracked connection is left (at once if none is), on the thread of the last close
     */
    public CompletionStage<Void> drain() {
        draining = true;
        completeIfDrained();
        return drained;
    }

    /** Closes every tracked connection now. */
    public void closeAll() {
        for (Channel channel : new ArrayList<>(open)) {
            channel.close();
        }
    }

    /**
     * How many tracked connections are open.
     *
     * @return the tracked connections not closed yet
     */
    public int size() {
        return open.size();
    }

    private void completeIfDrained() {
        if (draining && open.isEmpty()) {
            drained.complete(null);
        }
    }
}
