package io.masterwork.master.archive;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A JDK of at least a given feature release installed beside the one running the tests (the AOT cache needs 25;
 * the build runs on 17): {@code -Dmasterwork.jdk25=<home>}, else the first under /usr/lib/jvm whose {@code release}
 * file says so. Tests that need one skip, naming this, when there is none.
 */
public final class InstalledJdks {
    private InstalledJdks() {
    }

    /** The home of a JDK {@code feature} or later, other than the running one; empty when none is installed. */
    public static Optional<Path> atLeast(int feature) {
        String named = System.getProperty("masterwork.jdk25");
        if (named != null && !named.isEmpty()) {
            return Optional.of(Path.of(named));
        }
        Path running = Path.of(System.getProperty("java.home"));
        try (DirectoryStream<Path> homes = Files.newDirectoryStream(Path.of("/usr/lib/jvm"))) {
            for (Path home : homes) {
                if (!home.toRealPath().equals(running.toRealPath()) && Files.isExecutable(home.resolve("bin/java"))
                        && featureOf(home) >= feature) {
                    return Optional.of(home.toRealPath());
                }
            }
        } catch (IOException none) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The feature release of the JDK at {@code home}, from its release file; 0 when it does not say. */
    static int featureOf(Path home) {
        try {
            for (String line : Files.readAllLines(home.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    return Runtime.Version.parse(line.substring("JAVA_VERSION=".length()).replace("\"", "")).feature();
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            return 0;
        }
        return 0;
    }
}
