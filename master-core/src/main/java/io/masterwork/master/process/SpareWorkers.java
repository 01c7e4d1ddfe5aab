package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Promotion;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.Posix;
import io.masterwork.posix.UserInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spare workers ({@code worker_spares}) and their promotion: JVMs spawned ahead of need, so that a respawn, a
 * TTIN or a reload's new slot costs one PROMOTE frame instead of a JVM's start. Spares live beside the
 * {@link ProcessTable}, never in it. Like gunicorn's {@code manage_workers}, {@link #manage} reconciles their number
 * with {@code worker_spares} every turn.
 */
final class SpareWorkers {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /**
     * How long a spare may start at idle priority before it is raised to worker_priority. On idle CPUs a spare is
     * ready well within it (~1 s here); while serving workers keep every CPU busy a SCHED_IDLE thread gets almost no
     * time (spares were measured ready only after 20-46 s at load 25), so the spare would never be ready for the reload or
     * respawn it exists for: past this bound it starts at the serving workers' priority, taking its share once.
     */
    static final long STARVED_AFTER_NANOS = TimeUnit.SECONDS.toNanos(3);

    private final Posix posix;
    private final Spawner spawner;
    private final WorkerCommands commands;
    private final SparePriority priority;
    private final List<SpareWorker> spares = new ArrayList<>();
    /** Spares that died before they were ready, in a row: the next spare waits (as a crash-looping slot does). */
    private int quickDeaths;
    /** When the next spare may be spawned, System.nanoTime(); 0 = now. */
    private long spawnDueNanos;

    SpareWorkers(Posix posix, Spawner spawner, WorkerCommands commands) {
        this(posix, spawner, commands, new SparePriority(posix));
    }

    SpareWorkers(Posix posix, Spawner spawner, WorkerCommands commands, SparePriority priority) {
        this.posix = posix;
        this.spawner = spawner;
        this.commands = commands;
        this.priority = priority;
    }

    /** Every spare with a process (exiting ones included), in spare-number order. */
    List<SpareWorker> running() {
        List<SpareWorker> out = new ArrayList<>(spares);
        out.sort(Comparator.comparingInt(s -> s.number));
        return out;
    }

    /** Spares a promotion may still use (not told to exit, channel open), in spare-number order. */
    List<SpareWorker> usable() {
        List<SpareWorker> out = new ArrayList<>();
        for (SpareWorker s : running()) {
            if (s.usable()) {
                out.add(s);
            }
        }
        return out;
    }

    /** A spare whose process was started elsewhere (SparePriorityTest's scripted ones): promote may use it. */
    void adopt(SpareWorker spare) {
        spares.add(spare);
    }

    SpareWorker byChannelFd(int fd) {
        for (SpareWorker s : spares) {
            if (s.worker.channelOpen() && s.worker.channel.fd() == fd) {
                return s;
            }
        }
        return null;
    }

    /**
     * Retires spares that cannot serve {@code serving} and those beyond {@code wanted}, then starts a missing one —
     * one at a time, and only when {@code quiet} (no worker JVM of the serving generation starting, no reload under
     * way), so that a spare's JVM start never competes with a worker that is about to serve. A slot waiting out its
     * crash-loop backoff runs no process: a spare may start then, and the slot takes it over when its delay is up.
     */
    void manage(WorkerGeneration serving, int wanted, boolean quiet, long nowNanos) {
        raiseStarved(nowNanos);
        for (SpareWorker spare : usable()) {
            String why = incompatibility(spare.generation, serving);
            if (why != null) {
                log.info("spare worker process {} cannot serve generation {} ({}): replacing it", spare.worker.pid,
                        serving.number, why);
                retire(spare, ChannelFrame.quit());
            }
        }
        List<SpareWorker> usable = usable();
        for (int i = usable.size() - 1; i >= wanted; i--) {
            retire(usable.get(i), ChannelFrame.quit());
        }
        if (!mayStartAnother(spares, wanted, quiet)) {
            return;
        }
        if (spawnDueNanos != 0 && nowNanos - spawnDueNanos < 0) {
            return;
        }
        int number = lowestFreeNumber(spares);
        SpareWorker spare;
        boolean idle = priority.startIdle(serving.config);
        try {
            spare = new SpareWorker(number, serving, spawner.spawnSpare(number, serving, idle), idle);
        } catch (RuntimeException e) {
            quickDeaths++;
            spawnDueNanos = nowNanos + CrashAccounting.backoff(serving.config, quickDeaths);
            log.error("could not spawn a spare worker: {}", e.getMessage());
            return;
        }
        spares.add(spare);
        spawnDueNanos = 0;
        log.info("start spare worker process {} (spare {}, generation {}{})", spare.worker.pid, number, serving.number,
                idle ? ", idle priority" : "");
    }

    /**
     * Whether one more spare JVM may start now: fewer usable spares than {@code wanted}, {@code quiet} (no worker JVM
     * starting, no reload under way: a generation's cold starts come first), and no spare JVM starting — a spare
     * told to exit before it said READY counts too, as it reads that order only once its own start is done. So a
     * burst of reloads, each promoting spares and retiring others, never has two spare JVMs starting at once.
     */
    static boolean mayStartAnother(List<SpareWorker> running, int wanted, boolean quiet) {
        long usable = running.stream().filter(SpareWorker::usable).count();
        return usable < wanted && quiet && running.stream().allMatch(SpareWorker::hasSaidReady);
    }

    /**
     * Raises every spare that has been starting at idle priority for {@link #STARVED_AFTER_NANOS} to the
     * worker_priority of the generation it was spawned for. One that cannot be raised stays idle (its promotion
     * would stop it: a promoted worker never serves at idle priority).
     */
    private void raiseStarved(long nowNanos) {
        for (SpareWorker spare : usable()) {
            if (!spare.startingAtIdle() || nowNanos - raiseDueNanos(spare) < 0) {
                continue;
            }
            spare.raisedWhileStarting();
            int nice = spare.generation.config.workerPriority();
            String why = priority.raise(spare.worker.pid, nice);
            if (why == null) {
                log.info("spare worker process {} (spare {}) still starting after {} ms at idle priority (the CPUs are "
                        + "busy): raised to worker_priority {}", spare.worker.pid, spare.number,
                        TimeUnit.NANOSECONDS.toMillis(nowNanos - spare.worker.startedAtNanos), nice);
            } else {
                log.warn("spare worker process {} (spare {}) starves at idle priority and cannot be raised to "
                        + "worker_priority {}: {}", spare.worker.pid, spare.number, nice, why);
            }
        }
    }

    /**
     * When {@link #manage} wants to run next (System.nanoTime()): to start the next spare, or to raise a spare that
     * starves at idle priority; Long.MAX_VALUE when neither is due.
     */
    long nextDeadlineNanos(int wanted) {
        long next = wanted > usable().size() && spawnDueNanos != 0 ? spawnDueNanos : Long.MAX_VALUE;
        for (SpareWorker spare : usable()) {
            if (spare.startingAtIdle()) {
                next = MasterProcessCycle.earlier(next, raiseDueNanos(spare));
            }
        }
        return next;
    }

    /** When a spare still starting at idle priority counts as starved (System.nanoTime()). */
    private static long raiseDueNanos(SpareWorker spare) {
        return spare.worker.startedAtNanos + STARVED_AFTER_NANOS;
    }

    /** A new spare's number: the lowest one no spare has (0, 1, ...). */
    static int lowestFreeNumber(List<SpareWorker> spares) {
        int number = 0;
        while (true) {
            int candidate = number;
            if (spares.stream().noneMatch(s -> s.number == candidate)) {
                return number;
            }
            number++;
        }
    }

    /** Its READY ("spare"): initialised, waiting for PROMOTE. */
    void ready(SpareWorker spare, long nowNanos) {
        if (spare.ready(nowNanos)) {
            quickDeaths = 0;
            log.info("spare worker process {} (spare {}) ready in {} ms", spare.worker.pid, spare.number,
                    TimeUnit.NANOSECONDS.toMillis(nowNanos - spare.worker.startedAtNanos));
        }
    }

    /** Stops every spare that is not stopping yet with {@code frame} (QUIT or TERMINATE). */
    void retireAll(ChannelFrame frame) {
        for (SpareWorker spare : usable()) {
            retire(spare, frame);
        }
    }

    private void retire(SpareWorker spare, ChannelFrame frame) {
        spare.exiting();
        commands.send(spare, frame);
    }

    /** REOPEN to every spare with a channel. */
    void reopen() {
        for (SpareWorker spare : usable()) {
            commands.send(spare, ChannelFrame.reopen());
        }
    }

    /**
     * Instead of a JVM's start: PROMOTE to the best spare for {@code slot}'s generation, which leaves the spares —
     * the configuration as a memfd, the generation and the slot's CPUs. The spare, or null when none fits or the frame
     * cannot be written (that spare is then stopped). {@link #takeOver} then moves its process into the slot.
     * A spare started idle is raised to worker_priority on every thread before PROMOTE: one that cannot be is
     * stopped instead, since a promoted worker must never serve at idle priority.
     */
    SpareWorker promote(WorkerSlot slot) {
        SpareWorker spare = bestFor(slot.generation);
        if (spare == null) {
            return null;
        }
        if (spare.startedIdle) {
            String why = priority.raise(spare.worker.pid, slot.generation.config.workerPriority());
            if (why != null) {
                log.warn("cannot raise spare worker process {} to worker_priority {}: {}; starting a new worker instead",
                        spare.worker.pid, slot.generation.config.workerPriority(), why);
                retire(spare, ChannelFrame.terminate());
                return null;
            }
        }
        BitSet cpus = Spawner.affinityFor(slot.slot, slot.generation);
        int configFd = posix.memfd("masterwork-config", slot.generation.configJson);
        try {
            ChannelFrame promote = ChannelFrame.promote(posix.getpid(), slot.slot, configFd,
                    new Promotion(slot.generation.number, cpus == null ? new BitSet() : cpus));
            if (!spare.worker.channel.send(promote)) {
                throw new ChannelException("its channel is full (EAGAIN)", null);
            }
        } catch (ChannelException e) {
            log.warn("cannot promote spare worker process {}: {}; starting a new worker instead", spare.worker.pid,
                    e.getMessage());
            retire(spare, ChannelFrame.terminate());
            return null;
        } finally {
            posix.closeQuietly(configFd);
        }
        spares.remove(spare);
        return spare;
    }

    /** The promoted spare's process, now the worker of {@code slot}: its uptime there counts from now. */
    Worker takeOver(WorkerSlot slot, SpareWorker spare, long nowNanos) {
        log.info("start worker process {} (slot {}): spare {} promoted, {} ms after its spawn{}", spare.worker.pid,
                slot.slot, spare.number, TimeUnit.NANOSECONDS.toMillis(nowNanos - spare.worker.startedAtNanos),
                spare.hasSaidReady() ? "" : " (still starting)");
        Worker promoted = spare.worker.promoted(nowNanos);
        promoted.raisedFromIdle = spare.startedIdle;
        return promoted;
    }

    /**
     * The READY of a worker promoted from an idle spare: its threads are walked once more, closing the one gap of the
     * raise before PROMOTE (a thread creation already inside the kernel then, which copied the idle policy). A thread
     * that refuses now could not have been made to by any benign worker: it is logged, the worker serves on.
     */
    void confirmRaised(WorkerSlot slot) {
        Worker worker = slot.worker();
        if (worker == null || !worker.raisedFromIdle) {
            return;
        }
        worker.raisedFromIdle = false;
        String why = priority.raise(worker.pid, slot.generation.config.workerPriority());
        if (why != null) {
            log.warn("worker process {} (slot {}), a promoted spare: not every thread could be raised to worker_priority {}: {}",
                    worker.pid, slot.slot, slot.generation.config.workerPriority(), why);
        }
    }

    /**
     * The spare to promote into a slot of {@code target}: a usable one spawned for a compatible generation, a ready
     * one first, then the longest started (a starting one is still ahead of a cold spawn: the PROMOTE frame waits in
     * its channel until its init is done). Null when there is none.
     */
    SpareWorker bestFor(WorkerGeneration target) {
        return bestOf(usable(), target);
    }

    static SpareWorker bestOf(List<SpareWorker> candidates, WorkerGeneration target) {
        SpareWorker best = null;
        for (SpareWorker s : candidates) {
            if (!s.usable() || incompatibility(s.generation, target) != null) {
                continue;
            }
            if (best == null
                    || (s.hasSaidReady() && !best.hasSaidReady())
                    || (s.hasSaidReady() == best.hasSaidReady() && s.worker.startedAtNanos < best.worker.startedAtNanos)) {
                best = s;
            }
        }
        return best;
    }

    /**
     * A spare's process is gone. One that was not told to exit and died before it was ready, crashed, or could not
     * init makes the next one wait (a spare that cannot start would otherwise be restarted in a tight loop).
     */
    void exited(SpareWorker spare, Reaper.Exit exit, MasterConfiguration serving, boolean stopping, long nowNanos) {
        if (exit.status() != null && exit.status().exited() && exit.status().exitCode() == 0) {
            log.info("spare worker process {} exited with code 0", spare.worker.pid);
        } else {
            log.warn("spare worker process {} {}", spare.worker.pid, exit);
        }
        spare.worker.close(posix);
        spares.remove(spare);
        if (spare.isExiting() || stopping) {
            return;
        }
        if (!spare.hasSaidReady() || CrashAccounting.isCrash(exit.status()) || CrashAccounting.isFatal(exit.status())) {
            quickDeaths++;
            long delay = CrashAccounting.backoff(serving, quickDeaths);
            spawnDueNanos = nowNanos + delay;
            log.warn("the next spare worker starts in {} ms", TimeUnit.NANOSECONDS.toMillis(delay));
        } else {
            spawnDueNanos = 0;
        }
    }

    /**
     * Why spares started for {@code spawnedFor} cannot serve {@code target}, or null when they can: what a started
     * JVM cannot change must be equal — its JVM options and class path, its environment, its user and groups, its
     * rlimits (an unprivileged worker cannot raise them), its nice value, and the listening sockets it holds. The
     * rest of the configuration travels with PROMOTE.
     */
    static String incompatibility(WorkerGeneration spawnedFor, WorkerGeneration target) {
        if (spawnedFor == target) {
            return null;
        }
        MasterConfiguration a = spawnedFor.config;
        MasterConfiguration b = target.config;
        if (!a.workerJvmOptions().equals(b.workerJvmOptions())) {
            return "worker_jvm_options changed";
        }
        if (!a.workerClassPath().equals(b.workerClassPath())) {
            return "worker_class_path changed";
        }
        if (!a.workerEnvironment().equals(b.workerEnvironment())) {
            return "env changed";
        }
        if (!sameUser(spawnedFor.workerUser, target.workerUser)) {
            return "user changed";
        }
        if (!a.workerRlimitNofile().equals(b.workerRlimitNofile())) {
            return "worker_rlimit_nofile changed";
        }
        if (!a.workerRlimitCore().equals(b.workerRlimitCore())) {
            return "worker_rlimit_core changed";
        }
        if (a.workerPriority() != b.workerPriority()) {
            return "worker_priority changed";
        }
        if (!spawnedFor.listenerFds.equals(target.listenerFds) || !a.listen().equals(b.listen())) {
            return "listen changed";
        }
        return null;
    }

    private static boolean sameUser(UserInfo a, UserInfo b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.uid() == b.uid() && a.gid() == b.gid() && Arrays.equals(sorted(a.groups()), sorted(b.groups()))
                && Objects.equals(a.name(), b.name());
    }

    private static int[] sorted(int[] groups) {
        int[] copy = groups == null ? new int[0] : groups.clone();
        Arrays.sort(copy);
        return copy;
    }
}
