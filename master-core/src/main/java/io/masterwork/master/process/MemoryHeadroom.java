package io.masterwork.master.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The memory this process may still use, for {@code worker_spares = auto}: the kernel's MemAvailable, or less when
 * the process's cgroup v2 — or one of its ancestors — sets {@code memory.max}: there the room left is
 * {@code memory.max - memory.current}, and the tightest one counts (a container's limit is usually its cgroup's, not
 * the machine's). Read from the files the kernel gives (/proc/meminfo, /proc/self/cgroup, /sys/fs/cgroup), under a
 * root that is "/" except in tests.
 */
public final class MemoryHeadroom {
    /**
     * A test hook: a directory that stands for "/" when these files are read (proc/meminfo, proc/self/cgroup,
     * sys/fs/cgroup/...), so that an integration test can give a real master little memory without a cgroup of its own.
     */
    public static final String ROOT_PROPERTY = "masterwork.test.memory-root";

    /** What was read: the bytes available and where they come from ("MemAvailable", or the cgroup's limit). */
    public record Reading(long bytes, String source) {
    }

    private final Path root;

    MemoryHeadroom(Path root) {
        this.root = root;
    }

    /** The real files, or those under {@link #ROOT_PROPERTY} when it is set. */
    public static MemoryHeadroom ofThisProcess() {
        String root = System.getProperty(ROOT_PROPERTY);
        return new MemoryHeadroom(Path.of(root == null || root.isEmpty() ? "/" : root));
    }

    /** The smaller of MemAvailable and the tightest cgroup's room; null when not even MemAvailable can be read. */
    public Reading read() {
        Long memAvailable = memAvailable();
        Reading best = memAvailable == null ? null : new Reading(memAvailable, "MemAvailable");
        Reading cgroup = cgroupRoom();
        if (cgroup != null && (best == null || cgroup.bytes() < best.bytes())) {
            best = cgroup;
        }
        return best;
    }

    private Long memAvailable() {
        try {
            for (String line : Files.readAllLines(root.resolve("proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * 1024; // the kernel writes kB
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a kernel older than 3.14: no reading
        }
        return null;
    }

    /** The least room left under a memory.max of this process's cgroup v2 or its ancestors; null when none is set. */
    private Reading cgroupRoom() {
        Path mount = cgroup2Mount();
        String own = ownCgroup();
        if (mount == null || own == null) {
            return null;
        }
        Reading tightest = null;
        Path dir = mount.resolve(own.startsWith("/") ? own.substring(1) : own).normalize();
        while (dir.startsWith(mount)) {
            Long max = number(dir.resolve("memory.max"));
            if (max != null) {
                Long current = number(dir.resolve("memory.current"));
                long room = Math.max(0, max - (current == null ? 0 : current));
                if (tightest == null || room < tightest.bytes()) {
                    String name = "/" + mount.relativize(dir);
                    tightest = new Reading(room, "cgroup " + name + "'s memory.max " + (max >> 20)
                            + " MiB less its memory.current " + ((current == null ? 0 : current) >> 20) + " MiB");
                }
            }
            if (dir.equals(mount)) {
                break;
            }
            dir = dir.getParent();
        }
        return tightest;
    }

    /** Where the cgroup v2 hierarchy is mounted: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system. */
    private Path cgroup2Mount() {
        for (String candidate : List.of("sys/fs/cgroup", "sys/fs/cgroup/unified")) {
            Path dir = root.resolve(candidate);
            if (Files.exists(dir.resolve("cgroup.controllers"))) {
                return dir;
            }
        }
        return null;
    }

    /** This process's cgroup v2 path ("0::/system.slice/x.service"), or null. */
    private String ownCgroup() {
        try {
            for (String line : Files.readAllLines(root.resolve("proc/self/cgroup"))) {
                if (line.startsWith("0::")) {
                    return line.substring(3).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // no cgroup v2 here
        }
        return null;
    }

    /** A cgroup file's number; null when it is absent, unreadable or "max" (no limit). */
    private static Long number(Path file) {
        try {
            String text = Files.readString(file).trim();
            return text.equals("max") ? null : Long.parseLong(text);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
