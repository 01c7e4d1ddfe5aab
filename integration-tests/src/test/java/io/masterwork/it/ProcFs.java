package io.masterwork.it;

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
final class ProcFs {
    private ProcFs() {
    }

    static boolean exists(int pid) {
        return Files.exists(Path.of("/proc/" + pid + "/stat")) && !isZombie(pid);
    }

    static boolean isZombie(int pid) {
        String stat = read(pid, "stat");
        return stat != null && stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    }

    static int parentOf(int pid) {
        String stat = read(pid, "stat");
        if (stat == null) {
            return -1;
        }
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[1]);
    }

    /** Every live (non-zombie) process whose parent is {@code pid}. */
    static List<Integer> children(int pid) {
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
    static String cmdline(int pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            return new String(b, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** fd number -> link target ("socket:[123]", "/path", "anon_inode:[signalfd]"...). */
    static Map<Integer, String> fds(int pid) {
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

    static List<Integer> tasks(int pid) {
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/task"))) {
            s.map(p -> Integer.parseInt(p.getFileName().toString())).sorted().forEach(out::add);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** A "Key:" line of /proc/pid/status (or /proc/pid/task/tid/status), value trimmed. */
    static String status(String procPath, String key) {
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
    static int nice(int pid, int tid) {
        String stat = read(pid, "task/" + tid + "/stat");
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(f[19 - 3]);
    }

    static String read(int pid, String name) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/" + name));
        } catch (IOException e) {
            return null;
        }
    }
}
