package io.masterwork.channel;

import static io.masterwork.channel.FrameException.Reason.*;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Bytes of a {@link ChannelFrame}, both ways. The layout is in {@code PROTOCOL.md}: nginx's 32-byte
 * {@code ngx_channel_t} (LP64, little-endian), followed for extension commands by an 8-byte extension
 * header (version, reserved, payload length) and the payload.
 *
 * <p>Decoding is strict: anything {@code PROTOCOL.md} does not allow is a {@link FrameException}
 * with a typed reason, and nothing else ever escapes (no runtime exception on any input).
 * The codec never owns descriptors: closing a received one on rejection is the caller's job
 * ({@link Channel} does it).
 */
public final class FrameCodec {

    /** nginx's {@code sizeof(ngx_channel_t)} on LP64. */
    public static final int CORE_SIZE = 32;
    /** Version, reserved, payload length. */
    public static final int EXTENSION_HEADER_SIZE = 8;
    /** The extension layout this codec writes and the only one it reads. */
    public static final int EXTENSION_VERSION = 1;
    /** Bound of an extension payload. */
    public static final int MAX_PAYLOAD = 4096;
    /** The longest frame: an extension frame with a full payload. */
    public static final int MAX_FRAME_SIZE = CORE_SIZE + EXTENSION_HEADER_SIZE + MAX_PAYLOAD;

    static final int COMMAND_OFFSET = 0;
    static final int PID_OFFSET = 8;
    static final int PID_PADDING_OFFSET = 12;
    static final int SLOT_OFFSET = 16;
    static final int FD_OFFSET = 24;
    static final int FD_PADDING_OFFSET = 28;
    static final int VERSION_OFFSET = 32;
    static final int RESERVED_OFFSET = 34;
    static final int LENGTH_OFFSET = 36;
    static final int PAYLOAD_OFFSET = 40;

    private FrameCodec() {
    }

    /** How many bytes {@link #encode} writes for this frame. */
    public static int encodedSize(ChannelFrame frame) {
        return frame.command().isExtension()
                ? CORE_SIZE + EXTENSION_HEADER_SIZE + frame.payloadLength()
                : CORE_SIZE;
    }

    /** The frame's bytes in a new buffer (position 0, limit = size, little-endian). */
    public static ByteBuffer encode(ChannelFrame frame) {
        ByteBuffer bytes = ByteBuffer.allocate(encodedSize(frame)).order(ByteOrder.LITTLE_ENDIAN);
        encode(frame, bytes);
        return bytes.flip();
    }

    /**
     * Writes the frame at {@code dst}'s position and advances it. The fd field carries the sender's
     * descriptor number (as nginx writes it) or -1; the descriptor itself travels as SCM_RIGHTS.
     *
     * @return the number of bytes written
     * @throws BufferOverflowException when {@code dst} has fewer than {@link #encodedSize} bytes left
     */
    public static int encode(ChannelFrame frame, ByteBuffer dst) {
        int size = encodedSize(frame);
        if (dst.remaining() < size) {
            throw new BufferOverflowException();
        }
        ByteOrder callerOrder = dst.order();
        dst.order(ByteOrder.LITTLE_ENDIAN);
        try {
            int at = dst.position();
            dst.putLong(at + COMMAND_OFFSET, frame.command().code());
            dst.putInt(at + PID_OFFSET, frame.pid());
            dst.putInt(at + PID_PADDING_OFFSET, 0);
            dst.putLong(at + SLOT_OFFSET, frame.slot());
            dst.putInt(at + FD_OFFSET, frame.fd());
            dst.putInt(at + FD_PADDING_OFFSET, 0);
            if (frame.command().isExtension()) {
                byte[] payload = frame.payloadUnsafe();
                dst.putShort(at + VERSION_OFFSET, (short) EXTENSION_VERSION);
                dst.putShort(at + RESERVED_OFFSET, (short) 0);
                dst.putInt(at + LENGTH_OFFSET, payload.length);
                dst.put(at + PAYLOAD_OFFSET, payload);
            }
            dst.position(at + size);
            return size;
        } finally {
            dst.order(callerOrder);
        }
    }

    /**
     * Decodes the bytes between {@code src}'s position and limit as exactly one frame; {@code src}
     * is left unchanged. {@code receivedFd} is the descriptor that arrived with the bytes (-1 if
     * none); on success it becomes the frame's fd. On failure the caller still owns it.
     */
    public static ChannelFrame decode(ByteBuffer src, int receivedFd) throws FrameException {
        ByteOrder callerOrder = src.order();
        src.order(ByteOrder.LITTLE_ENDIAN);
        try {
            return decodeLittleEndian(src, src.position(), src.remaining(), receivedFd);
        } finally {
            src.order(callerOrder);
        }
    }

    private static ChannelFrame decodeLittleEndian(ByteBuffer src, int at, int length, int receivedFd)
            throws FrameException {
        if (length < CORE_SIZE) {
            throw new FrameException(SHORT_FRAME, length + " bytes, a frame has at least " + CORE_SIZE);
        }
        if (length > MAX_FRAME_SIZE) {
            throw new FrameException(OVERSIZED, length + " bytes, a frame has at most " + MAX_FRAME_SIZE);
        }
        long commandWord = src.getLong(at + COMMAND_OFFSET);
        Command command = Command.fromCode(commandWord);
        if (command == null) {
            throw new FrameException(UNKNOWN_COMMAND, "command word 0x" + Long.toHexString(commandWord));
        }
        if (command.carriesDescriptor() && receivedFd < 0) {
            throw new FrameException(MISSING_DESCRIPTOR, command + " arrived without a descriptor");
        }
        if (!command.carriesDescriptor() && receivedFd >= 0) {
            throw new FrameException(UNEXPECTED_DESCRIPTOR, command + " arrived with descriptor " + receivedFd
                    + ", it must carry none");
        }
        int pidPadding = src.getInt(at + PID_PADDING_OFFSET);
        if (pidPadding != 0) {
            throw new FrameException(BAD_PADDING, "bytes 12..15 (after pid) are 0x"
                    + Integer.toHexString(pidPadding) + ", must be zero");
        }
        int fdPadding = src.getInt(at + FD_PADDING_OFFSET);
        if (fdPadding != 0) {
            throw new FrameException(BAD_PADDING, "bytes 28..31 (after fd) are 0x"
                    + Integer.toHexString(fdPadding) + ", must be zero");
        }
        int pid = src.getInt(at + PID_OFFSET);
        if (pid < 0) {
            throw new FrameException(BAD_FIELD, command + ": pid " + pid + " is negative");
        }
        long slot = src.getLong(at + SLOT_OFFSET);
        if (slot < 0) {
            throw new FrameException(BAD_FIELD, command + ": slot " + slot + " is negative");
        }
        int fdField = src.getInt(at + FD_OFFSET);
        if (command.carriesDescriptor() ? fdField < 0 : fdField != -1) {
            throw new FrameException(BAD_FD_FIELD, command + ": fd field " + fdField
                    + (command.carriesDescriptor() ? ", must name the sender's descriptor (>= 0)" : ", must be -1"));
        }
        if (!command.isExtension()) {
            if (length != CORE_SIZE) {
                throw new FrameException(TRAILING_BYTES, command + ": " + (length - CORE_SIZE)
                        + " bytes after the " + CORE_SIZE + "-byte frame");
            }
            return new ChannelFrame(command, pid, slot, receivedFd, EMPTY);
        }
        return decodeExtension(src, at, length, command, pid, slot, receivedFd);
    }

    private static ChannelFrame decodeExtension(ByteBuffer src, int at, int length, Command command, int pid,
                                                long slot, int receivedFd) throws FrameException {
        if (length < CORE_SIZE + EXTENSION_HEADER_SIZE) {
            throw new FrameException(SHORT_FRAME, command + ": " + length + " bytes, an extension frame has at least "
                    + (CORE_SIZE + EXTENSION_HEADER_SIZE));
        }
        int version = Short.toUnsignedInt(src.getShort(at + VERSION_OFFSET));
        if (version != EXTENSION_VERSION) {
            throw new FrameException(BAD_VERSION, command + ": extension version " + version
                    + ", this codec speaks " + EXTENSION_VERSION);
        }
        int reserved = Short.toUnsignedInt(src.getShort(at + RESERVED_OFFSET));
        if (reserved != 0) {
            throw new FrameException(BAD_PADDING, command + ": reserved bytes 34..35 are 0x"
                    + Integer.toHexString(reserved) + ", must be zero");
        }
        long declared = Integer.toUnsignedLong(src.getInt(at + LENGTH_OFFSET));
        int present = length - PAYLOAD_OFFSET;
        if (declared > MAX_PAYLOAD) {
            throw new FrameException(BAD_PAYLOAD_LENGTH, command + ": payload length " + declared
                    + " exceeds the maximum of " + MAX_PAYLOAD);
        }
        if (declared > present) {
            throw new FrameException(BAD_PAYLOAD_LENGTH, command + ": payload length " + declared
                    + " but only " + present + " bytes follow the header");
        }
        if (declared < present) {
            throw new FrameException(TRAILING_BYTES, command + ": " + (present - declared)
                    + " bytes after the " + declared + "-byte payload");
        }
        byte[] payload = new byte[(int) declared];
        src.get(at + PAYLOAD_OFFSET, payload);
        // receivedFd is -1 here unless the command carries a descriptor (HANDOVER), checked above.
        return new ChannelFrame(command, pid, slot, receivedFd, payload);
    }

    private static final byte[] EMPTY = new byte[0];
}
