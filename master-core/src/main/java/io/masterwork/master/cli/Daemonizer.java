package io.masterwork.master.cli;

import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.log.LogFileOpener;
import io.masterwork.master.pid.PidFile;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.SignalRoute;
import io.masterwork.posix.SpawnRequest;
import io.masterwork.posix.WaitStatus;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * {@code daemon = true}: nginx forks and the parent exits; a JVM cannot fork, so the foreground process
 * spawns the master as a new JVM in a new session (no controlling terminal), with the master's signals
 * already blocked by the spawn attributes (no re-exec needed), stdin on /dev/null and stdout/stderr on the
 * error log. It returns once the pid file names the new master (the master writes it after its
 * listeners are open), or reports the master's last log lines if it died first.
 */
final class Daemonizer {
    static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_LINES = 20;

    private final Posix posix;
    private final Console console;

    Daemonizer(Posix posix, Console console) {
        this.posix = posix;
        this.console = console;
    }

    int start(MasterConfiguration config, PidFile pidFile) {
        Path errorLog = config.errorLog();
        long logSizeBefore;
        int pid;
        try {
            Files.createDirectories(errorLog.toAbsolutePath().getParent());
            logSizeBefore = Files.exists(errorLog) ? Files.size(errorLog) : 0;
        } catch (IOException e) {
            console.error("emerg", "cannot create the error log's directory for " + errorLog + ": " + e.getMessage());
            return 1;
        }
        int devNull = -1;
        int log = -1;
        try {
            devNull = posix.open("/dev/null", OpenFlags.RDWR, 0);
            // Not by path: a link or a FIFO put there by whoever can write the directory is refused (docs/SECURITY.md).
            log = LogFileOpener.openForAppend(posix, errorLog.toAbsolutePath(), null);
            SpawnRequest request = new SpawnRequest(posix.executablePath())
                    .argv(masterArgv())
                    .environment(masterEnvironment())
                    .workingDirectory(Path.of("").toAbsolutePath().toString())
                    .mapFd(devNull, 0)
                    .mapFd(log, 1)
                    .mapFd(log, 2)
                    .blockedSignals(MasterSignalSet.SIGNALS)
                    .newSession(true);
            pid = posix.spawn(request);
        } catch (PosixException | LogFileOpener.UnsafeLogFileException e) {
            console.error("emerg", "cannot start the master in the background: " + e.getMessage());
            return 1;
        } finally {
            if (devNull >= 0) {
                posix.closeQuietly(devNull);
            }
            if (log >= 0) {
                posix.closeQuietly(log);
            }
        }
        return awaitMaster(pid, pidFile, errorLog, logSizeBefore);
    }

    private int awaitMaster(int pid, PidFile pidFile, Path errorLog, long logSizeBefore) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            WaitStatus ended = posix.waitpid(pid, true);
            if (ended != null) {
                console.error("emerg", "the master (pid " + pid + ") " + ended + " during start-up; "
                        + errorLog + " says:");
                console.err().print(tail(errorLog, logSizeBefore));
                console.err().flush();
                return 1;
            }
            PidFile.Status status = pidFile.status();
            if (status.live() && status.pid() == pid) {
                console.info("master " + pid + " started in the background (pid file " + pidFile.path() + ")");
                return 0;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
        console.error("emerg", "the master (pid " + pid + ") did not write " + pidFile.path() + " within "
                + START_TIMEOUT.toSeconds() + " s; it is still running, see " + errorLog);
        return 1;
    }

    /** This process's own command line with the signal route's JVM flags, so the child is the master itself. */
    static List<String> masterArgv() {
        return SignalRoute.routedCommandLine();
    }

    /** The environment SignalRoute's re-exec would give, plus the marker that stops a second detach. */
    static List<String> masterEnvironment() {
        return SignalRoute.routedEnvironment(Map.of(MasterSignalSet.DAEMON_VARIABLE, "1"));
    }

    /** What the failed master appended to the error log (its last lines), for the operator's terminal. */
    static String tail(Path errorLog, long from) {
        try (RandomAccessFile f = new RandomAccessFile(errorLog.toFile(), "r")) {
            long length = f.length();
            long start = Math.max(from, length - 64 * 1024);
            if (start >= length) {
                return "(nothing)\n";
            }
            byte[] bytes = new byte[(int) (length - start)];
            f.seek(start);
            f.readFully(bytes);
            String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\n");
            StringBuilder sb = new StringBuilder();
            for (int i = Math.max(0, lines.length - LOG_TAIL_LINES); i < lines.length; i++) {
                sb.append("  ").append(lines[i]).append('\n');
            }
            return sb.toString();
        } catch (IOException e) {
            return "(cannot read " + errorLog + ": " + e.getMessage() + ")\n";
        }
    }
}
