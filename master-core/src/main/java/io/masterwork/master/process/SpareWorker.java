package io.masterwork.master.process;

/**
 * A spare worker ({@code worker_spares}): a worker JVM started ahead of need for one generation, initialised,
 * holding the listeners and its channel but never accepting. It has a number of its own (0, 1, ...), never a slot:
 * siblings, {@code /_worker} and the serving count do not see it until its promotion moves its process into a slot.
 */
public final class SpareWorker {
    final int number;
    final WorkerGeneration generation;
    final Worker worker;
    /** Spawned at SCHED_IDLE (worker_spare_priority): its promotion raises it first. */
    final boolean startedIdle;
    private WorkerState state = WorkerState.STARTING;
    /** When it said READY ("spare"), System.nanoTime(); 0 before. */
    private long readyAtNanos;
    /** Raised to worker_priority before its READY, because it starved at idle priority. */
    private boolean raisedWhileStarting;

    SpareWorker(int number, WorkerGeneration generation, Worker worker, boolean startedIdle) {
        this.number = number;
        this.generation = generation;
        this.worker = worker;
        this.startedIdle = startedIdle;
    }

    /** Starting → Ready on its READY ("spare"); false in any other state. */
    boolean ready(long nowNanos) {
        if (state != WorkerState.STARTING) {
            return false;
        }
        state = WorkerState.READY;
        readyAtNanos = nowNanos;
        return true;
    }

    /** Told to QUIT or TERMINATE: no longer promoted, not replaced when it exits. */
    void exiting() {
        state = WorkerState.EXITING;
    }

    boolean isExiting() {
        return state == WorkerState.EXITING;
    }

    boolean hasSaidReady() {
        return readyAtNanos != 0;
    }

    /** Started at idle priority, still starting and not raised yet: {@link SpareWorkers} raises it once it starved. */
    boolean startingAtIdle() {
        return startedIdle && !raisedWhileStarting && state == WorkerState.STARTING;
    }

    void raisedWhileStarting() {
        raisedWhileStarting = true;
    }

    /** Neither exiting nor gone: a promotion may still use it. */
    boolean usable() {
        return state != WorkerState.EXITING && worker.channelOpen();
    }

    // ---- the view: status, metrics ---------------------------------------------------------------------------

    public int number() {
        return number;
    }

    public int pid() {
        return worker.pid;
    }

    public long generation() {
        return generation.number;
    }

    /** STARTING, READY or EXITING. */
    public WorkerState state() {
        return state;
    }

    public long uptimeMillis() {
        return (System.nanoTime() - worker.startedAtNanos) / 1_000_000;
    }

    @Override
    public String toString() {
        return "spare worker " + worker.pid + " (spare " + number + ", generation " + generation.number + ", " + state + ")";
    }
}
