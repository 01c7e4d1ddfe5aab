package io.masterwork.channel;

/**
 * A received frame that breaks {@code PROTOCOL.md}. It is never obeyed; the {@link #reason()} says
 * which rule it broke and the message names the offending field and value.
 */
public class FrameException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Which rule of the protocol a frame broke. */
    public enum Reason {
        /** The command word is none of nginx's five nor one of the extension's. */
        UNKNOWN_COMMAND,
        /** Fewer bytes than the 32-byte core frame, or than the 40 bytes an extension frame needs. */
        SHORT_FRAME,
        /** More bytes than {@link FrameCodec#MAX_FRAME_SIZE} (the message was cut by the kernel). */
        OVERSIZED,
        /** Bytes after the core frame of an nginx command, or after an extension frame's payload. */
        TRAILING_BYTES,
        /** A padding or reserved byte that must be zero is not. */
        BAD_PADDING,
        /** A descriptor arrived with a command that must not carry one (every command but OPEN_CHANNEL). */
        UNEXPECTED_DESCRIPTOR,
        /** OPEN_CHANNEL arrived without its descriptor. */
        MISSING_DESCRIPTOR,
        /** More than one descriptor arrived with one frame (all of them were closed). */
        TOO_MANY_DESCRIPTORS,
        /** The fd field disagrees with the command: -1 is required without a descriptor, &gt;= 0 with one. */
        BAD_FD_FIELD,
        /** A negative pid or slot. */
        BAD_FIELD,
        /** An extension header with a protocol version this codec does not speak. */
        BAD_VERSION,
        /** An extension payload length above {@link FrameCodec#MAX_PAYLOAD} or beyond the received bytes. */
        BAD_PAYLOAD_LENGTH
    }

    private final Reason reason;

    public FrameException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
