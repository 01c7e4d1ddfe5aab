package io.masterwork.worker;

import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Resource;
import io.masterwork.posix.Rlimit;
import io.masterwork.posix.Signal;
import io.masterwork.worker.log.Markers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * nginx's {@code ngx_worker_process_init}, in its order: environment, rlimits, credentials, signal
 * mask; priority and affinity were set by the master before the spawn and are verified here.
 * Anything that must hold and does not throws {@link WorkerInitException} (exit 2).
 */
final class WorkerInit {
    private static final Logger log = LoggerFactory.getLogger(WorkerInit.class);

    private final Posix posix;
    private final WorkerConfiguration config;

    WorkerInit(Posix posix, WorkerConfiguration config) {
        this.posix = posix;
        this.config = config;
    }

    void run() {
        checkEnvironment();
        setRlimit(Resource.NOFILE, "worker_rlimit_nofile", config.rlimitNofile());
        setRlimit(Resource.CORE, "worker_rlimit_core", config.rlimitCore());
        switchCredentials();
        clearSignalMask();
        reportScheduling();
    }

    /** The master built the environment (nginx's {@code env}); the notify socket must not leak in. */
    private void checkEnvironment() {
        if (System.getenv("NOTIFY_SOCKET") != null) {
            log.warn("NOTIFY_SOCKET is set in a worker's environment; it belongs to the master alone");
        }
    }

    /**
     * nginx sets soft and hard limit to the configured value; a limit this process may not raise is
     * an alert, not a failure ("setrlimit(RLIMIT_NOFILE, N) failed ... " and the worker goes on).
     */
    private void setRlimit(Resource resource, String key, OptionalLong value) {
        if (value.isEmpty()) {
            return;
        }
        long limit = value.getAsLong();
        try {
            posix.setrlimit(resource, new Rlimit(limit, limit));
            log.debug("{} = {}", key, limit);
        } catch (PosixException e) {
            log.error(Markers.ALERT, "setrlimit(RLIMIT_{}, {}) failed ({}), going on with {}",
                    resource.name(), limit == Rlimit.INFINITY ? "unlimited" : Long.toString(limit),
                    e.getMessage(), describe(posix.getrlimit(resource)));
        }
    }

    private static String describe(Rlimit limit) {
        return "soft " + (limit.soft() == Rlimit.INFINITY ? "unlimited" : limit.soft())
                + ", hard " + (limit.hard() == Rlimit.INFINITY ? "unlimited" : limit.hard());
    }

    /**
     * When the master ran as root and {@code user} applies, the master resolved it; here: setgid,
     * setgroups (nginx: initgroups), setuid — in that order, since after setuid the others are
     * refused. glibc applies each to every thread of the JVM.
     */
    private void switchCredentials() {
        OptionalInt uid = config.workerUid();
        OptionalInt gid = config.workerGid();
        if (uid.isEmpty() && gid.isEmpty()) {
            return;
        }
        int[] groups = config.workerGroups();
        try {
            if (gid.isPresent()) {
                posix.setgid(gid.getAsInt());
                posix.setgroups(groups != null ? groups : new int[] {gid.getAsInt()});
            }
            if (uid.isPresent()) {
                posix.setuid(uid.getAsInt());
            }
        } catch (PosixException e) {
            throw new WorkerInitException("cannot switch to uid " + (uid.isPresent() ? uid.getAsInt() : "-")
                    + " gid " + (gid.isPresent() ? gid.getAsInt() : "-") + ": " + e.getMessage(), e);
        }
        if (uid.isPresent() && (posix.getuid() != uid.getAsInt() || posix.geteuid() != uid.getAsInt())) {
            throw new WorkerInitException("setuid(" + uid.getAsInt() + ") did not take: uid " + posix.getuid());
        }
        log.info("running as uid {} gid {} groups {}", posix.getuid(), posix.getgid(), Arrays.toString(posix.getgroups()));
    }

    /**
     * nginx's {@code sigprocmask(SIG_SETMASK, &empty)}. The master spawns with an empty mask; this
     * makes sure, in the thread that goes on to create the event loop (threads inherit it).
     */
    private void clearSignalMask() {
        Set<Signal> all = EnumSet.allOf(Signal.class);
        all.remove(Signal.KILL);
        all.remove(Signal.STOP);
        posix.unblockSignals(all);
        Set<Signal> left = posix.blockedSignals();
        if (!left.isEmpty()) {
            throw new WorkerInitException("signals still blocked after clearing the mask: " + left);
        }
    }

    /** The master set nice value and CPU affinity before the spawn; say what this worker runs with. */
    private void reportScheduling() {
        int nice = posix.getPriority(0);
        BitSet cpus = posix.getAffinity(0);
        OptionalInt wanted = config.priority();
        if (wanted.isPresent() && wanted.getAsInt() != nice) {
            log.warn("worker_priority is {} but this worker runs with nice {}", wanted.getAsInt(), nice);
        }
        log.info("worker runs with nice {} on cpus {}", nice, cpus);
    }
}
