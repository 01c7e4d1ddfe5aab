package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.master.process.SlotState.Exiting;
import io.masterwork.master.process.SlotState.Hung;
import io.masterwork.master.process.SlotState.Ready;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hung-worker watchdog, gunicorn's {@code murder_workers} for a JVM. The master asks every ready worker for a
 * HEARTBEAT; a worker answers from its event-loop thread, so a blocked loop stops answering. Past
 * {@code worker_watchdog_timeout} the master asks the JVM for a thread dump (SIGQUIT: it lands in the error log) and
 * the slot is {@link Hung}; {@link #WATCHDOG_DUMP_GRACE_NANOS} later the process gets SIGKILL and the slot is
 * respawned as for any worker killed from outside.
 */
final class Watchdog {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** After the watchdog's SIGQUIT, the JVM gets this long to print its thread dump before SIGKILL. */
    static final long WATCHDOG_DUMP_GRACE_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final Posix posix;
    private long nextHeartbeatNanos;

    Watchdog(Posix posix) {
        this.posix = posix;
    }

    /** A quarter of the timeout, at most 5 s: several answers can be missed before the watchdog acts. */
    static long heartbeatInterval(long timeoutNanos) {
        return Math.min(timeoutNanos / 4, TimeUnit.SECONDS.toNanos(5));
    }

    /** One round over the table: dumps and kills what is due, and asks for heartbeats when they are due. */
    void watch(List<WorkerSlot> slots, Optional<Duration> timeout, long nowNanos) {
        if (timeout.isEmpty()) {
            // No heartbeats; a worker told to TERMINATE that outlives its grace is still killed.
            for (WorkerSlot slot : slots) {
                if (slot.current() instanceof Exiting && killDue(slot.current(), nowNanos)) {
                    kill(slot, nowNanos);
                }
            }
            return;
        }
        long timeoutNanos = timeout.get().toNanos();
        for (WorkerSlot slot : slots) {
            SlotState state = slot.current();
            if (state instanceof Ready ready && nowNanos - ready.lastHeartbeatNanos() >= timeoutNanos) {
                log.error("worker process {} has not answered a heartbeat for {} ms; dumping its threads (SIGQUIT), "
                        + "then SIGKILL", ready.worker().pid, (nowNanos - ready.lastHeartbeatNanos()) / 1_000_000);
                signal(ready.worker().pid, Signal.QUIT);
                slot.hung(nowNanos + WATCHDOG_DUMP_GRACE_NANOS);
            } else if (killDue(state, nowNanos)) {
                kill(slot, nowNanos);
            }
        }
        if (nowNanos - nextHeartbeatNanos >= 0) {
            for (WorkerSlot slot : slots) {
                if (slot.current() instanceof Ready ready && ready.worker().channelOpen()) {
                    try {
                        // A full channel is what a hung worker looks like: no fallback signal, the watchdog decides.
                        ready.worker().channel.send(ChannelFrame.heartbeat(posix.getpid(), slot.slot));
                    } catch (ChannelException e) {
                        log.debug("heartbeat to worker process {}: {}", ready.worker().pid, e.getMessage());
                    }
                }
            }
            nextHeartbeatNanos = nowNanos + heartbeatInterval(timeoutNanos);
        }
    }

    private void kill(WorkerSlot slot, long nowNanos) {
        int pid = slot.current().worker().pid;
        if (slot.current() instanceof Hung) {
            log.error("worker process {} is still hung; sending SIGKILL", pid);
        } else {
            log.warn("worker process {} did not exit in time; sending SIGKILL", pid);
        }
        signal(pid, Signal.KILL);
        slot.killAgainAt(nowNanos + WATCHDOG_DUMP_GRACE_NANOS);
    }

    /** A HEARTBEAT answer from {@code slot}'s worker. */
    void answered(WorkerSlot slot, long nowNanos) {
        if (slot.heartbeat(nowNanos)) {
            log.warn("worker process {} answers again; the watchdog lets it live", slot.pid());
        }
    }

    private static boolean killDue(SlotState state, long nowNanos) {
        if (state instanceof Hung hung) {
            return nowNanos - hung.killAtNanos() >= 0;
        }
        return state instanceof Exiting exiting && exiting.killAtNanos().isPresent()
                && nowNanos - exiting.killAtNanos().getAsLong() >= 0;
    }

    /** The watchdog's next deadline (a heartbeat round, a SIGKILL), System.nanoTime(); Long.MAX_VALUE without one. */
    long nextDeadlineNanos(List<WorkerSlot> slots, Optional<Duration> timeout, long nowNanos) {
        long next = timeout.isEmpty() ? Long.MAX_VALUE : nextHeartbeatNanos;
        for (WorkerSlot slot : slots) {
            SlotState state = slot.current();
            if (state instanceof Hung hung && (next == Long.MAX_VALUE || hung.killAtNanos() - next < 0)) {
                next = hung.killAtNanos();
            } else if (state instanceof Exiting exiting && exiting.killAtNanos().isPresent()
                    && (next == Long.MAX_VALUE || exiting.killAtNanos().getAsLong() - next < 0)) {
                next = exiting.killAtNanos().getAsLong();
            }
        }
        return next;
    }

    private void signal(int pid, Signal signal) {
        try {
            posix.kill(pid, signal);
        } catch (PosixException e) {
            log.debug("kill({}, {}): {}", pid, signal.fullName(), e.getMessage());
        }
    }
}
