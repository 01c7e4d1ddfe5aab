package io.masterwork.channel;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One frame of the channel protocol: nginx's {@code ngx_channel_t} (command, pid, slot, fd) plus, for
 * the extension commands, a bounded payload.
 *
 * <p>{@code fd} is the attached descriptor: on the sending side the descriptor to pass (the sender
 * keeps its own copy and still owns it), on the receiving side the descriptor that arrived (the
 * receiver owns it from then on). It is -1 when none travels. Only {@link Command#OPEN_CHANNEL},
 * {@link Command#PROMOTE} and {@link Command#HANDOVER} carry one, and they must.
 *
 * <p>Every instance is a frame that may be sent: the constructor rejects anything else with an
 * {@link IllegalArgumentException}. The payload is copied in and out, so a frame never changes.
 */
public record ChannelFrame(Command command, int pid, long slot, int fd, byte[] payload) {

    private static final byte[] NO_PAYLOAD = new byte[0];

    public ChannelFrame {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(payload, "payload");
        if (pid < 0) {
            throw new IllegalArgumentException(command + ": pid must be >= 0, got " + pid);
        }
        if (slot < 0) {
            throw new IllegalArgumentException(command + ": slot must be >= 0, got " + slot);
        }
        if (command.carriesDescriptor() && fd < 0) {
            throw new IllegalArgumentException(command + " must carry a descriptor, got fd " + fd);
        }
        if (!command.carriesDescriptor() && fd != -1) {
            throw new IllegalArgumentException(command + " carries no descriptor: fd must be -1, got " + fd);
        }
        if (!command.isExtension() && payload.length != 0) {
            throw new IllegalArgumentException(command + " is nginx's and carries no payload, got "
                    + payload.length + " bytes");
        }
        if (payload.length > FrameCodec.MAX_PAYLOAD) {
            throw new IllegalArgumentException(command + ": payload of " + payload.length
                    + " bytes exceeds the maximum of " + FrameCodec.MAX_PAYLOAD);
        }
        payload = payload.length == 0 ? NO_PAYLOAD : payload.clone();
    }

    /** nginx's OPEN_CHANNEL: the process in {@code slot} (pid {@code pid}) is reachable through {@code fd}. */
    public static ChannelFrame openChannel(int pid, long slot, int fd) {
        return new ChannelFrame(Command.OPEN_CHANNEL, pid, slot, fd, NO_PAYLOAD);
    }

    /** nginx's CLOSE_CHANNEL: the process in {@code slot} (pid {@code pid}) is gone. */
    public static ChannelFrame closeChannel(int pid, long slot) {
        return new ChannelFrame(Command.CLOSE_CHANNEL, pid, slot, -1, NO_PAYLOAD);
    }

    /** nginx's QUIT (pid and slot zero, as nginx sends it). */
    public static ChannelFrame quit() {
        return new ChannelFrame(Command.QUIT, 0, 0, -1, NO_PAYLOAD);
    }

    /** nginx's TERMINATE (pid and slot zero, as nginx sends it). */
    public static ChannelFrame terminate() {
        return new ChannelFrame(Command.TERMINATE, 0, 0, -1, NO_PAYLOAD);
    }

    /** nginx's REOPEN (pid and slot zero, as nginx sends it). */
    public static ChannelFrame reopen() {
        return new ChannelFrame(Command.REOPEN, 0, 0, -1, NO_PAYLOAD);
    }

    /** The worker {@code pid} in {@code slot} has initialised and serves. */
    public static ChannelFrame ready(int pid, long slot) {
        return new ChannelFrame(Command.READY, pid, slot, -1, NO_PAYLOAD);
    }

    /**
     * The worker {@code pid} in {@code slot} could not initialise and exits with status 2: {@code reason}, cut to fit
     * {@link FrameCodec#MAX_PAYLOAD} bytes of UTF-8.
     */
    public static ChannelFrame initFailed(int pid, long slot, String reason) {
        byte[] bytes = reason.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length > FrameCodec.MAX_PAYLOAD) {
            bytes = java.util.Arrays.copyOf(bytes, FrameCodec.MAX_PAYLOAD);
        }
        return new ChannelFrame(Command.INIT_FAILED, pid, slot, -1, bytes);
    }

    /** The process {@code pid} in {@code slot} is alive. */
    public static ChannelFrame heartbeat(int pid, long slot) {
        return new ChannelFrame(Command.HEARTBEAT, pid, slot, -1, NO_PAYLOAD);
    }

    /** A status report of the worker {@code pid} in {@code slot}; at most {@link FrameCodec#MAX_PAYLOAD} bytes. */
    public static ChannelFrame status(int pid, long slot, byte[] payload) {
        return new ChannelFrame(Command.STATUS, pid, slot, -1, payload);
    }

    /** A message from the worker {@code fromPid} in {@code fromSlot} to a sibling; at most {@link FrameCodec#MAX_PAYLOAD} bytes. */
    public static ChannelFrame message(int fromPid, long fromSlot, byte[] payload) {
        return new ChannelFrame(Command.MESSAGE, fromPid, fromSlot, -1, payload);
    }

    /**
     * Master to a spare worker: serve in {@code slot} as the master {@code masterPid} says; {@code configFd} (the
     * sender keeps its own copy) is the configuration the worker runs with from now on.
     */
    public static ChannelFrame promote(int masterPid, long slot, int configFd, Promotion promotion) {
        return new ChannelFrame(Command.PROMOTE, masterPid, slot, configFd, promotion.encode());
    }

    /**
     * A live connection ({@code connectionFd}, passed as SCM_RIGHTS; the sender keeps its own copy) moving
     * from the worker {@code fromPid} in {@code fromSlot} to a sibling, with its state record.
     */
    public static ChannelFrame handover(int fromPid, long fromSlot, int connectionFd, byte[] state) {
        return new ChannelFrame(Command.HANDOVER, fromPid, fromSlot, connectionFd, state);
    }

    /** Master to a worker about to QUIT: its successors, encoded by {@link Successors#encode}. */
    public static ChannelFrame retire(byte[] successors) {
        return new ChannelFrame(Command.RETIRE, 0, 0, -1, successors);
    }

    /** Master to a worker: report your figures now (answered with {@link #status} carrying {@link WorkerFigures}). */
    public static ChannelFrame report(int masterPid) {
        return new ChannelFrame(Command.REPORT, masterPid, 0, -1, NO_PAYLOAD);
    }

    /** A copy of the payload (empty for nginx's commands). */
    @Override
    public byte[] payload() {
        return payload.length == 0 ? NO_PAYLOAD : payload.clone();
    }

    public int payloadLength() {
        return payload.length;
    }

    /** The payload itself, for the codec only: never handed out, never modified. */
    byte[] payloadUnsafe() {
        return payload;
    }

    /** Whether a descriptor travels with this frame. */
    public boolean hasDescriptor() {
        return fd >= 0;
    }

    /** The same frame with another descriptor number (e.g. the one a receiver got for it). */
    public ChannelFrame withFd(int newFd) {
        return new ChannelFrame(command, pid, slot, newFd, payload);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChannelFrame other
                && command == other.command
                && pid == other.pid
                && slot == other.slot
                && fd == other.fd
                && Arrays.equals(payload, other.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(command, pid, slot, fd) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(command.name())
                .append("{pid=").append(pid).append(", slot=").append(slot).append(", fd=").append(fd);
        if (command.isExtension()) {
            text.append(", payload=").append(payload.length).append(" bytes");
            if (payload.length > 0) {
                int shown = Math.min(payload.length, 32);
                text.append(" ").append(HexFormat.of().formatHex(payload, 0, shown));
                if (shown < payload.length) {
                    text.append("...");
                }
            }
        }
        return text.append('}').toString();
    }
}
