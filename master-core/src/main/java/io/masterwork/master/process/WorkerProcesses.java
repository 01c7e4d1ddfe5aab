package io.masterwork.master.process;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.master.process.SlotState.Vacant;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the master does to its workers, under nginx's names: {@code ngx_start_worker_processes} (fresh slots),
 * {@code ngx_spawn_process} into a slot (a spare promoted, else a JVM), {@code ngx_signal_worker_processes} (every
 * worker at once), and the retirement of one worker the reconcile step no longer wants.
 */
final class WorkerProcesses {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /** An exited worker's channel said EOF before the kernel had its status: look again this soon. */
    static final long UNREAPED_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Posix posix;
    private final ProcessTable table;
    private final Spawner spawner;
    private final SpareWorkers spares;
    private final WorkerCommands commands;

    WorkerProcesses(Posix posix, ProcessTable table, Spawner spawner, SpareWorkers spares, WorkerCommands commands) {
        this.posix = posix;
        this.table = table;
        this.spawner = spawner;
        this.spares = spares;
        this.commands = commands;
    }

    /**
     * nginx's ngx_start_worker_processes: n fresh slots of one generation, vacant and due now (the reconcile step
     * spawns into them). Null when they are all there, else why not: the table has no slot left.
     */
    String start(WorkerGeneration generation, int n) {
        log.info("starting {} worker processes (generation {})", n, generation.number);
        for (int i = 0; i < n; i++) {
            if (table.allocate(generation) == null) {
                String why = "no free slot in the process table for " + (n - i) + " more worker processes of generation "
                        + generation.number + " (" + table.capacity() + " in use)";
                log.error(why);
                return why;
            }
        }
        return null;
    }

    /**
     * A spare promoted into the vacant slot, or else a fresh JVM. A spawn that fails (with anything) is tried again
     * with backoff: null when a worker took the slot, else why not.
     */
    String spawnInto(WorkerSlot slot) {
        long now = System.nanoTime();
        SpareWorker spare = spares.promote(slot);
        if (spare != null) {
            occupy(slot, spares.takeOver(slot, spare, now));
            return null;
        }
        Worker worker;
        try {
            worker = spawner.spawn(slot.slot, slot.generation);
        } catch (RuntimeException e) {
            slot.quickDeaths++;
            long delay = CrashAccounting.backoff(slot.generation.config, slot.quickDeaths);
            slot.retryAt(now + delay);
            log.error("could not spawn a worker into slot {}: {}; retrying in {} ms", slot.slot, e.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(delay));
            return "a new worker could not be spawned before it was ready: " + e.getMessage();
        }
        log.info("start worker process {} (slot {})", worker.pid, slot.slot);
        occupy(slot, worker);
        return null;
    }

    /** The process takes the slot, and it and its siblings learn of each other (OPEN_CHANNEL both ways). */
    void occupy(WorkerSlot slot, Worker worker) {
        slot.occupy(worker);
        commands.passOpenChannel(slot, table.occupied());
    }

    /**
     * Out of the desired count: a vacant slot is released; a worker of a generation that never served (a rolled-back
     * reload's, newer than {@code serving}) is terminated; any other quits gracefully, naming its successors for the
     * connection handover when the serving configuration has it on: {@code successors}, or when there are none the
     * other master's workers of a binary upgrade ({@code peer}, null outside one).
     */
    void retire(WorkerSlot slot, List<WorkerSlot> successors, WorkerGeneration serving, UpgradeChannel peer) {
        if (slot.isVacant()) {
            table.release(slot);
            return;
        }
        if (slot.generation.number > serving.number) {
            // As a fast stop would: what has not exited a second after TERMINATE gets SIGKILL (Watchdog).
            slot.exiting(System.nanoTime() + MasterProcessCycle.TERMINATE_GRACE_NANOS);
            commands.send(slot, ChannelFrame.terminate());
        } else {
            slot.exiting();
            commands.retire(slot, successors, serving.config.connectionHandover(), peer);
        }
    }

    /**
     * nginx's ngx_signal_worker_processes: every worker (draining ones too) and spare; vacant slots stay empty. With
     * {@code peer} (a graceful stop during a binary upgrade, handover on), each worker not yet draining first gets the
     * other master's workers as successors.
     */
    void signalAll(ChannelFrame frame, UpgradeChannel peer) {
        for (WorkerSlot slot : table.occupied()) {
            if (slot.isVacant()) {
                table.release(slot);
            } else {
                if (peer != null && !slot.isExiting()) {
                    commands.handToPeer(slot, peer);
                }
                slot.exiting();
                commands.sendAfterNews(slot, frame);
            }
        }
        spares.retireAll(frame);
    }

    /** REOPEN to every worker whose channel is open, draining ones too (they still write the access log), and spares. */
    void reopenAll() {
        for (WorkerSlot slot : table.running()) {
            if (slot.worker().channelOpen()) {
                commands.send(slot, ChannelFrame.reopen());
            }
        }
        spares.reopen();
    }

    /** Past the stop's deadline: SIGKILL to whatever still runs. */
    void killRemaining() {
        List<Integer> pids = new ArrayList<>();
        table.running().forEach(slot -> pids.add(slot.pid()));
        spares.running().forEach(spare -> pids.add(spare.pid()));
        for (int pid : pids) {
            log.warn("worker process {} did not exit in time; sending SIGKILL", pid);
            try {
                posix.kill(pid, Signal.KILL);
            } catch (PosixException e) {
                log.debug("kill({}, SIGKILL): {}", pid, e.getMessage());
            }
        }
    }

    /** The open command channels of every worker and spare: what the master loop polls beside its signals. */
    List<Integer> channelDescriptors() {
        List<Integer> fds = new ArrayList<>();
        table.running().stream().map(WorkerSlot::worker).filter(Worker::channelOpen).forEach(w -> fds.add(w.channel.fd()));
        spares.running().stream().map(s -> s.worker).filter(Worker::channelOpen).forEach(w -> fds.add(w.channel.fd()));
        return fds;
    }

    /**
     * The nearest respawn due, or {@link #UNREAPED_RECHECK_NANOS} from now when a channel said EOF before the kernel
     * had the exit status (CHLD will come, but the loop does not depend on one CHLD per exit); Long.MAX_VALUE for none.
     */
    long nextDeadlineNanos(long nowNanos) {
        long next = Long.MAX_VALUE;
        for (WorkerSlot slot : table.occupied()) {
            next = MasterProcessCycle.earlier(next, slot.current() instanceof Vacant vacant ? vacant.spawnDueNanos()
                    : slot.worker().channelOpen() ? Long.MAX_VALUE : nowNanos + UNREAPED_RECHECK_NANOS);
        }
        for (SpareWorker spare : spares.running()) {
            next = MasterProcessCycle.earlier(next, spare.worker.channelOpen() ? Long.MAX_VALUE : nowNanos + UNREAPED_RECHECK_NANOS);
        }
        return next;
    }

    /** Nothing runs any more, workers and spares alike. */
    boolean noneRunning() {
        return table.running().isEmpty() && spares.running().isEmpty();
    }
}
