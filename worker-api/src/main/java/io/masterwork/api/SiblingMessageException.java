package io.masterwork.api;

/**
 * Why a message to a sibling was not handed to its inbox. Every send reports failures this way, as
 * the exceptional completion of the stage {@link SiblingMessages#send} returned (never by blocking and
 * never by throwing from {@code send} itself).
 */
public final class SiblingMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Reason {
        /** No sibling is held in that slot (never announced, or its CLOSE_CHANNEL already arrived). */
        NO_SUCH_SIBLING,
        /** The sibling went away while the message waited or was being written (its inbox is closed, EPIPE),
         *  or the master announced a new worker in its slot. */
        SIBLING_GONE,
        /** The sibling's inbox is full and this worker's queue for it holds
         *  {@link SiblingMessages#QUEUE_LIMIT} messages already: the sibling reads slower than we write. */
        INBOX_FULL,
        /** The payload is longer than {@link SiblingMessages#MAX_PAYLOAD} bytes. */
        PAYLOAD_TOO_LARGE,
        /** This worker is exiting: queued messages are dropped. */
        WORKER_EXITING,
        /** A {@link SiblingRequests} question got no answer in time. */
        NO_ANSWER,
        /** The sibling's answerer failed on a {@link SiblingRequests} question (its message says why). */
        ANSWER_FAILED
    }

    /** What went wrong. */
    private final Reason reason;
    /** The slot the message was addressed to. */
    private final long slot;

    /**
     * A failure to hand a message to the sibling in {@code slot}.
     *
     * @param reason  what went wrong
     * @param slot    the slot the message was addressed to
     * @param message a sentence for the logs
     */
    public SiblingMessageException(Reason reason, long slot, String message) {
        super(message);
        this.reason = reason;
        this.slot = slot;
    }

    /**
     * Why the message was not handed over, for code that reacts to one case (retrying on
     * {@link Reason#INBOX_FULL}, forgetting a sibling on {@link Reason#SIBLING_GONE}).
     *
     * @return what went wrong
     */
    public Reason reason() {
        return reason;
    }

    /**
     * Which sibling the message was for.
     *
     * @return the slot the message was addressed to
     */
    public long slot() {
        return slot;
    }
}
