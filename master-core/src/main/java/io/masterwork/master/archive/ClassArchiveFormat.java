package io.masterwork.master.archive;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The two kinds of class-data archive a JDK can map, and the flags that write, map and check each. JDK 17 writes a
 * dynamic AppCDS archive at exit ({@code -XX:ArchiveClassesAtExit}) and maps it with {@code -XX:SharedArchiveFile}.
 * JDK 25 writes an AOT cache in one training run ({@code -XX:AOTCacheOutput}, JEP 514): classes loaded and linked,
 * and method profiles (JEP 515), which start a JVM faster than a dynamic archive (docs/BENCHMARKS.md, "JDK 25 AOT
 * cache"). JDK 24 has the cache too but only in two runs (record, then create): it keeps CDS here.
 *
 * <p>An archive is valid only for the JDK that wrote it ({@link ClassArchiveFingerprint}), so a distribution holds
 * one kind at a time, the kind of the JDK its last training ran on, and its name says which.
 */
public enum ClassArchiveFormat {
    /**
     * {@code -Xshare:auto}: an archive that does not map is dropped, not fatal (JDK 17's default, stated because the
     * archive is passed explicitly); the cds log tags off so that a dropped archive leaves no line in the error log.
     */
    CDS(".jsa", "-XX:ArchiveClassesAtExit=", "-XX:SharedArchiveFile=",
            List.of("-Xshare:auto", "-Xlog:cds=off,cds+dynamic=off"), List.of("-Xshare:auto")),
    /**
     * No {@code -Xshare:} at all: JDK 25 refuses {@code -XX:AOTCache} and {@code -XX:AOTCacheOutput} beside any of
     * them. A cache that does not map is dropped as well (the default {@code -XX:AOTMode=auto}), with an aot log line
     * that {@code aot=off} silences. The check maps with {@code AOTMode=on}, where a cut-short cache fails the JVM.
     */
    AOT_CACHE(".aot", "-XX:AOTCacheOutput=", "-XX:AOTCache=",
            List.of("-Xlog:cds=off,cds+dynamic=off,aot=off"), List.of("-XX:AOTMode=on"));

    /** The first JDK whose AOT cache one training run writes (JEP 514). */
    public static final int FIRST_AOT_CACHE_JDK = 25;

    private final String suffix;
    private final String trainingOption;
    private final String mappingOption;
    private final List<String> sharingFlags;
    private final List<String> checkFlags;

    ClassArchiveFormat(String suffix, String trainingOption, String mappingOption, List<String> sharingFlags,
            List<String> checkFlags) {
        this.suffix = suffix;
        this.trainingOption = trainingOption;
        this.mappingOption = mappingOption;
        this.sharingFlags = sharingFlags;
        this.checkFlags = checkFlags;
    }

    /** The kind a JVM of {@code jdk} maps. */
    public static ClassArchiveFormat of(Runtime.Version jdk) {
        return jdk.feature() >= FIRST_AOT_CACHE_JDK ? AOT_CACHE : CDS;
    }

    /** The kind this JVM, and the workers it spawns with its own {@code java}, map. */
    public static ClassArchiveFormat ofThisJvm() {
        return of(Runtime.version());
    }

    /** The kind of {@code archive}, from its name; empty for a name of neither kind. */
    public static Optional<ClassArchiveFormat> ofFile(Path archive) {
        String name = archive.getFileName().toString();
        for (ClassArchiveFormat format : values()) {
            if (name.endsWith(format.suffix)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /** The file name of the archive {@code base} ("worker", "master") in this kind. */
    public String fileName(String base) {
        return base + suffix;
    }

    /** The flag that makes a JVM write this kind of archive to {@code archive} as it exits. */
    public String trainingFlag(Path archive) {
        return trainingOption + archive;
    }

    /** The flag that maps {@code archive}. */
    public String mappingFlag(Path archive) {
        return mappingOption + archive;
    }

    /** Whether {@code flag} names an archive of this kind to map. */
    public boolean mapsAnArchive(String flag) {
        return flag.startsWith(mappingOption);
    }

    /** The flags that go with an archive of this kind, mapped or not: how the JVM treats one that does not map. */
    public List<String> sharingFlags() {
        return sharingFlags;
    }

    /** The flags of a JVM that maps {@code archive} to check it: it exits with 0 only when the archive maps. */
    public List<String> checkFlags(Path archive) {
        List<String> flags = new ArrayList<>(checkFlags);
        flags.add(mappingFlag(archive));
        return List.copyOf(flags);
    }

    /** How the log and the documentation call it. */
    public String description() {
        return this == CDS ? "AppCDS archive" : "AOT cache";
    }
}
