package io.masterwork.master.process;

import io.masterwork.channel.SpawnContract;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.Signal;
import io.masterwork.posix.WaitStatus;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a worker's exit means for its slot, beyond nginx (which respawns at once, always): whether it was the
 * worker's own doing (a crash), how long the slot waits before its respawn ({@code worker_respawn_backoff},
 * doubling with each quick crash, capped), and whether crashes come too fast for the master to go on (PHP-FPM's
 * emergency_restart_threshold: {@code worker_crash_limit} within {@code worker_crash_window}).
 */
final class CrashAccounting {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** A worker that served this long before dying resets its slot's respawn backoff. */
    static final long STABLE_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Crashes within the window at which the master warns loudly even without a crash limit. */
    static final int CRASH_ALERT_THRESHOLD = 5;
    static final Set<Signal> CRASH_SIGNALS = EnumSet.of(Signal.SEGV, Signal.ABRT, Signal.BUS, Signal.ILL, Signal.FPE);

    private final ArrayDeque<Long> recentCrashes = new ArrayDeque<>();

    /**
     * "By its own doing": a non-zero exit other than 2 (init failed) and 143 (SIGTERM's orderly JVM exit), or a
     * crash signal. 3 (out of heap) is one. An exit the master lost track of (null: waitpid said ECHILD) is not.
     */
    static boolean isCrash(WaitStatus status) {
        if (status == null) {
            return false;
        }
        if (status.exited()) {
            int code = status.exitCode();
            return code != SpawnContract.EXIT_OK && code != SpawnContract.EXIT_FATAL && code != 128 + Signal.TERM.number;
        }
        Signal signal = Signal.of(status.termSignal());
        return signal != null && CRASH_SIGNALS.contains(signal);
    }

    /** nginx's "cannot be respawned": the worker's init failed in a way a restart will not fix. */
    static boolean isFatal(WaitStatus status) {
        return status != null && status.exited() && status.exitCode() == SpawnContract.EXIT_FATAL;
    }

    /** worker_respawn_backoff after the first quick death, doubling with each further one, capped at the max. */
    static long backoff(MasterConfiguration c, int quickDeaths) {
        int doublings = Math.min(Math.max(quickDeaths - 1, 0), 30);
        long first = c.workerRespawnBackoff().toNanos();
        long max = c.workerRespawnBackoffMax().toNanos();
        return first > (max >> doublings) ? max : Math.min(first << doublings, max);
    }

    /**
     * When {@code slot}, whose worker just exited with {@code status}, is respawned. Killed from outside (SIGKILL,
     * the OOM killer, SIGTERM = JVM status 143), lost, or after a good life: at once, as nginx does. A crash soon
     * after the start (before READY, or within {@link #STABLE_AFTER_NANOS} of it: a JVM's start alone can take
     * seconds on a busy host) backs off.
     */
    static long respawnDue(WorkerSlot slot, WaitStatus status, long startedAtNanos, long nowNanos) {
        long readyAt = slot.readyAtNanos();
        boolean servedLongEnough = readyAt != 0 && nowNanos - readyAt >= STABLE_AFTER_NANOS;
        if (!isCrash(status) || servedLongEnough) {
            slot.quickDeaths = 0;
            return nowNanos;
        }
        slot.quickDeaths++;
        long delay = backoff(slot.generation.config, slot.quickDeaths);
        log.warn("worker in slot {} died {} ms after start; respawning in {} ms", slot.slot,
                TimeUnit.NANOSECONDS.toMillis(nowNanos - startedAtNanos), TimeUnit.NANOSECONDS.toMillis(delay));
        return nowNanos + delay;
    }

    /** Counts a crash of the serving configuration's workers; true when worker_crash_limit is reached. */
    boolean countCrash(MasterConfiguration serving, long nowNanos) {
        long window = serving.workerCrashWindow().toNanos();
        recentCrashes.addLast(nowNanos);
        while (!recentCrashes.isEmpty() && nowNanos - recentCrashes.peekFirst() > window) {
            recentCrashes.removeFirst();
        }
        int crashes = recentCrashes.size();
        OptionalInt limit = serving.workerCrashLimit();
        if (limit.isPresent() && crashes >= limit.getAsInt()) {
            log.error("{} workers crashed within {} s: worker_crash_limit reached, stopping the master", crashes,
                    serving.workerCrashWindow().toSeconds());
            return true;
        }
        if (crashes >= CRASH_ALERT_THRESHOLD) {
            log.error("{} workers crashed within {} s; respawns are backing off", crashes,
                    serving.workerCrashWindow().toSeconds());
        }
        return false;
    }
}
