package io.masterwork.master.process;

import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.UserInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The spare workers ({@code worker_spares}): worker JVMs spawned ahead of need, initialised, holding the listeners
 * and their channels but never accepting. Plain data beside the {@link ProcessTable}: a spare has no slot until the
 * master promotes it into one (PROMOTE), so siblings, {@code /_worker} and the serving count never see it.
 * A spare's {@link WorkerSlot#slot} is its own number here (0, 1, ...), not a table slot.
 */
final class SpareWorkers {
    private final List<WorkerSlot> spares = new ArrayList<>();
    /** Spares that died before they were ready, in a row: the next spare waits (as a crash-looping slot does). */
    int quickDeaths;
    /** When the next spare may be spawned, System.nanoTime(); 0 = now. */
    long spawnDueNanos;

    /** A new entry with the lowest free spare number. */
    WorkerSlot allocate() {
        int number = 0;
        while (byNumber(number) != null) {
            number++;
        }
        WorkerSlot spare = new WorkerSlot(number, true);
        spares.add(spare);
        return spare;
    }

    void release(WorkerSlot spare) {
        spares.remove(spare);
    }

    private WorkerSlot byNumber(int number) {
        for (WorkerSlot s : spares) {
            if (s.slot == number) {
                return s;
            }
        }
        return null;
    }

    /** Every spare with a process, in spare-number order. */
    List<WorkerSlot> running() {
        List<WorkerSlot> out = new ArrayList<>();
        for (WorkerSlot s : spares) {
            if (s.hasProcess()) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparingInt(s -> s.slot));
        return out;
    }

    /** Spares that can still be promoted (not told to exit, channel open). */
    List<WorkerSlot> usable() {
        List<WorkerSlot> out = new ArrayList<>();
        for (WorkerSlot s : running()) {
            if (s.state != WorkerState.EXITING && !s.channelClosed && s.channel != null) {
                out.add(s);
            }
        }
        return out;
    }

    boolean anyStarting() {
        return usable().stream().anyMatch(s -> s.state == WorkerState.STARTING);
    }

    WorkerSlot byChannelFd(int fd) {
        for (WorkerSlot s : spares) {
            if (s.channel != null && s.channel.fd() == fd) {
                return s;
            }
        }
        return null;
    }

    /**
     * The spare to promote into a slot of {@code target}: a usable one spawned for a compatible generation, a ready
     * one first, then the longest started (a starting one is still ahead of a cold spawn: the PROMOTE frame waits in
     * its channel until its init is done). Null when there is none.
     */
    WorkerSlot bestFor(WorkerGeneration target) {
        WorkerSlot best = null;
        for (WorkerSlot s : usable()) {
            if (incompatibility(s.spec, target) != null) {
                continue;
            }
            if (best == null
                    || (s.state == WorkerState.READY && best.state != WorkerState.READY)
                    || (s.state == best.state && s.startedAtNanos < best.startedAtNanos)) {
                best = s;
            }
        }
        return best;
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
