package io.masterwork.master.archive;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The class-data archives of the distribution this master runs from: {@code lib/worker.jsa} for its workers and
 * {@code lib/master.jsa} for its own JVM, beside master-core's jar, each with the fingerprint of its training
 * ({@link ClassArchiveFingerprint}). An archive is used only when its fingerprint fits the JVM that would map it.
 */
public final class ClassArchives {
    public static final String WORKER_ARCHIVE = "worker.jsa";
    public static final String MASTER_ARCHIVE = "master.jsa";

    private final Path lib;

    public ClassArchives(Path lib) {
        this.lib = lib;
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

    public Path workerArchive() {
        return lib.resolve(WORKER_ARCHIVE);
    }

    public Path masterArchive() {
        return lib.resolve(MASTER_ARCHIVE);
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
        if (!exists(archive)) {
            return Optional.empty();
        }
        Optional<ClassArchiveFingerprint> trained = ClassArchiveFingerprint.read(ClassArchiveFingerprint.recordOf(archive));
        if (trained.isEmpty()) {
            return Optional.of("there is no record of what it was trained with ("
                    + ClassArchiveFingerprint.recordOf(archive).getFileName() + ")");
        }
        return trained.get().whyNotFor(ClassArchiveFingerprint.of(classPath));
    }

    /** Whether {@code archive} exists and fits a JVM of this JDK with {@code classPath}. */
    public static boolean fits(Path archive, List<Path> classPath) {
        return exists(archive) && whyStale(archive, classPath).isEmpty();
    }
}
