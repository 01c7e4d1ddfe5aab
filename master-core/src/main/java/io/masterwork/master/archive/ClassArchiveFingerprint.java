package io.masterwork.master.archive;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a class-data archive was trained with: the JDK (its {@code java.home} and {@code java.vm.version}) and every
 * entry of the class path with its size and modification time. JDK 17 maps a dynamic archive only for the JDK that
 * wrote it and a class path that begins with the very entries it was written with, unchanged: anything else and
 * {@code -Xshare:auto} drops the archive without a word; JDK 25's AOT cache ({@link ClassArchiveFormat}) is bound
 * to its JDK and class path the same way, and dropped the same way under the default {@code AOTMode=auto}. Kept
 * beside the archive ({@code worker.jsa.trained}, {@code worker.aot.trained}), it lets the master say why an archive
 * no longer fits, instead of starting slower in silence.
 */
public record ClassArchiveFingerprint(String javaHome, String vmVersion, List<Entry> classPath) {
    private static final String JAVA_HOME = "java.home=";
    private static final String VM_VERSION = "java.vm.version=";
    private static final String CLASS_PATH = "class.path=";

    /** One class path entry as the JVM checks it. A missing entry has size and time -1. */
    public record Entry(Path path, long size, long modifiedMillis) {
        static Entry of(Path path) {
            Path absolute = path.toAbsolutePath().normalize();
            try {
                // The JVM stats the entry itself (a symbolic link is followed): so does this.
                BasicFileAttributes attributes = Files.readAttributes(absolute, BasicFileAttributes.class);
                return new Entry(absolute, attributes.isDirectory() ? 0 : attributes.size(),
                        attributes.isDirectory() ? 0 : attributes.lastModifiedTime().toMillis());
            } catch (IOException missing) {
                return new Entry(absolute, -1, -1);
            }
        }
    }

    public ClassArchiveFingerprint {
        classPath = List.copyOf(classPath);
    }

    /** This JVM's JDK with {@code classPath} as it is on disk now. */
    public static ClassArchiveFingerprint of(List<Path> classPath) {
        return new ClassArchiveFingerprint(System.getProperty("java.home"), System.getProperty("java.vm.version"),
                classPath.stream().map(Entry::of).toList());
    }

    /** A class path string's entries ({@code :}-separated), without empty ones. */
    public static List<Path> entries(String classPath) {
        List<Path> entries = new ArrayList<>();
        for (String entry : classPath.split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry));
            }
        }
        return entries;
    }

    /** Where the fingerprint of {@code archive} is kept: beside it, named after it. */
    public static Path recordOf(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".trained");
    }

    /**
     * Why an archive trained with this fingerprint would not be mapped by a JVM of {@code runtime} (its JDK and
     * class path), in a few words; empty when it would. The runtime class path may be longer: the JVM needs only
     * its beginning to be the trained one.
     */
    public Optional<String> whyNotFor(ClassArchiveFingerprint runtime) {
        if (!javaHome.equals(runtime.javaHome) || !vmVersion.equals(runtime.vmVersion)) {
            return Optional.of("it was trained with the JDK " + vmVersion + " in " + javaHome + ", this is "
                    + runtime.vmVersion + " in " + runtime.javaHome);
        }
        if (runtime.classPath.size() < classPath.size()) {
            return Optional.of("it was trained with " + classPath.size() + " class path entries, the class path has "
                    + runtime.classPath.size());
        }
        for (int i = 0; i < classPath.size(); i++) {
            Entry trained = classPath.get(i);
            Entry now = runtime.classPath.get(i);
            if (!trained.path.equals(now.path)) {
                if (trained.path.getFileName().equals(now.path.getFileName())) {
                    return Optional.of("it was trained with the jars in " + trained.path.getParent() + ", these are in "
                            + now.path.getParent() + " (a copied or moved distribution)");
                }
                return Optional.of("it was trained with " + trained.path + " where the class path now has " + now.path);
            }
            if (trained.size != now.size || trained.modifiedMillis != now.modifiedMillis) {
                return Optional.of(now.path + (now.size < 0 ? " is gone" : " changed") + " since it was trained");
            }
        }
        return Optional.empty();
    }

    /** The record's text: one {@code key=value} a line, the class path entries as {@code size mtime path}. */
    public String text() {
        StringBuilder text = new StringBuilder();
        text.append(JAVA_HOME).append(javaHome).append('\n');
        text.append(VM_VERSION).append(vmVersion).append('\n');
        for (Entry e : classPath) {
            text.append(CLASS_PATH).append(e.size).append(' ').append(e.modifiedMillis).append(' ').append(e.path).append('\n');
        }
        return text.toString();
    }

    /** The fingerprint recorded in {@code record}; empty when there is none or it does not read as one. */
    public static Optional<ClassArchiveFingerprint> read(Path record) {
        List<String> lines;
        try {
            if (!Files.isRegularFile(record, LinkOption.NOFOLLOW_LINKS)) {
                return Optional.empty();
            }
            lines = Files.readAllLines(record, StandardCharsets.UTF_8);
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        } catch (IOException unreadable) {
            return Optional.empty();
        }
        String home = null;
        String version = null;
        List<Entry> entries = new ArrayList<>();
        try {
            for (String line : lines) {
                if (line.startsWith(JAVA_HOME)) {
                    home = line.substring(JAVA_HOME.length());
                } else if (line.startsWith(VM_VERSION)) {
                    version = line.substring(VM_VERSION.length());
                } else if (line.startsWith(CLASS_PATH)) {
                    String[] fields = line.substring(CLASS_PATH.length()).split(" ", 3);
                    entries.add(new Entry(Path.of(fields[2]), Long.parseLong(fields[0]), Long.parseLong(fields[1])));
                } else if (!line.isEmpty()) {
                    return Optional.empty();
                }
            }
        } catch (RuntimeException malformed) {
            return Optional.empty();
        }
        if (home == null || version == null) {
            return Optional.empty();
        }
        return Optional.of(new ClassArchiveFingerprint(home, version, entries));
    }
}
