package io.masterwork.master.archive;

import io.masterwork.master.Launcher;
import io.masterwork.master.config.MasterConfiguration;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A master's start in a distribution whose class-data archives no longer fit it: copied or moved elsewhere (a
 * container image), its jars replaced, another JDK. The JVM would run without them in silence; this says why, in
 * one line, and retrains them there and then with {@code bin/<name> --train-archives} for the configuration being
 * started, before the first worker is spawned: the first start pays a training run, every start after maps them.
 *
 * <p>Not as root: the training runs the application in a worker, and a root master's training worker would run it
 * as root (one dropped to the worker user could write an archive that the next workers map before they drop their
 * privileges). A root master starts without the stale archives and names the command to run at install.
 */
public final class StaleClassArchives {
    private static final long TRAINING_TIMEOUT_SECONDS = 300;

    private StaleClassArchives() {
    }

    /**
     * Each archive of this distribution that exists and does not fit this master's JDK and class path (the workers':
     * for {@code config}'s {@code worker_class_path}), with why; empty when all fit or there are none.
     */
    public static Map<Path, String> of(MasterConfiguration config) {
        Map<Path, String> stale = new LinkedHashMap<>();
        ClassArchives.ofThisDistribution().ifPresent(archives -> {
            ClassArchives.whyStale(archives.workerArchive(), WorkerJvmClassPath.of(config.workerClassPath()))
                    .ifPresent(why -> stale.put(archives.workerArchive(), why));
            ClassArchives.whyStale(archives.masterArchive(),
                    ClassArchiveFingerprint.entries(System.getProperty("java.class.path", "")))
                    .ifPresent(why -> stale.put(archives.masterArchive(), why));
        });
        return stale;
    }

    /**
     * Retrains the stale archives (or, as root, says it will not), reporting through {@code report} as
     * {@code [level] message} pairs; returns whether archives were retrained.
     */
    public static boolean renew(MasterConfiguration config, boolean root, Report report) {
        Map<Path, String> stale = of(config);
        Optional<Path> home = Launcher.home();
        if (stale.isEmpty() || home.isEmpty()) {
            return false;
        }
        Path script = home.get().resolve("bin").resolve(Launcher.name());
        // one reason a line's worth: archives stale for the same reason (a copy) are named together
        Map<String, List<String>> archivesByReason = new LinkedHashMap<>();
        stale.forEach((archive, reason) -> archivesByReason.computeIfAbsent(reason, r -> new ArrayList<>())
                .add(archive.getFileName().toString()));
        List<String> why = new ArrayList<>();
        archivesByReason.forEach((reason, names) -> why.add(String.join(", ", names) + ": " + reason));
        if (root) {
            report.line("warn", "the class-data archives " + stale.keySet() + " do not fit this distribution ("
                    + String.join("; ", why) + "); starting without them. Retrain them at install, as root: `" + script
                    + " --train-archives`");
            return false;
        }
        report.line("notice", "retraining the class-data archives " + stale.keySet() + ", which do not fit this "
                + "distribution (" + String.join("; ", why) + ")");
        ProcessBuilder training = new ProcessBuilder(script.toString(), "--train-archives",
                "-c", config.configFile().toString(), "-p", config.prefix().toString())
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        ClassArchiveTraining.withoutMasterEnvironment(training.environment());
        try {
            Process p = training.start();
            if (!p.waitFor(TRAINING_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                report.line("warn", "the class-data archives' training took more than " + TRAINING_TIMEOUT_SECONDS
                        + " s and was stopped; starting without them");
                return false;
            }
            if (p.exitValue() != 0) {
                report.line("warn", "the class-data archives' training failed (exit " + p.exitValue()
                        + ", above); starting without them");
                return false;
            }
            return true;
        } catch (IOException e) {
            report.line("warn", "the class-data archives' training could not start (" + e.getMessage()
                    + "); starting without them");
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Where a line goes: the command line's stderr, in nginx's {@code [level] message} shape. */
    @FunctionalInterface
    public interface Report {
        void line(String level, String message);
    }
}
