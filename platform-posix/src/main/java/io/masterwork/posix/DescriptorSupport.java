package io.masterwork.posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jnr.ffi.Pointer;

/** Descriptor flags, plain I/O, pipes, memfds and poll. */
final class DescriptorSupport {
    private static final int F_GETFD = 1;
    private static final int F_SETFD = 2;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    private static final int F_SETOWN = 8;
    private static final int F_GETOWN = 9;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int FD_CLOEXEC = 1;
    private static final int O_NONBLOCK = 04000;
    private static final int O_ASYNC = 020000;
    private static final int O_CLOEXEC = 02000000;
    private static final long FIOASYNC = 0x5452;
    private static final int MFD_CLOEXEC = 1;
    private static final int SEEK_SET = 0;
    private static final short POLLIN = 0x1;
    private static final short POLLERR = 0x8;
    private static final short POLLHUP = 0x10;
    private static final short POLLNVAL = 0x20;
    private static final short POLLRDHUP = 0x2000;

    private final Native nat;

    DescriptorSupport(Native nat) {
        this.nat = nat;
    }

    int[] pipe() {
        int[] fds = new int[2];
        if (nat.libc.pipe2(fds, O_CLOEXEC) < 0) {
            throw nat.failure("pipe2", "O_CLOEXEC");
        }
        return fds;
    }

    void close(int fd) {
        // Linux closes the descriptor even when close() reports EINTR: never retry.
        if (nat.libc.close(fd) < 0) {
            int errno = nat.errno();
            if (errno != Errno.EINTR) {
                throw nat.failure("close", errno, "fd " + fd);
            }
        }
    }

    void closeQuietly(int fd) {
        if (fd >= 0) {
            nat.libc.close(fd);
        }
    }

    int dup(int fd) {
        int copy = nat.libc.fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0) {
            throw nat.failure("fcntl", "F_DUPFD_CLOEXEC of fd " + fd);
        }
        return copy;
    }

    void dup2(int from, int to) {
        if (nat.libc.dup2(from, to) < 0) {
            throw nat.failure("dup2", "fd " + from + " onto fd " + to);
        }
    }

    private int getFlags(int fd, int cmd, String name) {
        int flags = nat.libc.fcntl(fd, cmd, 0);
        if (flags < 0) {
            throw nat.failure("fcntl", name + " on fd " + fd);
        }
        return flags;
    }

    void setNonBlocking(int fd, boolean on) {
        int flags = getFlags(fd, F_GETFL, "F_GETFL");
        int wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (wanted != flags && nat.libc.fcntl(fd, F_SETFL, wanted) < 0) {
            throw nat.failure("fcntl", "F_SETFL O_NONBLOCK=" + on + " on fd " + fd);
        }
    }

    boolean isNonBlocking(int fd) {
        return (getFlags(fd, F_GETFL, "F_GETFL") & O_NONBLOCK) != 0;
    }

    void setCloseOnExec(int fd, boolean on) {
        int flags = getFlags(fd, F_GETFD, "F_GETFD");
        int wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        if (wanted != flags && nat.libc.fcntl(fd, F_SETFD, wanted) < 0) {
            throw nat.failure("fcntl", "F_SETFD FD_CLOEXEC=" + on + " on fd " + fd);
        }
    }

    boolean isCloseOnExec(int fd) {
        return (getFlags(fd, F_GETFD, "F_GETFD") & FD_CLOEXEC) != 0;
    }

    void setAsync(int fd, boolean on) {
        Pointer value = nat.allocate(4);
        value.putInt(0, on ? 1 : 0);
        if (nat.libc.ioctl(fd, FIOASYNC, value) < 0) {
            throw nat.failure("ioctl", "FIOASYNC=" + on + " on fd " + fd);
        }
    }

    /** FIOASYNC has no "get"; it sets O_ASYNC in the file status flags, which F_GETFL shows. */
    boolean isAsync(int fd) {
        return (getFlags(fd, F_GETFL, "F_GETFL") & O_ASYNC) != 0;
    }

    void setOwner(int fd, int pid) {
        if (nat.libc.fcntl(fd, F_SETOWN, pid) < 0) {
            throw nat.failure("fcntl", "F_SETOWN " + pid + " on fd " + fd);
        }
    }

    int getOwner(int fd) {
        int owner = nat.libc.fcntl(fd, F_GETOWN, 0);
        if (owner == -1 && nat.errno() == Errno.EBADF) {
            throw nat.failure("fcntl", "F_GETOWN on fd " + fd);
        }
        return owner;
    }

    int write(int fd, ByteBuffer src) {
        int length = src.remaining();
        long base = nat.addressOf(src, true);
        while (true) {
            long n = nat.libc.write(fd, nat.wrap(base), length);
            if (n >= 0) {
                src.position(src.position() + (int) n);
                return (int) n;
            }
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                return -1;
            }
            throw nat.failure("write", errno, "fd " + fd + ", " + length + " bytes");
        }
    }

    int read(int fd, ByteBuffer dst) {
        int room = dst.remaining();
        long base = nat.addressOf(dst, false);
        while (true) {
            long n = nat.libc.read(fd, nat.wrap(base), room);
            if (n >= 0) {
                nat.completeRead(dst, (int) n);
                return (int) n;
            }
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                return -1;
            }
            throw nat.failure("read", errno, "fd " + fd);
        }
    }

    void seek(int fd, long offset) {
        if (nat.libc.lseek(fd, offset, SEEK_SET) < 0) {
            throw nat.failure("lseek", "fd " + fd + " to " + offset);
        }
    }

    int open(String path, int flags, int mode) {
        while (true) {
            int fd = nat.libc.open(path, flags | O_CLOEXEC, mode);
            if (fd >= 0) {
                return fd;
            }
            if (nat.errno() != Errno.EINTR) {
                throw nat.failure("open", path);
            }
        }
    }

    /** struct stat on x86_64: 144 bytes; the offsets of the fields {@link FileStatus} keeps. */
    private static final int STAT_BYTES = 144;

    FileStatus fstat(int fd) {
        Pointer stat = nat.allocate(STAT_BYTES);
        if (nat.libc.fstat(fd, stat) < 0) {
            throw nat.failure("fstat", "fd " + fd);
        }
        return new FileStatus(stat.getLong(0), stat.getLong(8), stat.getLong(16), stat.getInt(24),
                stat.getInt(28), stat.getInt(32), stat.getLong(48));
    }

    void fchown(int fd, int uid, int gid) {
        if (nat.libc.fchown(fd, uid, gid) < 0) {
            throw nat.failure("fchown", "fd " + fd + " to " + uid + ":" + gid);
        }
    }

    void fchmod(int fd, int mode) {
        if (nat.libc.fchmod(fd, mode) < 0) {
            throw nat.failure("fchmod", "fd " + fd + " to " + Integer.toOctalString(mode));
        }
    }

    int memfd(String name, byte[] contents) {
        int fd = nat.libc.memfd_create(name, MFD_CLOEXEC);
        if (fd < 0) {
            throw nat.failure("memfd_create", name);
        }
        try {
            ByteBuffer data = ByteBuffer.wrap(contents);
            while (data.hasRemaining()) {
                write(fd, data);
            }
            seek(fd, 0);
            return fd;
        } catch (RuntimeException e) {
            nat.libc.close(fd);
            throw e;
        }
    }

    List<Integer> openDescriptors() {
        List<Integer> listed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path entry : entries) {
                listed.add(Integer.parseInt(entry.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing /proc/self/fd", e);
        }
        // The listing itself had the directory open: keep only what is still open now.
        List<Integer> open = new ArrayList<>(listed.size());
        for (int fd : listed) {
            if (nat.libc.fcntl(fd, F_GETFD, 0) >= 0) {
                open.add(fd);
            }
        }
        open.sort(null);
        return open;
    }

    List<Integer> pollReadable(int[] fds, int timeoutMillis) {
        if (fds.length == 0) {
            throw new IllegalArgumentException("poll: no descriptors");
        }
        Pointer pollfds = nat.allocate(fds.length * 8);
        for (int i = 0; i < fds.length; i++) {
            pollfds.putInt(i * 8L, fds[i]);
            pollfds.putShort(i * 8L + 4, POLLIN);
        }
        int ready = nat.libc.poll(pollfds, fds.length, timeoutMillis < 0 ? -1 : timeoutMillis);
        List<Integer> readable = new ArrayList<>();
        if (ready < 0) {
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                return readable;
            }
            throw nat.failure("poll", errno, fds.length + " descriptors");
        }
        for (int i = 0; i < fds.length && readable.size() < ready; i++) {
            short revents = pollfds.getShort(i * 8L + 6);
            if ((revents & POLLNVAL) != 0) {
                throw nat.failure("poll", Errno.EBADF, "fd " + fds[i] + " is not open (POLLNVAL)");
            }
            if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                readable.add(fds[i]);
            }
        }
        return readable;
    }

    boolean peerClosed(int fd) {
        Pointer pollfd = nat.allocate(8);
        pollfd.putInt(0, fd);
        pollfd.putShort(4, POLLRDHUP);
        int ready;
        do {
            ready = nat.libc.poll(pollfd, 1, 0);
        } while (ready < 0 && nat.errno() == Errno.EINTR);
        if (ready < 0) {
            throw nat.failure("poll", "POLLRDHUP on fd " + fd);
        }
        short revents = pollfd.getShort(6);
        if ((revents & POLLNVAL) != 0) {
            throw nat.failure("poll", Errno.EBADF, "fd " + fd + " is not open (POLLNVAL)");
        }
        return (revents & (POLLRDHUP | POLLHUP)) != 0;
    }
}
