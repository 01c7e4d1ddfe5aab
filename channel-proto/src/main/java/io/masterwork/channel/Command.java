package io.masterwork.channel;

/**
 * What a frame asks of its receiver.
 *
 * <p>The first five are nginx's {@code NGX_CMD_*} values, unchanged, so a frame written by a real
 * nginx master decodes here. The extension commands carry the tag {@code 0x4D57} ("MW") in bits
 * 16..31 of the command word: nginx numbers its commands from 1 upwards and has used five in twenty
 * years, so a tagged value can never be taken by a future nginx command, and a byte dump shows at a
 * glance which frames are ours ({@code 01 00 57 4d ...}). See {@code PROTOCOL.md}.
 */
public enum Command {
    /** A sibling's descriptor travels with the frame (nginx: the new worker's channel; here: its inbox). */
    OPEN_CHANNEL(1),
    /** The sibling in {@code slot} is gone: close the descriptor kept for it. */
    CLOSE_CHANNEL(2),
    /** Graceful stop: stop accepting, finish what is in flight, exit. */
    QUIT(3),
    /** Fast stop: exit now. */
    TERMINATE(4),
    /** Reopen log files. */
    REOPEN(5),

    /** Worker to master: initialisation finished, the worker serves. */
    READY(Command.EXTENSION_TAG | 0x01),
    /** Either direction: "still alive"; the receiver may answer with its own heartbeat. */
    HEARTBEAT(Command.EXTENSION_TAG | 0x02),
    /** Worker to master: a status report (opaque payload, e.g. UTF-8 JSON). */
    STATUS(Command.EXTENSION_TAG | 0x03),
    /** Worker to worker through a sibling inbox: pid and slot name the sender. */
    MESSAGE(Command.EXTENSION_TAG | 0x04),
    /**
     * Master to a spare worker: serve in {@code slot} from now on. Carries the configuration (a memfd) as its
     * descriptor and a {@link Promotion} payload (generation, CPU affinity).
     */
    PROMOTE(Command.EXTENSION_TAG | 0x05),
    /**
     * Worker to worker through a sibling inbox: a live client connection moves to the receiver. Carries the
     * connection's descriptor and a bounded state record as payload; pid and slot name the sender.
     */
    HANDOVER(Command.EXTENSION_TAG | 0x06),
    /**
     * Master to worker, before QUIT: "your successors are ..." (payload: slots and pids), so the worker
     * can hand its idle connections to them instead of closing them.
     */
    RETIRE(Command.EXTENSION_TAG | 0x07),
    /**
     * Worker to master, just before it exits with status 2: why its initialisation failed (UTF-8 text, e.g. the
     * application's {@code file:line: key: ...} settings error), so that a refused reload or a first generation that
     * cannot start is reported with the application's own message, not only with an exit status.
     */
    INIT_FAILED(Command.EXTENSION_TAG | 0x08),
    /**
     * Master to worker: "report your figures now" (empty payload). The worker answers with a {@link #STATUS} frame
     * whose payload is a {@link WorkerFigures} record; the master asks only when someone scrapes its metrics.
     */
    REPORT(Command.EXTENSION_TAG | 0x09);

    /** "MW" in bits 16..31: marks masterwork's own commands. */
    static final int EXTENSION_TAG = 0x4D57_0000;

    private static final Command[] NGINX = {null, OPEN_CHANNEL, CLOSE_CHANNEL, QUIT, TERMINATE, REOPEN};
    private static final Command[] EXTENSION = {null, READY, HEARTBEAT, STATUS, MESSAGE, PROMOTE, HANDOVER, RETIRE, INIT_FAILED, REPORT};

    private final int code;

    Command(int code) {
        this.code = code;
    }

    /** The value of the 64-bit command word on the wire. */
    public int code() {
        return code;
    }

    /** True for masterwork's own commands, which are followed by the extension header and a payload. */
    public boolean isExtension() {
        return (code & 0xFFFF_0000) == EXTENSION_TAG;
    }

    /** True for OPEN_CHANNEL, PROMOTE and HANDOVER: the commands that must carry a descriptor; all others must not. */
    public boolean carriesDescriptor() {
        return this == OPEN_CHANNEL || this == PROMOTE || this == HANDOVER;
    }

    /** The command with this wire value, or null when there is none (the caller reports it). */
    public static Command fromCode(long code) {
        if (code > 0 && code < NGINX.length) {
            return NGINX[(int) code];
        }
        if ((code & 0xFFFF_FFFF_FFFF_0000L) == EXTENSION_TAG) {
            int low = (int) (code & 0xFFFF);
            return low < EXTENSION.length ? EXTENSION[low] : null;
        }
        return null;
    }
}
