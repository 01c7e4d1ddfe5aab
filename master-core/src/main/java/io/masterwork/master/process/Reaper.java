package io.masterwork.master.process;

import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.Errno;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.WaitStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nginx's {@code ngx_reap_children}, for the pids this master spawned: {@code waitpid} of each known pid without
 * waiting, never of -1 (that would steal the children the JDK reaps itself). For each exit: the log line, the
 * process's descriptors closed, its siblings told (CLOSE_CHANNEL), and its slot vacated with the respawn time
 * {@link CrashAccounting} gives — or released when the worker was told to exit, is of a generation no longer wanted,
 * or cannot be respawned (status 2).
 */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** What became of a process: its wait status, or none when it is not this master's child any more. */
    record Exit(WaitStatus status) {
        static final Exit LOST = new Exit(null);

        boolean lost() {
            return status == null;
        }

        @Override
        public String toString() {
            return status == null ? "is not a child of this master any more (waitpid: ECHILD); its status is unknown"
                    : status.toString();
        }
    }

    /**
     * One pass: the workers reaped with a known status (for the extensions), whether the crash limit was reached, and
     * why each serving worker that exited with status 2 (cannot be respawned) could not start.
     */
    record Reaping(List<WorkerSlot> slots, List<WaitStatus> statuses, boolean crashLimitReached, List<String> fatalFailures) {
    }

    private final Posix posix;
    private final ProcessTable table;
    private final SpareWorkers spares;
    private final WorkerCommands commands;
    private final WorkerProcesses workers;
    private final CrashAccounting crashes = new CrashAccounting();
    /** Reads what a worker still said on its channel (INIT_FAILED just before its exit) before the exit is handled. */
    private final Consumer<WorkerSlot> lastWords;

    Reaper(Posix posix, ProcessTable table, SpareWorkers spares, WorkerCommands commands, WorkerProcesses workers,
           Consumer<WorkerSlot> lastWords) {
        this.lastWords = lastWords;
        this.posix = posix;
        this.table = table;
        this.spares = spares;
        this.commands = commands;
        this.workers = workers;
    }

    /** Reaps every worker and spare that exited; {@code reload} (or null) fails when one of its new workers is gone. */
    Reaping reap(DesiredWorkers desired, Reload reload, boolean stopping) {
        List<WorkerSlot> slots = new ArrayList<>();
        List<WaitStatus> statuses = new ArrayList<>();
        boolean crashLimit = false;
        List<String> fatalFailures = new ArrayList<>();
        for (WorkerSlot slot : table.running()) {
            Exit exit = waitFor(slot.worker());
            if (exit != null) {
                if (slot.worker().channelOpen()) {
                    lastWords.accept(slot);
                }
                crashLimit |= workerExited(slot, exit, desired, reload, stopping, fatalFailures);
                if (!exit.lost()) {
                    slots.add(slot);
                    statuses.add(exit.status());
                }
            }
        }
        for (SpareWorker spare : spares.running()) {
            Exit exit = waitFor(spare.worker);
            if (exit != null) {
                spares.exited(spare, exit, desired.serving().config, stopping, System.nanoTime());
            }
        }
        return new Reaping(slots, statuses, crashLimit, fatalFailures);
    }

    /**
     * The exit of {@code worker}, or null while it runs (or waitpid failed for a passing reason, logged). ECHILD
     * means the pid is not a child of this master (someone else reaped it): it is gone as far as the master can
     * ever know, and counted so; otherwise its slot would wait for it forever and QUIT never complete.
     */
    private Exit waitFor(Worker worker) {
        WaitStatus status;
        try {
            status = posix.waitpid(worker.pid, true);
        } catch (PosixException e) {
            if (e.errno() == Errno.ECHILD) {
                return Exit.LOST;
            }
            log.error("waitpid({}) failed: {}", worker.pid, e.getMessage());
            return null;
        }
        return status == null ? null : new Exit(status);
    }

    /** True when this exit was a crash that reached worker_crash_limit. */
    private boolean workerExited(WorkerSlot slot, Exit exit, DesiredWorkers desired, Reload reload, boolean stopping,
                                 List<String> fatalFailures) {
        Worker gone = slot.worker();
        boolean wanted = !stopping && !slot.isExiting() && slot.generation == desired.serving();
        boolean crashed = CrashAccounting.isCrash(exit.status());
        boolean fatal = CrashAccounting.isFatal(exit.status());
        // The spare's PROMOTE before anything else: the clients queued on the listener since the worker died wait
        // for it, not for the log line, the siblings' CLOSE_CHANNEL or the extensions (docs/BENCHMARKS.md).
        SpareWorker promoted = wanted && !crashed && !fatal ? spares.promote(slot) : null;
        if (!exit.lost() && exit.status().exited() && exit.status().exitCode() == 0) {
            log.info("worker process {} exited with code 0", gone.pid);
        } else {
            log.warn("worker process {} {}", gone.pid, exit);
        }
        if (!exit.lost()) {
            slot.lastExit = exit.status();
        }
        gone.close(posix);
        long now = System.nanoTime();
        boolean crashLimit = false;
        if (!wanted) {
            if (reload != null && slot.generation == reload.next && !slot.isExiting()) {
                // The worker's own reason when it gave one (an application's settings refused: file:line: key: ...).
                reload.failed(gone.initFailure != null ? gone.initFailure : "a new worker " + exit + " before it was ready");
            }
            table.release(slot);
        } else if (fatal) {
            log.error("worker process {} exited with fatal code {} and cannot be respawned{}", gone.pid, SpawnContract.EXIT_FATAL,
                    gone.initFailure == null ? "" : ": " + gone.initFailure);
            fatalFailures.add(gone.initFailure != null ? gone.initFailure : "worker process " + gone.pid + " " + exit);
            desired.fatallyFailed();
            table.release(slot);
        } else {
            crashLimit = crashed && crashes.countCrash(desired.serving().config, now);
            slot.vacate(CrashAccounting.respawnDue(slot, exit.status(), gone.startedAtNanos, now));
            slot.respawns++;
        }
        commands.passCloseChannel(slot, gone.pid, table.occupied());
        if (promoted != null) {
            workers.occupy(slot, spares.takeOver(slot, promoted, now));
        }
        return crashLimit;
    }
}
