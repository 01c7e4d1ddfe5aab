package io.masterwork.master.process;

import com.typesafe.config.Config;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.log.MasterLogging;
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
 * still open it by path.
 */
public class MasterLogFiles {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private final Posix posix;

    @Inject
    public MasterLogFiles(Posix posix) {
        this.posix = posix;
    }

    /** Creates every log file that does not exist and chowns it to the worker user (when there is one). */
    public void prepareForWorkers(MasterConfiguration config, UserInfo workerUser) {
        for (Path file : files(config)) {
            try {
                file.toAbsolutePath().getParent().toFile().mkdirs();
                int fd = posix.open(file.toString(), OpenFlags.WRONLY | OpenFlags.APPEND | OpenFlags.CREAT, 0644);
                posix.close(fd);
                if (workerUser != null) {
                    posix.chown(file.toString(), workerUser.uid(), workerUser.gid());
                }
            } catch (PosixException e) {
                log.error("cannot prepare log file {}: {}", file, e.getMessage());
            }
        }
    }

    /** USR1: the master's own log first, then the files the workers will reopen by path. */
    public void reopen(MasterConfiguration config, UserInfo workerUser) {
        MasterLogging.reopen();
        prepareForWorkers(config, workerUser);
        if (config.daemon()) {
            // A daemon's stdout and stderr are the error log (JVM messages go there): follow it to the new file.
            try {
                int fd = posix.open(config.errorLog().toString(), OpenFlags.WRONLY | OpenFlags.APPEND | OpenFlags.CREAT, 0644);
                posix.dup2(fd, 1);
                posix.dup2(fd, 2);
                posix.close(fd);
            } catch (PosixException e) {
                log.error("cannot point stdout and stderr at the reopened error log: {}", e.getMessage());
            }
        }
    }

    private static List<Path> files(MasterConfiguration config) {
        List<Path> files = new ArrayList<>();
        files.add(config.errorLog());
        Config resolved = config.resolved();
        if (resolved.hasPath("http.access_log")) {
            String accessLog = resolved.getString("http.access_log");
            if (!"off".equals(accessLog)) {
                files.add(config.prefix().resolve(accessLog));
            }
        }
        return files;
    }
}
