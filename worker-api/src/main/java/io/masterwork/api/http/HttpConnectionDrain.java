package io.masterwork.api.http;

import io.masterwork.api.ConnectionHandover;
import io.netty.channel.Channel;

import java.time.Duration;

/**
 * Where one HTTP/1.1 connection stands for a drain, and what the drain decides for it: the requests it has
 * received and answered, whether its next answer may keep it alive ({@code Connection: close} once the worker
 * drains without a successor), and, once it is idle while the worker drains, whether it moves to a successor
 * ({@link HttpConnectionMove}) or ends after {@link #GRACE}. One per connection, made by {@link HttpDrain#add};
 * {@link HttpHandover} and the built-in application both keep their connections' drains with it.
 *
 * <p>The connection's handlers report to it ({@link #requestReceived}, {@link #responseWritten}, {@link #idle})
 * and it reports back through its {@link Owner}. Until the worker drains it only counts: no task, no
 * allocation on the request path. Event loop thread only.
 */
public final class HttpConnectionDrain {
    /**
     * After a drain starts, an idle connection without a successor gets this long for a request already on its
     * way (answered, with {@code Connection: close}) before its owner ends it.
     */
    public static final Duration GRACE = Duration.ofMillis(200);

    /** What a connection's own handlers know and do for its drain. */
    public interface Owner {
        /**
         * Whether the connection's handlers hold no request: none being answered, none queued behind another
         * (pipelined), and the connection is not ending on its own. Asked right before a move.
         *
         * @return true when nothing but the decoder's bytes would be left behind by a move
         */
        boolean holdsNoRequest();

        /**
         * The worker drains without a successor to move to (or every move failed) and the connection is idle:
         * end it once {@link #GRACE} has passed without a new request (one that arrives meanwhile is answered,
         * with {@code Connection: close}).
         */
        void endAfterGrace();

        /** The connection moved to a successor: this worker's copy is closed (no FIN reached the client). */
        void moved();

        /**
         * The worker drains and the connection speaks another protocol since a {@code 101} answer
         * ({@link HttpConnectionDrain#switchedProtocols}): its drain is the owner's. Does nothing unless
         * overridden: the application then ends such a connection itself.
         *
         * @param successorAvailable whether a successor can take connections now
         *                           ({@link ConnectionHandover#available()})
         */
        default void drainSwitched(boolean successorAvailable) {
        }
    }

    private final HttpDrain drain;
    private final Channel channel;
    private final HttpBoundaryDecoder decoder;
    private final Owner owner;
    /** Requests received over the connection's whole life, here and in the workers it moved from. */
    private int served;
    /** Requests received whose final response has not been written in full. */
    private int unanswered;
    private boolean draining;
    /** Draining with a successor: at the next clean boundary this connection moves instead of ending. */
    private boolean moving;
    private boolean switched;
    private HttpConnectionMove move;

    HttpConnectionDrain(HttpDrain drain, Channel channel, HttpBoundaryDecoder decoder, int served, Owner owner) {
        this.drain = drain;
        this.channel = channel;
        this.decoder = decoder;
        this.served = served;
        this.owner = owner;
    }

    /** A request's head arrived: it counts as served, and as unanswered until {@link #responseWritten}. */
    public void requestReceived() {
        served++;
        unanswered++;
    }

    /** The final response to a request was written (or handed to the socket, as the owner counts it). */
    public void responseWritten() {
        if (unanswered > 0) {
            unanswered--;
        }
    }

    /**
     * Whether every request received has had its final response written.
     *
     * @return true when no response is under way
     */
    public boolean answered() {
        return unanswered == 0;
    }

    /**
     * The requests this connection has received, here and before it moved here: what a limit on requests per
     * connection counts.
     *
     * @return the requests served so far
     */
    public int served() {
        return served;
    }

    /**
     * Whether the next answer may keep the connection alive as far as the drain goes: false once the worker
     * drains without a successor to move the connection to, so that answer says {@code Connection: close}.
     *
     * @return false when the next answer must be the connection's last
     */
    public boolean keepAlive() {
        return !draining || moving;
    }

    /**
     * Whether the worker drains.
     *
     * @return true from the worker's drain on (or from the start, for a connection taken in during one)
     */
    public boolean draining() {
        return draining;
    }

    /**
     * The connection may be idle now (a response was just written in full, say): while the worker drains and
     * every request is answered, it moves to a successor (from a task of its own, so that no read is cut in
     * half) or, without one, its owner is told to {@linkplain Owner#endAfterGrace end it after the grace}.
     * Costs one test of a field while the worker does not drain.
     */
    public void idle() {
        if (!draining || unanswered > 0 || switched) {
            return;
        }
        if (moving) {
            channel.eventLoop().execute(this::tryMove);
        } else {
            owner.endAfterGrace();
        }
    }

    /**
     * The connection answered {@code 101} and speaks another protocol from now on: it no longer moves as
     * HTTP/1.1, and a drain goes to {@link Owner#drainSwitched}.
     */
    public void switchedProtocols() {
        switched = true;
        unanswered = 0;
    }

    /** The connection closed: call from its {@code channelInactive}; the drain forgets it. */
    public void closed() {
        drain.closed(this);
    }

    Channel channel() {
        return channel;
    }

    /** The worker drains (or this connection arrived while it does). */
    void drain() {
        if (draining) {
            return;
        }
        draining = true;
        boolean successorAvailable = drain.handover().available();
        if (switched) {
            owner.drainSwitched(successorAvailable);
            return;
        }
        moving = successorAvailable;
        idle();
    }

    private void tryMove() {
        if (!moving || unanswered > 0 || !channel.isActive() || !owner.holdsNoRequest()) {
            return;
        }
        if (move == null) {
            move = new HttpConnectionMove(channel, decoder, drain.handover(), this::tryMove);
        }
        switch (move.attempt(served)) {
            case MOVED -> owner.moved();
            case STAYS -> {
                moving = false;
                owner.endAfterGrace();
            }
            case MID_REQUEST, RETRYING -> {
                // The next response's end (through idle), or the retry task, tries again.
            }
        }
    }
}
