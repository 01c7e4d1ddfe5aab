package io.masterwork.master.process;

import io.masterwork.master.process.MasterControl.ReloadOutcome;
import java.util.List;
import java.util.function.Consumer;

/**
 * A reload under way: the new generation starting beside the old one, which goes on serving until every new worker
 * has said READY (nginx instead sleeps 100 ms and hopes). The first new worker that dies or cannot be spawned before
 * that, or {@code worker_ready_timeout}, rolls it back; the reason is what the operator (and whoever asked over the
 * control socket) is told.
 */
final class Reload {
    final WorkerGeneration previous;
    final WorkerGeneration next;
    /** Who asked for this reload and waits for its outcome (the control socket). */
    final List<Consumer<ReloadOutcome>> requesters;
    final long startedNanos = System.nanoTime();
    final long deadlineNanos;
    private String failure;

    Reload(WorkerGeneration previous, WorkerGeneration next, List<Consumer<ReloadOutcome>> requesters) {
        this.previous = previous;
        this.next = next;
        this.requesters = requesters;
        this.deadlineNanos = startedNanos + next.config.workerReadyTimeout().toNanos();
    }

    /** A new worker failed before the commit: the reload is rolled back with this reason (the first one counts). */
    void failed(String reason) {
        if (failure == null) {
            failure = reason;
        }
    }

    /** Why the reload must be rolled back, or null while nothing went wrong. */
    String failure() {
        return failure;
    }

    /**
     * Every one of the {@code wanted} workers of the new generation is there and has said READY. Counted, not
     * assumed: a generation with fewer slots than wanted is not ready, however ready those it has are.
     */
    boolean allReady(ProcessTable table, int wanted) {
        List<WorkerSlot> slots = table.staying(next);
        return slots.size() == wanted && slots.stream().allMatch(WorkerSlot::hasSaidReady);
    }

    boolean overdue(long nowNanos) {
        return nowNanos - deadlineNanos >= 0;
    }
}
