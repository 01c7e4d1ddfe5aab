package io.masterwork.master.process;

import io.masterwork.master.process.SlotState.Exiting;
import io.masterwork.master.process.SlotState.Hung;
import io.masterwork.master.process.SlotState.Ready;
import io.masterwork.master.process.SlotState.Starting;
import io.masterwork.master.process.SlotState.Vacant;
import io.masterwork.posix.WaitStatus;
import java.util.OptionalLong;

/**
 * One entry of the process table, nginx's {@code ngx_process_t}: a slot number (what siblings and {@code /_worker}
 * call a worker), the generation it serves for its whole life, its {@link SlotState} and its history (respawns,
 * quick crashes, the last exit). The state changes only by the named transitions below; one that does not apply
 * to the current state is a bug in the master and throws.
 */
public final class WorkerSlot {
    final int slot;
    /** What this slot's worker runs, and a respawn runs again. */
    final WorkerGeneration generation;
    private SlotState state;
    int respawns;
    /** Deaths before a worker lived {@link CrashAccounting#STABLE_AFTER_NANOS}; drives the respawn delay. */
    int quickDeaths;
    WaitStatus lastExit;
    /**
     * Retired with the other master's workers of a binary upgrade as successors: it hears of their changes (one dies,
     * a respawn, a reload over there) while it drains.
     */
    boolean handsToPeer;

    /** A new slot, vacant and due for its first spawn at {@code nowNanos}. */
    WorkerSlot(int slot, WorkerGeneration generation, long nowNanos) {
        this.slot = slot;
        this.generation = generation;
        this.state = new Vacant(nowNanos);
    }

    SlotState current() {
        return state;
    }

    /** The process in the slot, or null when it is vacant. */
    Worker worker() {
        return state.worker();
    }

    // ---- transitions ----------------------------------------------------------------------------------------

    /** Vacant → Starting: a worker was spawned into the slot, or a spare promoted into it. */
    void occupy(Worker worker) {
        if (!(state instanceof Vacant)) {
            throw illegal("occupy");
        }
        state = new Starting(worker);
    }

    /** Starting → Ready on its READY; false (nothing changes) in any other state. */
    boolean ready(long nowNanos) {
        if (state instanceof Starting starting) {
            state = new Ready(starting.worker(), nowNanos, nowNanos);
            return true;
        }
        return false;
    }

    /** A HEARTBEAT answer; true when it revives a hung worker (Hung → Ready). */
    boolean heartbeat(long nowNanos) {
        if (state instanceof Ready ready) {
            state = new Ready(ready.worker(), ready.readyAtNanos(), nowNanos);
        } else if (state instanceof Hung hung) {
            state = new Ready(hung.worker(), hung.readyAtNanos(), nowNanos);
            return true;
        }
        return false;
    }

    /** Ready → Hung: the watchdog asked for a thread dump; SIGKILL is due at {@code killAtNanos}. */
    void hung(long killAtNanos) {
        if (!(state instanceof Ready ready)) {
            throw illegal("hang");
        }
        state = new Hung(ready.worker(), ready.readyAtNanos(), ready.lastHeartbeatNanos(), killAtNanos);
    }

    /** The watchdog's SIGKILL went out; the next is due at {@code killAtNanos} should the process outlive it. */
    void killAgainAt(long killAtNanos) {
        if (state instanceof Hung hung) {
            state = new Hung(hung.worker(), hung.readyAtNanos(), hung.lastHeartbeatNanos(), killAtNanos);
        } else if (state instanceof Exiting exiting && exiting.killAtNanos().isPresent()) {
            state = new Exiting(exiting.worker(), OptionalLong.of(killAtNanos));
        } else {
            throw illegal("kill");
        }
    }

    /**
     * Told to TERMINATE outside a stop of the master (a rolled-back reload's workers): never respawned, and SIGKILL is
     * due at {@code killAtNanos} should it outlive that (a hung worker keeps its earlier SIGKILL time).
     */
    void exiting(long killAtNanos) {
        if (state instanceof Starting || state instanceof Ready) {
            state = new Exiting(state.worker(), OptionalLong.of(killAtNanos));
        } else {
            exiting();
        }
    }

    /** Told to QUIT or TERMINATE: never respawned from now on. A hung worker keeps its SIGKILL time. */
    void exiting() {
        if (state instanceof Hung hung) {
            state = new Exiting(hung.worker(), OptionalLong.of(hung.killAtNanos()));
        } else if (state instanceof Starting || state instanceof Ready) {
            state = new Exiting(state.worker(), OptionalLong.empty());
        } else if (!(state instanceof Exiting)) {
            throw illegal("exit");
        }
    }

    /** Reaped, and wanted again: vacant until {@code spawnDueNanos}. */
    void vacate(long spawnDueNanos) {
        if (state instanceof Vacant || state instanceof Exiting) {
            throw illegal("vacate");
        }
        state = new Vacant(spawnDueNanos);
    }

    /** A spawn that failed: the vacant slot tries again at {@code spawnDueNanos}. */
    void retryAt(long spawnDueNanos) {
        if (!(state instanceof Vacant)) {
            throw illegal("retry");
        }
        state = new Vacant(spawnDueNanos);
    }

    private IllegalStateException illegal(String transition) {
        return new IllegalStateException("slot " + slot + ": cannot " + transition + " in state " + state);
    }

    boolean isExiting() {
        return state instanceof Exiting;
    }

    boolean isVacant() {
        return state instanceof Vacant;
    }

    /** Ready, or hung but not yet killed: it said READY and serves as far as the master knows. */
    boolean hasSaidReady() {
        return state instanceof Ready || state instanceof Hung;
    }

    /** When it said READY, or 0 if it has not (or is exiting). */
    long readyAtNanos() {
        if (state instanceof Ready ready) {
            return ready.readyAtNanos();
        }
        return state instanceof Hung hung ? hung.readyAtNanos() : 0;
    }

    // ---- the view: status, metrics, systemd ------------------------------------------------------------------

    public int slot() {
        return slot;
    }

    /** The pid of the slot's process, or -1 when it is vacant. */
    public int pid() {
        Worker worker = state.worker();
        return worker == null ? -1 : worker.pid;
    }

    public long generation() {
        return generation.number;
    }

    public WorkerState state() {
        if (state instanceof Starting) {
            return WorkerState.STARTING;
        }
        if (state instanceof Exiting) {
            return WorkerState.EXITING;
        }
        return state instanceof Vacant ? WorkerState.RESPAWNING : WorkerState.READY;
    }

    public int respawns() {
        return respawns;
    }

    public WaitStatus lastExit() {
        return lastExit;
    }

    /** The watchdog found the worker's loop unresponsive and its SIGKILL is due (status and metrics call it ready). */
    public boolean hung() {
        return state instanceof Hung;
    }

    /** A process is running in this slot (spawned and not yet reaped). */
    public boolean hasProcess() {
        return state.worker() != null;
    }

    /** Milliseconds since the last heartbeat, or -1 before the worker was ready. */
    public long millisSinceHeartbeat() {
        long last;
        if (state instanceof Ready ready) {
            last = ready.lastHeartbeatNanos();
        } else if (state instanceof Hung hung) {
            last = hung.lastHeartbeatNanos();
        } else {
            return -1;
        }
        return (System.nanoTime() - last) / 1_000_000;
    }

    /** Milliseconds since this slot's process took the slot. */
    public long uptimeMillis() {
        Worker worker = state.worker();
        return worker == null ? 0 : (System.nanoTime() - worker.startedAtNanos) / 1_000_000;
    }

    /** Milliseconds until a backed-off respawn into this vacant slot, or -1 when it has a process. */
    public long respawnInMillis() {
        return state instanceof Vacant vacant
                ? Math.max(0, (vacant.spawnDueNanos() - System.nanoTime()) / 1_000_000) : -1;
    }

    /** Consecutive quick crashes: what the respawn delay grows with. */
    public int quickDeaths() {
        return quickDeaths;
    }

    @Override
    public String toString() {
        return "worker " + pid() + " (slot " + slot + ", generation " + generation.number + ", " + state() + ")";
    }
}
