package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends commands to workers over their command channels: nginx's {@code ngx_signal_worker_processes}
 * and {@code ngx_pass_open_channel}. When a channel write fails, QUIT, TERMINATE and REOPEN fall back to
 * a signal the worker JVM handles (QUIT itself stays the JVM's thread dump, useful on a hung worker):
 *
 * <table>
 *   <tr><th>command</th><th>fallback signal</th><th>why that one</th></tr>
 *   <tr><td>QUIT</td><td>SIGTERM</td><td>a JVM's orderly shutdown; the worker drains gracefully on it</td></tr>
 *   <tr><td>TERMINATE</td><td>SIGINT</td><td>the worker exits at once on it</td></tr>
 *   <tr><td>REOPEN</td><td>SIGUSR1</td><td>as nginx; harmless to HotSpot</td></tr>
 * </table>
 */
final class WorkerCommands {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private final Posix posix;

    WorkerCommands(Posix posix) {
        this.posix = posix;
    }

    static Signal fallbackSignal(Command command) {
        return switch (command) {
            case QUIT -> Signal.TERM;
            case TERMINATE -> Signal.INT;
            case REOPEN -> Signal.USR1;
            default -> null;
        };
    }

    /** Sends; on a failed write falls back to the command's signal. Returns whether the command reached the worker. */
    boolean send(WorkerSlot slot, ChannelFrame frame) {
        String failure = null;
        if (slot.channel == null || slot.channelClosed) {
            failure = "its channel is closed";
        } else {
            try {
                if (slot.channel.send(frame)) {
                    return true;
                }
                failure = "its channel is full (EAGAIN)";
            } catch (ChannelException e) {
                failure = e.getMessage();
            }
        }
        Signal fallback = fallbackSignal(frame.command());
        if (fallback == null || !slot.hasProcess()) {
            log.warn("{} to worker process {} (slot {}) not sent: {}", frame.command(), slot.pid, slot.slot, failure);
            return false;
        }
        log.warn("{} to worker process {} not sent over the channel ({}); sending {} instead",
                frame.command(), slot.pid, failure, fallback.fullName());
        try {
            posix.kill(slot.pid, fallback);
            return true;
        } catch (PosixException e) {
            log.warn("kill({}, {}) failed: {}", slot.pid, fallback.fullName(), e.getMessage());
            return false;
        }
    }
}
