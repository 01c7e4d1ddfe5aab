package io.masterwork.channel;

import java.util.Objects;

/**
 * The outcome of one {@link Channel#receive()}: exactly one of a frame, "nothing yet" (would block),
 * end of file (the peer closed its end: for a worker, the master is gone), or a rejected frame.
 *
 * <p>A rejected frame was read and discarded; any descriptor that came with it is already closed,
 * so the caller has nothing to clean up. The channel stays usable after a rejection.
 */
public final class Received {

    /** Nothing to read now (EAGAIN). */
    public static final Received WOULD_BLOCK = new Received(null, null, false);
    /** The peer closed its end; nothing more will ever arrive. */
    public static final Received EOF = new Received(null, null, true);

    private final ChannelFrame frame;
    private final FrameException error;
    private final boolean eof;

    private Received(ChannelFrame frame, FrameException error, boolean eof) {
        this.frame = frame;
        this.error = error;
        this.eof = eof;
    }

    /** A valid frame; if it carries a descriptor ({@link ChannelFrame#fd()}), the caller owns it now. */
    public static Received of(ChannelFrame frame) {
        return new Received(Objects.requireNonNull(frame, "frame"), null, false);
    }

    /** A frame that broke the protocol; its descriptor, if any, has been closed. */
    public static Received rejected(FrameException error) {
        return new Received(null, Objects.requireNonNull(error, "error"), false);
    }

    public boolean isFrame() {
        return frame != null;
    }

    public boolean isEof() {
        return eof;
    }

    public boolean wouldBlock() {
        return this == WOULD_BLOCK;
    }

    public boolean isRejected() {
        return error != null;
    }

    /** The frame; throws IllegalStateException when this outcome is not a frame. */
    public ChannelFrame frame() {
        if (frame == null) {
            throw new IllegalStateException("no frame: " + this);
        }
        return frame;
    }

    /** Why the frame was rejected; throws IllegalStateException when this outcome is not a rejection. */
    public FrameException error() {
        if (error == null) {
            throw new IllegalStateException("not a rejected frame: " + this);
        }
        return error;
    }

    @Override
    public String toString() {
        if (frame != null) {
            return "Received[" + frame + "]";
        }
        if (error != null) {
            return "Received[rejected: " + error.getMessage() + "]";
        }
        return eof ? "Received[EOF]" : "Received[WOULD_BLOCK]";
    }
}
