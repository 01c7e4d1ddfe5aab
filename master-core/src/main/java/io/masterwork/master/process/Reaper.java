package io.masterwork.master.process;

import io.masterwork.posix.Errno;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.WaitStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nginx's {@code ngx_reap_children}, for the pids this master spawned: {@code waitpid} of each known pid without
 * waiting, never of -1 (that would steal the children the JDK reaps itself).
 */
final class Reaper {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** What became of a process: its wait status, or none when it is not this master's child any more. */
    record Exit(WaitStatus status) {
        static final Exit LOST = new Exit(null);

        boolean lost() {
            return status == null;
        }

        @Override
        public String toString() {
            return status == null ? "is not a child of this master any more (waitpid: ECHILD); its status is unknown"
                    : status.toString();
        }
    }

    private final Posix posix;

    Reaper(Posix posix) {
        this.posix = posix;
    }

    /**
     * The exit of {@code worker}, or null while it runs (or waitpid failed for a passing reason, logged). ECHILD
     * means the pid is not a child of this master (someone else reaped it): it is gone as far as the master can
     * ever know, and counted so; otherwise its slot would wait for it forever and QUIT never complete.
     */
    Exit reap(Worker worker) {
        WaitStatus status;
        try {
            status = posix.waitpid(worker.pid, true);
        } catch (PosixException e) {
            if (e.errno() == Errno.ECHILD) {
                return Exit.LOST;
            }
            log.error("waitpid({}) failed: {}", worker.pid, e.getMessage());
            return null;
        }
        return status == null ? null : new Exit(status);
    }
}
