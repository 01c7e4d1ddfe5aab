package io.masterwork.posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.function.IntConsumer;

import jnr.ffi.Pointer;

/** Process identity, waiting, signals to others, scheduling, limits and credentials. */
final class ProcessSupport {
    private static final long SYS_GETPRIORITY = 140;
    private static final long SYS_GETTID = 186;
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int PR_GET_NO_NEW_PRIVS = 39;
    /** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
    private static final int CAPABILITY_VERSION_3 = 0x20080522;
    private static final int PRIO_PROCESS = 0;
    private static final int WNOHANG = 1;
    /** 1024 CPUs, glibc's cpu_set_t. */
    private static final int CPU_SET_BYTES = 128;

    private final Native nat;

    ProcessSupport(Native nat) {
        this.nat = nat;
    }

    void kill(int pid, Signal signal) {
        if (nat.libc.kill(pid, signal.number) < 0) {
            throw nat.failure("kill", "pid " + pid + ", " + signal.fullName());
        }
    }

    boolean isAlive(int pid) {
        if (pid <= 0) {
            throw new IllegalArgumentException("isAlive: not a single process id: " + pid);
        }
        if (nat.libc.kill(pid, 0) == 0) {
            return true;
        }
        int errno = nat.errno();
        if (errno == Errno.EPERM) {
            return true;
        }
        if (errno == Errno.ESRCH) {
            return false;
        }
        throw nat.failure("kill", errno, "pid " + pid + ", signal 0");
    }

    WaitStatus waitpid(int pid, boolean noHang) {
        if (pid <= 0) {
            // -1, 0 and process groups would reap the JDK's own children (ProcessBuilder) too.
            throw new IllegalArgumentException("waitpid: only a single child pid may be waited for, not " + pid);
        }
        int[] status = new int[1];
        while (true) {
            int result = nat.libc.waitpid(pid, status, noHang ? WNOHANG : 0);
            if (result == pid) {
                return new WaitStatus(pid, status[0]);
            }
            if (result == 0) {
                return null;
            }
            int errno = nat.errno();
            if (errno != Errno.EINTR) {
                throw nat.failure("waitpid", errno, "pid " + pid);
            }
        }
    }

    int gettid() {
        return (int) nat.libc.syscall(SYS_GETTID);
    }

    void setPriority(int tid, int nice) {
        if (nat.libc.setpriority(PRIO_PROCESS, tid, nice) < 0) {
            throw nat.failure("setpriority", (tid == 0 ? "calling thread" : "tid " + tid) + " to " + nice);
        }
    }

    /**
     * The raw system call answers 20 - nice (1..40), never negative on success, unlike glibc's
     * getpriority whose -1 is both "nice -1" and "error".
     */
    int getPriority(int tid) {
        long raw = nat.libc.syscall(SYS_GETPRIORITY, PRIO_PROCESS, tid);
        if (raw < 0) {
            throw nat.failure("getpriority", tid == 0 ? "calling thread" : "tid " + tid);
        }
        return 20 - (int) raw;
    }

    /** sched_setscheduler with sched_priority 0, the only one the time-shared policies take. The nice value stays. */
    void setScheduler(int tid, SchedulingPolicy policy) {
        Pointer param = nat.allocate(4);
        param.putInt(0, 0);
        if (nat.libc.sched_setscheduler(tid, policy.value, param) < 0) {
            throw nat.failure("sched_setscheduler", (tid == 0 ? "calling thread" : "tid " + tid) + " to SCHED_" + policy);
        }
    }

    SchedulingPolicy getScheduler(int tid) {
        int policy = nat.libc.sched_getscheduler(tid);
        if (policy < 0) {
            throw nat.failure("sched_getscheduler", tid == 0 ? "calling thread" : "tid " + tid);
        }
        return SchedulingPolicy.of(policy);
    }

    /** The thread ids /proc/pid/task lists now (0: this process). */
    List<Integer> threads(int pid) {
        if (pid < 0) {
            throw new IllegalArgumentException("not a process id: " + pid);
        }
        Path tasks = Path.of("/proc", pid == 0 ? "self" : Integer.toString(pid), "task");
        List<Integer> tids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(tasks)) {
            for (Path entry : entries) {
                tids.add(Integer.parseInt(entry.getFileName().toString()));
            }
        } catch (NoSuchFileException e) {
            throw nat.failure("opendir", Errno.ESRCH, tasks + ": no such process");
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + tasks, e);
        }
        return tids;
    }

    Rlimit getrlimit(Resource resource) {
        Pointer limit = nat.allocate(16);
        if (nat.libc.getrlimit(resource.value, limit) < 0) {
            throw nat.failure("getrlimit", resource.name());
        }
        return new Rlimit(limit.getLong(0), limit.getLong(8));
    }

    void setrlimit(Resource resource, Rlimit value) {
        Pointer limit = nat.allocate(16);
        limit.putLong(0, value.soft());
        limit.putLong(8, value.hard());
        if (nat.libc.setrlimit(resource.value, limit) < 0) {
            throw nat.failure("setrlimit", resource.name() + " to " + value);
        }
    }

    void setAffinity(int tid, BitSet cpus) {
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("sched_setaffinity: empty CPU set");
        }
        if (cpus.length() > CPU_SET_BYTES * 8) {
            throw new IllegalArgumentException("sched_setaffinity: CPU " + (cpus.length() - 1) + " beyond " + (CPU_SET_BYTES * 8 - 1));
        }
        Pointer mask = nat.allocate(CPU_SET_BYTES);
        byte[] bytes = cpus.toByteArray(); // little-endian bit order, as cpu_set_t
        mask.put(0, bytes, 0, bytes.length);
        if (nat.libc.sched_setaffinity(tid, CPU_SET_BYTES, mask) < 0) {
            throw nat.failure("sched_setaffinity", (tid == 0 ? "calling thread" : "tid " + tid) + " to CPUs " + cpus);
        }
    }

    BitSet getAffinity(int tid) {
        Pointer mask = nat.allocate(CPU_SET_BYTES);
        if (nat.libc.sched_getaffinity(tid, CPU_SET_BYTES, mask) < 0) {
            throw nat.failure("sched_getaffinity", tid == 0 ? "calling thread" : "tid " + tid);
        }
        byte[] bytes = new byte[CPU_SET_BYTES];
        mask.get(0, bytes, 0, bytes.length);
        return BitSet.valueOf(bytes);
    }

    /** Applies the action to every thread listed in /proc/pid/task; a thread gone meanwhile (ESRCH) is skipped. */
    int forAllThreads(int pid, IntConsumer action) {
        int done = 0;
        for (int tid : threads(pid)) {
            try {
                action.accept(tid);
                done++;
            } catch (PosixException e) {
                if (e.errno() != Errno.ESRCH) {
                    throw e;
                }
            }
        }
        return done;
    }

    void setuid(int uid) {
        if (nat.libc.setuid(uid) < 0) {
            throw nat.failure("setuid", "uid " + uid);
        }
    }

    void setgid(int gid) {
        if (nat.libc.setgid(gid) < 0) {
            throw nat.failure("setgid", "gid " + gid);
        }
    }

    void setgroups(int[] gids) {
        if (nat.libc.setgroups(gids.length, gids.length == 0 ? new int[1] : gids) < 0) {
            throw nat.failure("setgroups", Arrays.toString(gids));
        }
    }

    int[] getgroups() {
        int count = nat.libc.getgroups(0, new int[1]);
        if (count < 0) {
            throw nat.failure("getgroups", "count");
        }
        int[] groups = new int[Math.max(count, 1)];
        int got = nat.libc.getgroups(groups.length, groups);
        if (got < 0) {
            throw nat.failure("getgroups", "list");
        }
        return Arrays.copyOf(groups, got);
    }

    /** getgrouplist: the user's primary group first, then every supplementary group. */
    int[] groupList(String user, int primaryGid) {
        int[] count = {32};
        while (true) {
            int[] groups = new int[count[0]];
            int capacity = count[0];
            int result = nat.libc.getgrouplist(user, primaryGid, groups, count);
            if (result >= 0) {
                return Arrays.copyOf(groups, count[0]);
            }
            if (count[0] <= capacity) {
                count[0] = capacity * 2; // glibc reports the needed size; be safe if it did not
            }
        }
    }

    void setNoNewPrivileges() {
        if (nat.libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
            throw nat.failure("prctl", "PR_SET_NO_NEW_PRIVS");
        }
    }

    boolean noNewPrivileges() {
        int value = nat.libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        if (value < 0) {
            throw nat.failure("prctl", "PR_GET_NO_NEW_PRIVS");
        }
        return value == 1;
    }

    /** capget(2) of this process: [effective, permitted, inheritable], 64 bits each. */
    long[] capabilities() {
        Pointer header = nat.allocate(8);
        header.putInt(0, CAPABILITY_VERSION_3);
        header.putInt(4, 0);
        Pointer data = nat.allocate(24);
        if (nat.libc.capget(header, data) < 0) {
            throw nat.failure("capget", "");
        }
        long[] sets = new long[3];
        for (int i = 0; i < 3; i++) {
            long low = data.getInt(i * 4L) & 0xffffffffL;
            long high = data.getInt(12 + i * 4L) & 0xffffffffL;
            sets[i] = low | (high << 32);
        }
        return sets;
    }

    int pidfdOpen(int pid) {
        long fd = nat.libc.syscall(SYS_PIDFD_OPEN, pid, 0);
        if (fd < 0) {
            throw nat.failure("pidfd_open", "pid " + pid);
        }
        return (int) fd;
    }

    void pidfdSendSignal(int pidfd, Signal signal) {
        if (nat.libc.syscall(SYS_PIDFD_SEND_SIGNAL, pidfd, signal.number, 0, 0) < 0) {
            throw nat.failure("pidfd_send_signal", signal.fullName() + " through pidfd " + pidfd);
        }
    }

    void chown(String path, int uid, int gid) {
        if (nat.libc.chown(path, uid, gid) < 0) {
            throw nat.failure("chown", path + " to " + uid + ":" + gid);
        }
    }

    int setsid() {
        int sid = nat.libc.setsid();
        if (sid < 0) {
            throw nat.failure("setsid", "");
        }
        return sid;
    }

    void execve(String path, List<String> argv, List<String> environment) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("execve " + path + ": argv is empty (argv[0] is required)");
        }
        Pointer args = nat.cStringArray(argv);
        Pointer env = nat.cStringArray(environment);
        nat.libc.execve(path, args, env);
        throw nat.failure("execve", path + " " + argv);
    }
}
