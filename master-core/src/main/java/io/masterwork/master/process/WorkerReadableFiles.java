package io.masterwork.master.process;

import io.masterwork.master.archive.ClassArchives;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.UserInfo;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a worker that dropped to its user must be able to read before the master spawns one: the JDK, the class
 * path (the master's own and {@code worker_class_path}), the class-data archive and the native libraries named
 * by the worker's JVM flags, and the prefix (its working directory) with the directories of its logs. A clone
 * under a 0700 home directory would otherwise give workers that exit 2 with a JVM error; this names the path.
 * Judged from the mode bits, owner and group of every directory on the way (ACLs are not read).
 */
public final class WorkerReadableFiles {
    private WorkerReadableFiles() {
    }

    /** Throws IllegalStateException naming the first path {@code user} cannot reach; nothing to check for null. */
    public static void check(UserInfo user, MasterConfiguration config) {
        if (user == null || user.uid() == 0) {
            return;
        }
        for (Map.Entry<Path, String> needed : needed(config).entrySet()) {
            String denied = denied(user, needed.getKey());
            if (denied != null) {
                throw new IllegalStateException("workers run as user " + user.name() + " (uid " + user.uid() + ", gid "
                        + user.gid() + ") and cannot read " + needed.getKey() + " (" + needed.getValue() + "): " + denied
                        + "; make it readable by that user, move the files, or set \"user\"");
            }
        }
    }

    /** Every path, with what it is for a message. */
    static Map<Path, String> needed(MasterConfiguration config) {
        Map<Path, String> paths = new LinkedHashMap<>();
        String javaHome = System.getProperty("java.home");
        paths.put(Path.of(javaHome, "bin", "java"), "the JDK");
        paths.put(Path.of(javaHome, "lib", "modules"), "the JDK");
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (entry.endsWith("*")) {
                addDirectoryAndFiles(paths, Path.of(entry.substring(0, entry.length() - 1)).toAbsolutePath().normalize(),
                        "the class path");
            } else if (!entry.isEmpty()) {
                paths.putIfAbsent(Path.of(entry).toAbsolutePath().normalize(), "the class path");
            }
        }
        for (Path p : config.workerClassPath()) {
            paths.putIfAbsent(p.toAbsolutePath().normalize(), "worker_class_path");
        }
        ClassArchives.ofThisDistribution().map(ClassArchives::workerArchive).filter(ClassArchives::exists)
                .ifPresent(archive -> paths.putIfAbsent(archive, "a class-data archive"));
        List<String> flags = new ArrayList<>(Spawner.DEFAULT_WORKER_JVM_FLAGS);
        flags.addAll(config.workerJvmOptions());
        for (String flag : flags) {
            for (String archiveOption : List.of("-XX:SharedArchiveFile=", "-XX:AOTCache=")) {
                value(flag, archiveOption).ifPresent(v -> Arrays.stream(v.split(File.pathSeparator))
                        .forEach(a -> paths.putIfAbsent(Path.of(a).toAbsolutePath().normalize(), "a class-data archive")));
            }
            for (String property : List.of("-Djffi.boot.library.path=", "-Djava.library.path=")) {
                value(flag, property).ifPresent(v -> Arrays.stream(v.split(File.pathSeparator)).filter(s -> !s.isEmpty())
                        .forEach(d -> addDirectoryAndFiles(paths, Path.of(d).toAbsolutePath().normalize(), "the native libraries")));
            }
        }
        paths.putIfAbsent(config.prefix().toAbsolutePath().normalize(), "the prefix, the workers' working directory");
        paths.putIfAbsent(config.errorLog().toAbsolutePath().normalize().getParent(), "the error log's directory");
        return paths;
    }

    private static Optional<String> value(String flag, String name) {
        return flag.startsWith(name) ? Optional.of(flag.substring(name.length())) : Optional.empty();
    }

    private static void addDirectoryAndFiles(Map<Path, String> paths, Path dir, String what) {
        if (!Files.isDirectory(dir) || dir.startsWith(Path.of(System.getProperty("java.home")))) {
            return;
        }
        paths.putIfAbsent(dir, what);
        try (var files = Files.list(dir)) {
            files.filter(Files::isRegularFile).forEach(f -> paths.putIfAbsent(f, what));
        } catch (IOException e) {
            // unreadable to the master too: the directory itself is judged
        }
    }

    /** Why {@code user} cannot read {@code path} (or search its way to it), or null when it can or it does not exist. */
    static String denied(UserInfo user, Path path) {
        if (!Files.exists(path)) {
            return null;
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            return null;
        }
        List<Path> chain = new ArrayList<>();
        for (Path p = real.getParent(); p != null; p = p.getParent()) {
            chain.add(0, p);
        }
        for (Path dir : chain) {
            if (!allowed(user, dir, 1)) {
                return describe(dir) + ", which user " + user.name() + " may not enter";
            }
        }
        boolean directory = Files.isDirectory(real);
        if (!allowed(user, real, directory ? 5 : 4)) {
            return describe(real) + (real.equals(path) ? "" : " (" + path + " leads there)");
        }
        return null;
    }

    /** Whether the owner, group or other bits that apply to {@code user} hold all of {@code wanted} (4 r, 1 x). */
    private static boolean allowed(UserInfo user, Path p, int wanted) {
        int mode;
        int uid;
        int gid;
        try {
            mode = (Integer) Files.getAttribute(p, "unix:mode");
            uid = (Integer) Files.getAttribute(p, "unix:uid");
            gid = (Integer) Files.getAttribute(p, "unix:gid");
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
        int bits;
        if (uid == user.uid()) {
            bits = (mode >> 6) & 7;
        } else if (gid == user.gid() || Arrays.stream(user.groups()).anyMatch(g -> g == gid)) {
            bits = (mode >> 3) & 7;
        } else {
            bits = mode & 7;
        }
        return (bits & wanted) == wanted;
    }

    private static String describe(Path p) {
        try {
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            return p + " is " + java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(p)) + " (0" + Integer.toOctalString(mode & 07777) + ") owned by "
                    + Files.getOwner(p).getName() + ":" + Files.readAttributes(p,
                    java.nio.file.attribute.PosixFileAttributes.class).group().getName();
        } catch (IOException e) {
            return p.toString();
        }
    }
}
