package io.masterwork.master.process;

import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.Errno;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Resource;
import io.masterwork.posix.SchedulingPolicy;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU priority of spare workers ({@code worker_spare_priority}). A spare's JVM starts at SCHED_IDLE, so that
 * its start and its idling never take CPU time a serving worker wants, and its promotion first raises every thread
 * of it to SCHED_OTHER at {@code worker_priority}, before PROMOTE tells it to accept.
 *
 * <p>SCHED_IDLE rather than nice 19: a nice-19 thread still weighs 15 against a nice-0 thread's 1024 and is
 * scheduled beside it; a SCHED_IDLE thread weighs 3, is preempted by any waking SCHED_OTHER thread, and the
 * scheduler places wakeups on CPUs that run only idle-policy threads as if those CPUs were free. Leaving either
 * needs the same right (CAP_SYS_NICE, or an RLIMIT_NICE of at least 20 - worker_priority): a master without it
 * starts spares at normal priority, since a promoted worker must never serve at idle priority.
 */
final class SparePriority {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /**
     * Readings of /proc/pid/task one raise may take. A JVM creates threads at any time and a compromised worker could
     * create them on purpose to keep the master walking: past this bound the spare is not promoted.
     */
    static final int MAX_READINGS = 16;
    /** Threads one raise may set (a worker's JVM has ~20-40): a process beyond it is not promoted. */
    static final int MAX_THREADS = 4096;

    private final Posix posix;
    /** The worker_priority the last probe was for, and its verdict: null = this master may raise spares to it. */
    private Integer probedNice;
    private String cannotRaise;
    private String explained;

    SparePriority(Posix posix) {
        this.posix = posix;
    }

    /**
     * Whether spares of {@code config} start at SCHED_IDLE: {@code worker_spare_priority = idle} and this master may
     * raise a thread from SCHED_IDLE to SCHED_OTHER at {@code worker_priority}. Why not is logged once.
     */
    boolean startIdle(MasterConfiguration config) {
        if (!config.workerSparesIdle()) {
            return false;
        }
        int nice = config.workerPriority();
        if (probedNice == null || probedNice != nice) {
            cannotRaise = probe(nice);
            probedNice = nice;
        }
        if (cannotRaise != null && !cannotRaise.equals(explained)) {
            log.warn("spare workers start at normal priority, not idle (worker_spare_priority): {}", cannotRaise);
            explained = cannotRaise;
        }
        return cannotRaise == null;
    }

    /**
     * Tries on a throwaway thread of the master what a promotion does to a spare's threads: nice {@code nice},
     * SCHED_IDLE, then back to SCHED_OTHER. The kernel judges it by the caller's CAP_SYS_NICE and the target's
     * RLIMIT_NICE, and a spare inherits the master's limits. Null when it worked, else why not.
     */
    private String probe(int nice) {
        AtomicReference<String> verdict = new AtomicReference<>();
        Thread probe = new Thread(() -> verdict.set(tryIdleAndBack(nice)), "masterwork-spare-priority-probe");
        probe.start();
        try {
            probe.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted while probing";
        }
        return verdict.get();
    }

    private String tryIdleAndBack(int nice) {
        try {
            if (posix.getPriority(0) != nice) {
                posix.setPriority(0, nice);
            }
        } catch (PosixException e) {
            return "worker_priority " + nice + " cannot be set (" + e.getMessage() + ")";
        }
        try {
            posix.setScheduler(0, SchedulingPolicy.IDLE);
        } catch (PosixException e) {
            return "SCHED_IDLE is unavailable (" + e.getMessage() + ")";
        }
        try {
            posix.setScheduler(0, SchedulingPolicy.OTHER);
            return null;
        } catch (PosixException e) {
            return "raising a thread from SCHED_IDLE to worker_priority " + nice + " needs CAP_SYS_NICE or an RLIMIT_NICE of "
                    + (20 - nice) + " or more (this master's is " + niceLimit() + ")";
        }
    }

    private String niceLimit() {
        try {
            return Long.toString(posix.getrlimit(Resource.NICE).soft());
        } catch (PosixException e) {
            return "unknown";
        }
    }

    /**
     * Every thread of process {@code pid} to SCHED_OTHER at nice {@code nice}. Linux keeps policy and nice per
     * thread, so /proc/pid/task is read again after each round until a reading shows no thread that was not raised:
     * at that moment every thread of the process is raised. A thread created later is raised too, as a new thread
     * starts with its creator's policy and nice value and every possible creator is raised. (A creation already
     * inside the kernel when its creator was raised, copying the old policy, and not yet listed at that last reading
     * is the one gap; it takes microseconds, and {@link SpareWorkers#confirmRaised} walks again at the READY.)
     * A thread that ended meanwhile is skipped. Null when done, else why not: the process is gone, a thread refused
     * (EPERM: its RLIMIT_NICE lowered, say), or its threads did not settle within the bounds.
     */
    String raise(int pid, int nice) {
        Set<Integer> raised = new HashSet<>();
        try {
            for (int reading = 0; reading < MAX_READINGS; reading++) {
                List<Integer> threads = posix.threads(pid);
                boolean newThreads = false;
                for (int tid : threads) {
                    if (!raised.add(tid)) {
                        continue;
                    }
                    newThreads = true;
                    if (raised.size() > MAX_THREADS) {
                        return "more than " + MAX_THREADS + " threads";
                    }
                    raiseThread(tid, nice);
                }
                if (!newThreads) {
                    return null;
                }
            }
        } catch (PosixException e) {
            return e.getMessage();
        }
        return "its threads did not settle: " + MAX_READINGS + " readings of /proc/" + pid + "/task each found new ones";
    }

    private void raiseThread(int tid, int nice) {
        try {
            posix.setScheduler(tid, SchedulingPolicy.OTHER);
            if (posix.getPriority(tid) != nice) {
                posix.setPriority(tid, nice);
            }
        } catch (PosixException e) {
            if (e.errno() != Errno.ESRCH) { // ESRCH: the thread ended, nothing left to raise
                throw e;
            }
        }
    }
}
