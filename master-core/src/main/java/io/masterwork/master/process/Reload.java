package io.masterwork.master.process;

import java.util.ArrayList;
import java.util.List;

/**
 * A reload under way: the new generation starting beside the old one, which goes on serving until
 * every new worker has said READY (nginx instead sleeps 100 ms and hopes).
 */
final class Reload {
    final WorkerGeneration previous;
    final WorkerGeneration next;
    final List<WorkerSlot> starting = new ArrayList<>();
    /** Who asked for this reload and waits for its outcome (the control socket). */
    final List<java.util.function.Consumer<MasterControl.ReloadOutcome>> requesters = new ArrayList<>();
    final long startedNanos = System.nanoTime();
    final long deadlineNanos;

    Reload(WorkerGeneration previous, WorkerGeneration next, long readyTimeoutNanos) {
        this.previous = previous;
        this.next = next;
        this.deadlineNanos = startedNanos + readyTimeoutNanos;
    }

    /** The first new worker that died before READY, or null. */
    WorkerSlot diedBeforeReady() {
        for (WorkerSlot slot : starting) {
            if (!slot.hasProcess()) {
                return slot;
            }
        }
        return null;
    }

    boolean allReady() {
        for (WorkerSlot slot : starting) {
            if (slot.state != WorkerState.READY) {
                return false;
            }
        }
        return true;
    }
}
