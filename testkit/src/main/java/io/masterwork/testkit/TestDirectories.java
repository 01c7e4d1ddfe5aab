package io.masterwork.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * The temporary directories the testkit makes (a master's prefix, the world-readable copy of the class path), removed
 * when the test JVM exits: a suite starts hundreds of masters, and their prefixes and class-path copies filled /tmp
 * by gigabytes. Not at {@link RunningMaster#close()}: a test may still read a closed master's logs. Run the tests
 * with {@code -Dmasterwork.testkit.keep=true} to keep them for a look after a failure.
 */
public final class TestDirectories {
    static final String KEEP_PROPERTY = "masterwork.testkit.keep";

    private static final List<Path> made = new ArrayList<>();
    private static boolean hooked;

    private TestDirectories() {
    }

    /** A new directory under the system's temporary directory, mode 755 (workers running as nobody enter it). */
    static synchronized Path create(String namePrefix) throws IOException {
        Path dir = Files.createTempDirectory(namePrefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return removedAtExit(dir);
    }

    /**
     * Removes {@code dir} and everything below it when the test JVM exits, as the testkit's own directories (unless
     * {@code -Dmasterwork.testkit.keep=true}): for a test's own temporary directories, made with the mode it needs.
     *
     * @param dir a directory the test made
     * @return {@code dir}
     */
    public static synchronized Path removedAtExit(Path dir) {
        if (!Boolean.getBoolean(KEEP_PROPERTY)) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(TestDirectories::removeAll, "testkit-directories"));
                hooked = true;
            }
            made.add(dir);
        }
        return dir;
    }

    private static synchronized void removeAll() {
        for (Path dir : made) {
            try {
                remove(dir);
            } catch (IOException | UncheckedIOException e) {
                System.err.println("testkit: could not remove " + dir + ": " + e);
            }
        }
    }

    /** Depth first; a symbolic link is removed, never followed (a worker may have left one). */
    static void remove(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
