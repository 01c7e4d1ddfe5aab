package io.masterwork.master.archive;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The class-data archives of the distribution this master runs from: the workers' ({@code lib/worker.jsa}, or
 * {@code lib/worker.aot} when trained on JDK 25 or later: {@link ClassArchiveFormat}) and its own ({@code master.jsa}
 * or {@code master.aot}), beside master-core's jar, each with the fingerprint of its training
 * ({@link ClassArchiveFingerprint}). An archive is used only when its fingerprint fits the JVM that would map it.
 */
public final class ClassArchives {
    public static final String WORKER = "worker";
    public static final String MASTER = "master";

    private final Path lib;
    private final ClassArchiveFormat format;

    /** The archives in {@code lib} as this JVM sees them: of its JDK's kind. */
    public ClassArchives(Path lib) {
        this(lib, ClassArchiveFormat.ofThisJvm());
    }

    ClassArchives(Path lib, ClassArchiveFormat format) {
        this.lib = lib;
        this.format = format;
    }

    /** The archives of the distribution whose lib/ holds this class's jar; empty when the classes come from a directory. */
    public static Optional<ClassArchives> ofThisDistribution() {
        try {
            Path jar = Path.of(ClassArchives.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(jar) ? Optional.of(new ClassArchives(jar.getParent())) : Optional.empty();
        } catch (RuntimeException | URISyntaxException unknownSource) {
            return Optional.empty();
        }
    }

    public Path lib() {
        return lib;
    }

    /** The kind of archive this JDK maps, and a training on it writes. */
    public ClassArchiveFormat format() {
        return format;
    }

    public Path workerArchive() {
        return archive(WORKER);
    }

    public Path masterArchive() {
        return archive(MASTER);
    }

    /**
     * The archive {@code base} of this distribution: the one of this JDK's kind; when there is none, one of the other
     * kind (written by another JDK: stale here, and said so, as any archive of another JDK); when there is neither,
     * the name a training on this JDK writes.
     */
    Path archive(String base) {
        Path own = lib.resolve(format.fileName(base));
        if (exists(own)) {
            return own;
        }
        for (ClassArchiveFormat other : ClassArchiveFormat.values()) {
            Path theirs = lib.resolve(other.fileName(base));
            if (exists(theirs)) {
                return theirs;
            }
        }
        return own;
    }

    /** Every archive name of every kind, in lib/ (what a training replaces). */
    public List<Path> everyArchive() {
        List<Path> all = new ArrayList<>();
        for (String base : List.of(WORKER, MASTER)) {
            for (ClassArchiveFormat f : ClassArchiveFormat.values()) {
                all.add(lib.resolve(f.fileName(base)));
            }
        }
        return all;
    }

    /** Whether {@code archive} exists at all (a distribution built without archives has none, and says nothing). */
    public static boolean exists(Path archive) {
        return Files.isRegularFile(archive, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Why a JVM of this JDK with {@code classPath} would not map {@code archive}, when it exists; empty when it fits
     * or when there is none.
     */
    public static Optional<String> whyStale(Path archive, List<Path> classPath) {
        return whyStale(archive, ClassArchiveFingerprint.of(classPath), ClassArchiveFormat.ofThisJvm());
    }

    /** Why a JVM of {@code runtime} (its JDK and class path), mapping archives of {@code format}, would not map {@code archive}. */
    static Optional<String> whyStale(Path archive, ClassArchiveFingerprint runtime, ClassArchiveFormat format) {
        if (!exists(archive)) {
            return Optional.empty();
        }
        Optional<ClassArchiveFingerprint> trained = ClassArchiveFingerprint.read(ClassArchiveFingerprint.recordOf(archive));
        if (trained.isEmpty()) {
            return Optional.of("there is no record of what it was trained with ("
                    + ClassArchiveFingerprint.recordOf(archive).getFileName() + ")");
        }
        Optional<String> why = trained.get().whyNotFor(runtime);
        if (why.isPresent()) {
            return why;
        }
        // The same JDK writes one kind only: another kind here was put by hand (or the record was copied).
        if (ClassArchiveFormat.ofFile(archive).orElse(null) != format) {
            return Optional.of("it is not of the kind this JDK maps (" + format.description() + ")");
        }
        return Optional.empty();
    }

    /**
     * Whether {@code archive}'s record names a JDK other than this JVM's. The master's JDK does not change while it
     * runs (its workers run its own java): such an archive was found stale, and said so, at the master's start.
     */
    public static boolean trainedByAnotherJdk(Path archive) {
        ClassArchiveFingerprint here = ClassArchiveFingerprint.of(List.of());
        return ClassArchiveFingerprint.read(ClassArchiveFingerprint.recordOf(archive))
                .map(trained -> !trained.javaHome().equals(here.javaHome()) || !trained.vmVersion().equals(here.vmVersion()))
                .orElse(false);
    }

    /** Whether {@code archive} exists and fits a JVM of this JDK with {@code classPath}. */
    public static boolean fits(Path archive, List<Path> classPath) {
        return exists(archive) && whyStale(archive, classPath).isEmpty();
    }
}
