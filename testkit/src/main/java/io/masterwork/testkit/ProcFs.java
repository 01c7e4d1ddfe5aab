package io.masterwork.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What an operator reads from /proc about a process. */
public final class ProcFs {
    private ProcFs() {
    }

    public static boolean exists(int pid) {
        return Files.exists(Path.of("/proc/" + pid + "/stat")) && !isZombie(pid);
    }

    public static boolean isZombie(int pid) {
        String stat = read(pid, "stat");
        return stat != null && stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    }

    public static int parentOf(int pid) {
        String stat = read(pid, "stat");
        if (stat == null) {
            return -1;
        }
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[1]);
    }

    /** Every live (non-zombie) process whose parent is {@code pid}. */
    public static List<Integer> children(int pid) {
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
                    .mapToInt(Integer::parseInt)
                    .filter(p -> parentOf(p) == pid && !isZombie(p))
                    .sorted().forEach(out::add);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** /proc/pid/cmdline with NULs as spaces, trailing space trimmed. */
    public static String cmdline(int pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            return new String(b, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** fd number -> link target ("socket:[123]", "/path", "anon_inode:[signalfd]"...). */
    public static Map<Integer, String> fds(int pid) {
        Map<Integer, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            s.forEach(p -> {
                try {
                    out.put(Integer.parseInt(p.getFileName().toString()), Files.readSymbolicLink(p).toString());
                } catch (IOException ignored) {
                    // closed while listing
                }
            });
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /**
     * How many descriptors {@code pid} holds, read until two readings 20 ms apart agree: one reading can land in
     * the middle of something the process opens and closes at once (a /proc listing, a class loaded from a jar).
     */
    public static int settledFdCount(int pid) {
        int previous = fds(pid).size();
        for (int i = 0; i < 250; i++) {
            pause(20);
            int now = fds(pid).size();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("the descriptor count of process " + pid + " did not settle within 5 s");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static List<Integer> tasks(int pid) {
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            s.map(p -> Integer.parseInt(p.getFileName().toString())).sorted().forEach(out::add);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** A "Key:" line of /proc/pid/status (or /proc/pid/task/tid/status), value trimmed. */
    public static String status(String procPath, String key) {
        try {
            for (String line : Files.readAllLines(Path.of(procPath, "status"))) {
                if (line.startsWith(key + ":")) {
                    return line.substring(key.length() + 1).trim();
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** The nice value of one thread (field 19 of its stat). */
    public static int nice(int pid, int tid) {
        String stat = read(pid, "task/" + tid + "/stat");
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[19 - 3]);
    }

    /**
     * The scheduling policy of one thread (field 41 of its stat: 0 SCHED_OTHER, 5 SCHED_IDLE), or -1 when the thread
     * has ended.
     */
    public static int policy(int pid, int tid) {
        String stat = read(pid, "task/" + tid + "/stat");
        if (stat == null) {
            return -1;
        }
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[41 - 3]);
    }

    /**
     * The remote ports of the established TCP connections {@code pid} holds whose local port is {@code localPort}:
     * which clients of a server port this process is serving ({@code /proc/<pid>/fd} socket inodes matched in
     * {@code /proc/<pid>/net/tcp} and {@code tcp6}). A connection still in the listen queue has no owner yet.
     */
    public static java.util.Set<Integer> tcpPeerPorts(int pid, int localPort) {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        for (String target : fds(pid).values()) {
            if (target.startsWith("socket:[")) {
                inodes.add(target.substring(8, target.length() - 1));
            }
        }
        java.util.Set<Integer> out = new java.util.TreeSet<>();
        for (String table : List.of("net/tcp", "net/tcp6")) {
            String text = read(pid, table);
            if (text == null) {
                continue;
            }
            for (String line : text.lines().skip(1).toList()) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("01") && inodes.contains(f[9]) && hexPort(f[1]) == localPort) {
                    out.add(hexPort(f[2]));
                }
            }
        }
        return out;
    }

    private static int hexPort(String address) {
        return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1), 16);
    }

    /** When {@code pid} started, in ms since boot (field 22 of its stat; clock ticks of 10 ms): the kernel's, not a poll's. */
    public static long startMillis(int pid) {
        String stat = read(pid, "stat");
        if (stat == null) {
            return -1;
        }
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[22 - 3]) * 1000 / CLOCK_TICKS_PER_SECOND;
    }

    /** ms since boot now, on the clock of {@link #startMillis} (/proc/uptime, 10 ms resolution). */
    public static long uptimeMillis() {
        try {
            String uptime = Files.readAllLines(Path.of("/proc/uptime")).get(0).split(" ")[0];
            return Math.round(Double.parseDouble(uptime) * 1000);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** USER_HZ, the unit of /proc's process times: 100 on every Linux architecture masterwork runs on. */
    public static final long CLOCK_TICKS_PER_SECOND = 100;

    public static String read(int pid, String name) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/" + name));
        } catch (IOException e) {
            return null;
        }
    }
}
