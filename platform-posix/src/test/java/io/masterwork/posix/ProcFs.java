package io.masterwork.posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Reads what the kernel says about a process. */
final class ProcFs {
    private ProcFs() {
    }

    static TreeSet<Integer> descriptors(int pid) {
        TreeSet<Integer> fds = new TreeSet<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : s) {
                fds.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fds;
    }

    static String link(int pid, int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The "flags:" of /proc/pid/fdinfo/fd, octal. */
    static int fdFlags(int pid, int fd) {
        return Integer.parseInt(field(Path.of("/proc/" + pid + "/fdinfo/" + fd), "flags"), 8);
    }

    static String field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException(name + " not in " + file);
    }

    static String status(int pid, String name) {
        return field(Path.of("/proc/" + pid + "/status"), name);
    }

    static List<String> taskStatus(int pid, String name) {
        List<String> values = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : s) {
                values.add(field(task.resolve("status"), name));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return values;
    }

    /** Fields of /proc/pid/stat after "pid (comm)": index 0 is the state (field 3 of proc(5)). */
    static String[] stat(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(String path) {
        try {
            return Files.readString(Path.of(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
