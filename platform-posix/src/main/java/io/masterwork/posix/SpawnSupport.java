package io.masterwork.posix;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jnr.ffi.Pointer;

/**
 * posix_spawn with an exact descriptor map. The JDK opens jars and /dev/urandom without
 * O_CLOEXEC, so "close-on-exec" alone lets ~25 descriptors into every child: here the child keeps
 * 0, 1, 2 and the mapped descriptors, and the file actions close everything else.
 */
final class SpawnSupport {
    // glibc <spawn.h>
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    /** sizeof(posix_spawn_file_actions_t) is 80, sizeof(posix_spawnattr_t) 336 on x86_64 glibc. */
    private static final int SPAWN_STRUCT_BYTES = 512;
    private static final int F_DUPFD_CLOEXEC = 1030;
    /** Where colliding sources are moved to before the child's dup2s. */
    private static final int MOVED_SOURCE_MINIMUM = 100;

    private final Native nat;
    private final SignalSupport signals;

    SpawnSupport(Native nat, SignalSupport signals) {
        this.nat = nat;
        this.signals = signals;
    }

    int spawn(SpawnRequest request) {
        String path = request.path();
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("spawn: no program path");
        }
        if (request.argv().isEmpty()) {
            throw new IllegalArgumentException("spawn " + path + ": argv is empty (argv[0] is required)");
        }
        for (String entry : request.environment()) {
            if (entry == null || entry.indexOf('=') <= 0) {
                throw new IllegalArgumentException("spawn " + path + ": environment entry is not NAME=value: " + entry);
            }
        }
        Map<Integer, Integer> map = request.fdMap();
        int highestChildFd = 2;
        for (Map.Entry<Integer, Integer> e : map.entrySet()) {
            if (e.getKey() == null || e.getKey() < 0 || e.getValue() == null || e.getValue() < 0) {
                throw new IllegalArgumentException("spawn " + path + ": bad descriptor mapping parent "
                        + e.getValue() + " -> child " + e.getKey());
            }
            highestChildFd = Math.max(highestChildFd, e.getKey());
        }

        List<Integer> moved = new ArrayList<>();
        Pointer actions = nat.allocate(SPAWN_STRUCT_BYTES);
        Pointer attributes = nat.allocate(SPAWN_STRUCT_BYTES);
        boolean actionsReady = false;
        boolean attributesReady = false;
        try {
            // A source whose number is also some mapping's target would be overwritten by an earlier
            // dup2 in the child: move every such source out of the way first.
            Map<Integer, Integer> childToSource = new LinkedHashMap<>();
            for (Map.Entry<Integer, Integer> e : map.entrySet()) {
                int parentFd = e.getValue();
                int source = parentFd;
                if (map.containsKey(parentFd)) {
                    source = nat.libc.fcntl(parentFd, F_DUPFD_CLOEXEC, Math.max(MOVED_SOURCE_MINIMUM, highestChildFd + 1));
                    if (source < 0) {
                        throw nat.failure("fcntl", "F_DUPFD_CLOEXEC of fd " + parentFd + " mapped to child fd " + e.getKey());
                    }
                    moved.add(source);
                }
                childToSource.put(e.getKey(), source);
            }

            check("posix_spawn_file_actions_init", nat.libc.posix_spawn_file_actions_init(actions), path);
            actionsReady = true;
            for (Map.Entry<Integer, Integer> e : childToSource.entrySet()) {
                check("posix_spawn_file_actions_adddup2",
                        nat.libc.posix_spawn_file_actions_adddup2(actions, e.getValue(), e.getKey()),
                        "fd " + e.getValue() + " -> " + e.getKey());
            }
            // Unmapped holes below the highest mapped fd (0-2 stay inherited unless mapped).
            for (int fd = 3; fd < highestChildFd; fd++) {
                if (!map.containsKey(fd)) {
                    check("posix_spawn_file_actions_addclose", nat.libc.posix_spawn_file_actions_addclose(actions, fd), "fd " + fd);
                }
            }
            check("posix_spawn_file_actions_addclosefrom_np",
                    nat.libc.posix_spawn_file_actions_addclosefrom_np(actions, highestChildFd + 1), "from " + (highestChildFd + 1));
            if (request.workingDirectory() != null) {
                check("posix_spawn_file_actions_addchdir_np",
                        nat.libc.posix_spawn_file_actions_addchdir_np(actions, request.workingDirectory()), request.workingDirectory());
            }

            check("posix_spawnattr_init", nat.libc.posix_spawnattr_init(attributes), path);
            attributesReady = true;
            short flags = (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
            if (request.newSession()) {
                flags |= POSIX_SPAWN_SETSID;
            }
            check("posix_spawnattr_setflags", nat.libc.posix_spawnattr_setflags(attributes, flags), path);
            check("posix_spawnattr_setsigmask",
                    nat.libc.posix_spawnattr_setsigmask(attributes, signals.sigset(SignalSupport.mask(request.blockedSignals()))), path);
            check("posix_spawnattr_setsigdefault",
                    nat.libc.posix_spawnattr_setsigdefault(attributes, signals.sigset(catchableSignalsMask())), path);

            Pointer pid = nat.allocate(4);
            Pointer argv = nat.cStringArray(request.argv());
            Pointer envp = nat.cStringArray(request.environment());
            int result = path.indexOf('/') >= 0
                    ? nat.libc.posix_spawn(pid, path, actions, attributes, argv, envp)
                    : nat.libc.posix_spawnp(pid, path, actions, attributes, argv, envp);
            if (result != 0) {
                throw nat.failure(path.indexOf('/') >= 0 ? "posix_spawn" : "posix_spawnp", result,
                        path + " " + request.argv() + ", fds (child=parent) " + map);
            }
            return pid.getInt(0);
        } finally {
            if (actionsReady) {
                nat.libc.posix_spawn_file_actions_destroy(actions);
            }
            if (attributesReady) {
                nat.libc.posix_spawnattr_destroy(attributes);
            }
            for (int fd : moved) {
                nat.libc.close(fd);
            }
        }
    }

    /**
     * Every signal, 1..64, except KILL and STOP, which cannot be changed. Beyond the standard 31
     * this includes glibc's internal 32 and 33: glibc's spawn sets those to SIG_IGN in the child
     * unless they are in the default set, and SIG_IGN would survive the exec.
     */
    private static long catchableSignalsMask() {
        long mask = 0;
        for (int signal = 1; signal <= 64; signal++) {
            if (signal != Signal.KILL.number && signal != Signal.STOP.number) {
                mask |= 1L << (signal - 1);
            }
        }
        return mask;
    }

    private void check(String call, int result, String detail) {
        if (result != 0) {
            throw nat.failure(call, result, detail);
        }
    }
}
