package io.masterwork.master.log;

import io.masterwork.posix.Errno;
import io.masterwork.posix.FileStatus;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.UserInfo;
import java.nio.file.Path;

/**
 * How the master, usually root, opens a log file that sits in a directory a worker may be able to write
 * (nginx packages that chown their log directory to the worker user: CVE-2016-1247's pattern). The path is
 * trusted only as far as open(2) with O_NOFOLLOW goes: a symbolic link planted as the file is refused, a FIFO
 * does not block the master's loop (O_NONBLOCK: ENXIO without a reader; fstat refuses it with one), and
 * whatever was opened must be a regular file with a single link (a hard link to a root-owned file would get
 * that file chowned). The owner is changed on the descriptor (fchown), never by path: to the worker user, with
 * the master's group (see {@link #handOver}).
 */
public final class LogFileOpener {
    private static final int FLAGS = OpenFlags.WRONLY | OpenFlags.APPEND | OpenFlags.CREAT
            | OpenFlags.NOFOLLOW | OpenFlags.NONBLOCK | OpenFlags.CLOEXEC;

    private LogFileOpener() {
    }

    /** Why a log file was not opened, naming the path. */
    public static final class UnsafeLogFileException extends RuntimeException {
        UnsafeLogFileException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Opens {@code path} for appending (created 0644 if missing), close-on-exec and blocking; with {@code owner},
     * the file is handed to that user and group through the descriptor. Throws UnsafeLogFileException when the
     * path names anything but a plain regular file.
     */
    public static int openForAppend(Posix posix, Path path, UserInfo owner) {
        int standard = standardStream(path);
        if (standard > 0) {
            // error_log = /dev/stderr (a container): the master's own stream, nothing to create or hand over.
            return posix.dup(standard);
        }
        int fd;
        try {
            fd = posix.open(path.toString(), FLAGS, 0644);
        } catch (PosixException e) {
            throw new UnsafeLogFileException(describeOpenFailure(path, e), e);
        }
        try {
            FileStatus status = posix.fstat(fd);
            if (!status.isRegularFile()) {
                throw new UnsafeLogFileException("log file " + path + " is a " + status.kind()
                        + ", not a regular file; not written (someone who can write its directory put it there)", null);
            }
            if (status.links() != 1) {
                throw new UnsafeLogFileException("log file " + path + " has " + status.links()
                        + " hard links; not written (a link to another file must not be appended to or chowned)", null);
            }
            if (owner != null) {
                handOver(posix, fd, status, owner);
            }
            posix.setNonBlocking(fd, false);
            return fd;
        } catch (PosixException e) {
            posix.closeQuietly(fd);
            throw new UnsafeLogFileException("log file " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            posix.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * The worker user owns the file (a worker reopens it by path, as that user); the group stays the master's and
     * may write too, so that a root master without CAP_DAC_OVERRIDE (deploy/systemd's CapabilityBoundingSet) still
     * opens it on the next reload or USR1. Only the group bits are widened, and only on a file the master owns.
     */
    private static void handOver(Posix posix, int fd, FileStatus status, UserInfo owner) {
        int group = posix.getgid();
        if (status.uid() == posix.geteuid() && (status.permissions() & 0020) == 0) {
            posix.fchmod(fd, (status.permissions() | 0060) & ~0002);
        }
        if (status.uid() != owner.uid() || status.gid() != group) {
            posix.fchown(fd, owner.uid(), group);
        }
    }

    /** 1 or 2 when the path names this process's stdout or stderr (a link to a pipe or terminal), else 0. */
    public static int standardStream(Path path) {
        String p = path.toAbsolutePath().normalize().toString();
        return switch (p) {
            case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1" -> 1;
            case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2" -> 2;
            default -> 0;
        };
    }

    private static String describeOpenFailure(Path path, PosixException e) {
        if (e.errno() == Errno.ELOOP) {
            return "log file " + path + " is a symbolic link; not followed (someone who can write its directory"
                    + " put it there)";
        }
        if (e.errno() == Errno.ENXIO) {
            return "log file " + path + " is a FIFO or a device without a reader; not written";
        }
        return "cannot open log file " + path + ": " + e.getMessage();
    }
}
