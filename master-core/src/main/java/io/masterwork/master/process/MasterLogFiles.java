package io.masterwork.master.process;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.log.ErrorLogLevels;
import io.masterwork.master.log.LogFileOpener;
import io.masterwork.master.log.MasterLogging;
import io.masterwork.master.log.WritableDirectories;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.UserInfo;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log files, as nginx's master treats them: it creates each one (and recreates it on USR1 after
 * logrotate moved it) and hands it to the worker user, so that a worker that dropped privileges can
 * still open it by path. Every open goes through {@link LogFileOpener}: the master is usually root and the
 * path may have been replaced by someone who can write the directory; such a file is left alone, an alert
 * names it, and whatever was open before stays in use.
 */
public class MasterLogFiles {
    /** http.access_log's default in the built-in application (worker-core's HttpSettings.DEFAULTS). */
    static final String DEFAULT_ACCESS_LOG = "logs/access.log";

    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private final Posix posix;

    @Inject
    public MasterLogFiles(Posix posix) {
        this.posix = posix;
    }

    /**
     * At start and on every reload: warns about directories someone else could write into (where the files
     * the master trusts live), then creates every log file that does not exist and hands it to the worker
     * user (when there is one).
     */
    public void prepareForWorkers(MasterConfiguration config, UserInfo workerUser) {
        for (String warning : WritableDirectories.warnings(directoriesTrusted(config), posix.geteuid())) {
            log.warn(warning);
        }
        createForWorkers(config, workerUser);
    }

    private void createForWorkers(MasterConfiguration config, UserInfo workerUser) {
        for (Path file : files(config)) {
            if (LogFileOpener.standardStream(file) > 0) {
                continue;
            }
            try {
                file.toAbsolutePath().getParent().toFile().mkdirs();
                posix.close(LogFileOpener.openForAppend(posix, file.toAbsolutePath(), workerUser));
            } catch (LogFileOpener.UnsafeLogFileException e) {
                log.error(ErrorLogLevels.ALERT, "{}", e.getMessage());
            }
        }
    }

    /** USR1: the master's own log first, then the files the workers will reopen by path. */
    public void reopen(MasterConfiguration config, UserInfo workerUser) {
        MasterLogging.reopen();
        createForWorkers(config, workerUser);
        if (config.daemon()) {
            // A daemon's stdout and stderr are the error log (JVM messages go there): follow it to the new file.
            try {
                int fd = LogFileOpener.openForAppend(posix, config.errorLog().toAbsolutePath(), null);
                posix.dup2(fd, 1);
                posix.dup2(fd, 2);
                posix.close(fd);
            } catch (LogFileOpener.UnsafeLogFileException | PosixException e) {
                log.error(ErrorLogLevels.ALERT, "cannot point stdout and stderr at the reopened error log: {}", e.getMessage());
            }
        }
    }

    /**
     * A worker's stdout and stderr: its error log opened as {@link LogFileOpener} opens it, or, when that path is
     * no plain file any more, the error log the master itself writes (an alert says why), never what a link names.
     */
    static int openWorkerOutput(Posix posix, Path errorLog) {
        try {
            return LogFileOpener.openForAppend(posix, errorLog.toAbsolutePath(), null);
        } catch (LogFileOpener.UnsafeLogFileException e) {
            int fallback = MasterLogging.duplicateDescriptor();
            log.error(ErrorLogLevels.ALERT, "{}; the worker writes to {} instead", e.getMessage(),
                    fallback >= 0 ? "the master's error log" : "/dev/null");
            return fallback >= 0 ? fallback : posix.open("/dev/null", OpenFlags.WRONLY, 0);
        }
    }

    private static List<Path> directoriesTrusted(MasterConfiguration config) {
        List<Path> files = new ArrayList<>(files(config));
        files.add(config.pidFile());
        config.controlSocket().ifPresent(files::add);
        List<Path> dirs = new ArrayList<>();
        for (Path file : files) {
            if (LogFileOpener.standardStream(file) == 0) {
                dirs.add(file.toAbsolutePath().normalize().getParent());
            }
        }
        return dirs;
    }

    private static List<Path> files(MasterConfiguration config) {
        List<Path> files = new ArrayList<>();
        files.add(config.errorLog());
        Config resolved = config.resolved();
        // The built-in application's access log, which the master creates for the worker user. Its default is the
        // built-in application's (HttpSettings in worker-core, whose checks the master no longer runs).
        // A value of another type is the workers' to refuse (with its file and line), not the master's to trip on.
        String accessLog = !resolved.hasPath("http.access_log") ? DEFAULT_ACCESS_LOG
                : resolved.getValue("http.access_log").valueType() == ConfigValueType.STRING
                ? resolved.getString("http.access_log").trim() : "off";
        if (!"off".equals(accessLog) && !accessLog.isEmpty()) {
            files.add(config.prefix().resolve(accessLog));
        }
        return files;
    }
}
