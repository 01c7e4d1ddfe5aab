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
     * setgroups (nginx: initgroups, resolved by the master: the group named in {@code user} and the groups
     * that list the user, not the user's passwd group), setuid — in that order, since after setuid the
     * others are refused. glibc applies each to every thread of the JVM. Then what was asked is verified
     * from the kernel's side (gid, groups, no capability left), and no_new_privs is set: nothing this worker
     * executes can gain privileges again (a setuid binary, file capabilities).
     */
    void switchCredentials() {
        OptionalInt uid = config.workerUid();
        OptionalInt gid = config.workerGid();
        if (uid.isPresent() || gid.isPresent()) {
            int[] groups = config.workerGroups() != null ? config.workerGroups()
                    : gid.isPresent() ? new int[] {gid.getAsInt()} : null;
            try {
                if (gid.isPresent()) {
                    posix.setgid(gid.getAsInt());
                    posix.setgroups(groups);
                }
                if (uid.isPresent()) {
                    posix.setuid(uid.getAsInt());
                }
            } catch (PosixException e) {
                throw new WorkerInitException("cannot switch to uid " + (uid.isPresent() ? uid.getAsInt() : "-")
                        + " gid " + (gid.isPresent() ? gid.getAsInt() : "-") + ": " + e.getMessage(), e);
            }
            verifyCredentials(uid, gid, groups);
            log.info("running as uid {} gid {} groups {}", posix.getuid(), posix.getgid(), Arrays.toString(posix.getgroups()));
        }
        try {
            posix.setNoNewPrivileges();
        } catch (PosixException e) {
            throw new WorkerInitException("cannot set no_new_privs: " + e.getMessage(), e);
        }
        if (!posix.noNewPrivileges()) {
            throw new WorkerInitException("no_new_privs did not take");
        }
    }

    private void verifyCredentials(OptionalInt uid, OptionalInt gid, int[] groups) {
        if (uid.isPresent() && (posix.getuid() != uid.getAsInt() || posix.geteuid() != uid.getAsInt())) {
            throw new WorkerInitException("setuid(" + uid.getAsInt() + ") did not take: uid " + posix.getuid());
        }
        if (gid.isPresent() && posix.getgid() != gid.getAsInt()) {
            throw new WorkerInitException("setgid(" + gid.getAsInt() + ") did not take: gid " + posix.getgid());
        }
        if (groups != null) {
            int[] want = Arrays.stream(groups).distinct().sorted().toArray();
            int[] have = Arrays.stream(posix.getgroups()).distinct().sorted().toArray();
            if (!Arrays.equals(want, have)) {
                throw new WorkerInitException("setgroups(" + Arrays.toString(want) + ") did not take: groups "
                        + Arrays.toString(have));
            }
        }
        if (uid.isPresent() && uid.getAsInt() != 0) {
            long[] capabilities = posix.capabilities();
            if (capabilities[0] != 0 || capabilities[1] != 0) {
                throw new WorkerInitException("capabilities left after dropping to uid " + uid.getAsInt()
                        + ": effective " + Long.toHexString(capabilities[0]) + ", permitted " + Long.toHexString(capabilities[1]));
            }
        }
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
