package io.masterwork.api.http;

import io.masterwork.api.ConnectionHandover;
import io.masterwork.api.MovedConnection;
import io.netty.channel.Channel;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Moves one HTTP/1.1 connection to a successor worker once it stands between two requests, and reads back
 * what a moved connection carries: the one implementation of the move that {@link HttpHandover} and the
 * built-in application share. The caller decides when its own side is idle (no response under way, nothing
 * queued in its handlers); this adds the decoder's side ({@link HttpBoundaryDecoder#betweenRequests}) and
 * the retries a burst of moves needs. Event loop thread only; call {@link #attempt} from a task of its own,
 * never from inside a read.
 *
 * <p>The state of a moved HTTP/1.1 connection is the number of requests it has served (4 bytes, big-endian),
 * so {@code keepalive_requests}-style limits go on counting. Following the rule of {@link MovedConnection}, a
 * later version may append fields and must still read these 4 bytes; a reader ignores bytes beyond those it
 * knows.
 */
public final class HttpConnectionMove {

    /** The protocol name a moved HTTP/1.1 connection carries in its record. */
    public static final String PROTOCOL = "http/1.1";

    /**
     * A move that found every successor's inbox full is tried again this often, this far apart, before the
     * connection ends gracefully instead (a burst of moves can fill an inbox faster than its worker adopts).
     */
    public static final int ATTEMPTS = 20;
    /** How far apart {@link #ATTEMPTS} are. */
    public static final Duration RETRY = Duration.ofMillis(25);

    /** What {@link #attempt} did. */
    public enum Outcome {
        /** The connection is a successor's now; this worker's copy is closed (no FIN reaches the client). */
        MOVED,
        /** A request is half read: try again once its response has been written. */
        MID_REQUEST,
        /** Every successor's inbox was full: the retry task runs in {@link #RETRY}. */
        RETRYING,
        /** It cannot move (no successor left, or out of attempts): the connection is the caller's to end. */
        STAYS
    }

    private final Channel channel;
    private final HttpBoundaryDecoder decoder;
    private final ConnectionHandover handover;
    private final Runnable retry;
    private int attempts;

    /**
     * @param channel  the connection, registered on this worker's event loop
     * @param decoder  its request decoder
     * @param handover the worker's {@link io.masterwork.api.ApplicationContext#handover()}
     * @param retry    what runs again after {@link Outcome#RETRYING}: the caller's own check, then {@link #attempt}
     */
    public HttpConnectionMove(Channel channel, HttpBoundaryDecoder decoder, ConnectionHandover handover, Runnable retry) {
        this.channel = channel;
        this.decoder = decoder;
        this.handover = handover;
        this.retry = retry;
    }

    /**
     * Moves the connection now if its decoder stands between two requests; the caller has checked that no
     * response is under way.
     *
     * @param served the requests this connection has served so far (what its state carries)
     * @return what happened, and so what the caller does next
     */
    public Outcome attempt(int served) {
        if (!decoder.betweenRequests()) {
            return Outcome.MID_REQUEST;
        }
        MovedConnection record = new MovedConnection(PROTOCOL, decoder.unread(), state(served));
        decoder.moving(true);
        if (handover.moveAway(channel, record)) {
            decoder.moved();
            return Outcome.MOVED;
        }
        decoder.moving(false);
        if (++attempts < ATTEMPTS && handover.available()) {
            channel.eventLoop().schedule(retry, RETRY.toNanos(), TimeUnit.NANOSECONDS);
            return Outcome.RETRYING;
        }
        return Outcome.STAYS;
    }

    /**
     * The state of a moved HTTP/1.1 connection.
     *
     * @param served the requests it has served
     * @return the state bytes (4, big-endian)
     */
    public static byte[] state(int served) {
        return ByteBuffer.allocate(4).putInt(served).array();
    }

    /**
     * The requests a moved HTTP/1.1 connection had served, from its state (0 for a record without one); bytes
     * after the first 4 are a later version's and are ignored.
     *
     * @param moved the record a retiring sibling sent
     * @return the requests served before the move
     */
    public static int served(MovedConnection moved) {
        byte[] state = moved.state();
        return state.length >= 4 ? ByteBuffer.wrap(state).getInt() : 0;
    }
}
