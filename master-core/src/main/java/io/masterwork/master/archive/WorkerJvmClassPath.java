package io.masterwork.master.archive;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The class path a worker JVM is started with: the master's own, less the jars that are the master's alone, then
 * {@code worker_class_path}. The worker class-data archive is trained and checked against exactly this.
 */
public final class WorkerJvmClassPath {
    /** The name of the class path directory whose jars the master keeps to itself (lib/master/). */
    private static final String MASTER_ONLY_DIRECTORY = "master";

    private WorkerJvmClassPath() {
    }

    /** This master's class path as its workers get it, followed by {@code workerClassPath} (made absolute). */
    public static List<Path> of(List<Path> workerClassPath) {
        List<Path> entries = new ArrayList<>();
        for (String entry : withoutMasterOnly(System.getProperty("java.class.path", "")).split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                entries.add(Path.of(entry));
            }
        }
        workerClassPath.forEach(p -> entries.add(p.toAbsolutePath()));
        return entries;
    }

    /**
     * A class path less what is the master's alone: entries in a directory named {@code master} (the distribution's
     * {@code lib/master/}: Prometheus' client, bcrypt). A worker never loads them, and a class path that names them
     * would only cost it a longer search and a wider attack surface.
     */
    public static String withoutMasterOnly(String classPath) {
        StringBuilder kept = new StringBuilder();
        for (String entry : classPath.split(File.pathSeparator)) {
            Path parent = Path.of(entry).getParent();
            if (entry.isEmpty() || (parent != null && parent.getFileName() != null
                    && parent.getFileName().toString().equals(MASTER_ONLY_DIRECTORY))) {
                continue;
            }
            if (kept.length() > 0) {
                kept.append(File.pathSeparatorChar);
            }
            kept.append(entry);
        }
        return kept.toString();
    }
}
