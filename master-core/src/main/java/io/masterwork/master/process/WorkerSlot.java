package io.masterwork.master.process;

import io.masterwork.channel.Channel;
import io.masterwork.posix.WaitStatus;

/**
 * One entry of the process table, nginx's {@code ngx_process_t}: plain data; the master loop and the
 * {@link Spawner} give it behaviour. A slot number is the index in the {@link ProcessTable} and is what
 * siblings and {@code /_worker} call a worker.
 */
public final class WorkerSlot {
    final int slot;
    int pid = -1;
    long generation;
    /** What this slot's worker runs (and a respawn runs again): its generation's configuration. */
    WorkerGeneration spec;
    /** The master's end of the private command channel (ch[0]); never leaves the master. */
    Channel channel;
    /** The write end of this worker's sibling inbox (in[0]); the master hands copies to siblings. */
    int inboxWriteFd = -1;
    WorkerState state = WorkerState.STARTING;
    /** Respawn into this slot when it dies (false once it was told to exit). */
    boolean respawn = true;
    /** The command channel hit EOF; the pid is reaped on the next CHLD. */
    boolean channelClosed;
    long startedAtNanos;
    long readyAtNanos;
    int respawns;
    /** Deaths before a worker lived {@link MasterProcessCycle#STABLE_AFTER_NANOS}; drives the respawn delay. */
    int quickDeaths;
    WaitStatus lastExit;
    /** When a respawn into this (empty) slot is due, System.nanoTime(); 0 when none is pending. */
    long respawnDueNanos;
    /** The last HEARTBEAT answer (or READY), System.nanoTime(). */
    long lastHeartbeatNanos;
    /** The watchdog asked for a thread dump; SIGKILL follows at this time. 0 when not hung. */
    long watchdogKillAtNanos;

    /** Milliseconds since the last heartbeat, or -1 before the worker was ready. */
    public long millisSinceHeartbeat() {
        return lastHeartbeatNanos == 0 ? -1 : (System.nanoTime() - lastHeartbeatNanos) / 1_000_000;
    }

    /** Milliseconds since this slot's process was spawned. */
    public long uptimeMillis() {
        return hasProcess() ? (System.nanoTime() - startedAtNanos) / 1_000_000 : 0;
    }

    /** Milliseconds until a backed-off respawn into this empty slot, or -1 when none is pending. */
    public long respawnInMillis() {
        return !hasProcess() && respawnDueNanos != 0 ? Math.max(0, (respawnDueNanos - System.nanoTime()) / 1_000_000) : -1;
    }

    /** Consecutive quick crashes: what the respawn delay grows with. */
    public int quickDeaths() {
        return quickDeaths;
    }

    WorkerSlot(int slot) {
        this(slot, false);
    }

    /** A spare's entry: {@code slot} is then the spare's own number, not a process-table slot. */
    WorkerSlot(int slot, boolean spare) {
        this.slot = slot;
        this.spare = spare;
    }

    /**
     * A spare worker (worker_spares): started and initialised, holding the listeners but not accepting, kept in
     * {@link SpareWorkers} and never in the process table until it is promoted into a slot.
     */
    final boolean spare;

    public boolean isSpare() {
        return spare;
    }

    public int slot() {
        return slot;
    }

    public int pid() {
        return pid;
    }

    public long generation() {
        return generation;
    }

    public WorkerState state() {
        return state;
    }

    public int respawns() {
        return respawns;
    }

    public WaitStatus lastExit() {
        return lastExit;
    }

    /** A process is running in this slot (spawned and not yet reaped). */
    public boolean hasProcess() {
        return pid > 0;
    }

    @Override
    public String toString() {
        if (spare) {
            return "spare worker " + pid + " (spare " + slot + ", generation " + generation + ", " + state + ")";
        }
        return "worker " + pid + " (slot " + slot + ", generation " + generation + ", " + state + ")";
    }
}
