package io.masterwork.channel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Counts this process's sockets from /proc/self/fd, independently of the code under test. Only sockets: what a channel
 * can leak is a socket (its own, or one that came with a frame), while the JVM opens and closes files of its own on
 * other threads at any moment (a C1 compiler thread reads the cgroup's memory.limit_in_bytes and memory.stat when it
 * weighs starting another compiler thread), which once made a count taken at such a moment one higher than the next.
 */
final class OpenDescriptors {
    private OpenDescriptors() {
    }

    /** fd number -> what it points at, for a message that says which descriptor leaked or vanished. */
    static java.util.SortedMap<Integer, String> list() {
        java.util.SortedMap<Integer, String> all = new java.util.TreeMap<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException gone) {
                    target = "(gone: the listing's own descriptor)";
                }
                all.put(Integer.parseInt(fd.getFileName().toString()), target);
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    /**
     * Lets the JVM close what it already dropped: a stream something left unclosed (jnr-ffi's native
     * library loading does) is closed by its Cleaner at the next GC, which would otherwise land in the
     * middle of a measurement and look like a descriptor closed twice.
     */
    static void settle() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * How many sockets this process holds, read until two readings 20 ms apart agree: a single reading can
     * land while another thread of the JVM holds a descriptor for a moment (a jar opened to load a class, say).
     */
    static long count() {
        long previous = reading();
        for (int i = 0; i < 250; i++) {
            pause(20);
            long now = reading();
            if (now == previous) {
                return now;
            }
            previous = now;
        }
        throw new AssertionError("this process's socket count did not settle within 5 s: " + list());
    }

    private static long reading() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(OpenDescriptors::isSocket).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isSocket(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        } catch (IOException gone) {
            return false; // closed since the listing (the listing's own directory descriptor, say): not a socket
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
