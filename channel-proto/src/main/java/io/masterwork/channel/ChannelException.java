package io.masterwork.channel;

/**
 * The channel itself failed (the peer is gone: EPIPE, ECONNRESET; or the descriptor is bad).
 * Distinct from {@link FrameException}, which is about one bad frame on a healthy channel.
 */
public class ChannelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ChannelException(String message, Throwable cause) {
        super(message, cause);
    }
}
