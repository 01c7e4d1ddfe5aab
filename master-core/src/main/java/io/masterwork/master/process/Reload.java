package io.masterwork.master.process;

import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.process.MasterControl.ReloadOutcome;
import io.masterwork.posix.Posix;
import io.masterwork.posix.UserInfo;
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

    /** A reload that cannot start: nothing changed, and this is why. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * nginx's {@code ngx_init_cycle} on HUP: the configuration re-read and checked, a free slot for every new worker
     * (beside the old generation's), the new listeners bound, the log files ready for the new worker user. Any of it
     * that fails rejects the reload, with the listeners as they were.
     */
    static Reload start(WorkerGeneration serving, ProcessTable table, Listeners listeners, MasterLogFiles logFiles,
                        Posix posix, List<Consumer<ReloadOutcome>> requesters) throws Rejected {
        MasterConfiguration next;
        try {
            next = ConfigLoader.load(serving.config.configFile(), serving.config.prefix());
        } catch (ConfigurationException e) {
            throw new Rejected(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            throw new Rejected("the configuration could not be checked: " + e);
        }
        if (table.free() < next.workerProcesses()) {
            throw new Rejected("the process table has " + table.free() + " free slots of " + table.capacity()
                    + ", the new generation needs " + next.workerProcesses() + " (worker_processes)");
        }
        List<Integer> fds;
        UserInfo nextUser;
        try {
            nextUser = WorkerUser.prepareForWorkers(posix, next);
            fds = listeners.openAll(next.listen());
        } catch (RuntimeException e) {
            listeners.retainOnly(serving.config.listen());
            throw new Rejected(e.getMessage());
        }
        logFiles.prepareForWorkers(next, nextUser);
        return new Reload(serving, new WorkerGeneration(serving.number + 1, next, nextUser, fds), requesters);
    }

    private Reload(WorkerGeneration previous, WorkerGeneration next, List<Consumer<ReloadOutcome>> requesters) {
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
