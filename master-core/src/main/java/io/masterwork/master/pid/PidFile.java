package io.masterwork.master.pid;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.OptionalInt;

/**
 * The master's pid file, as nginx keeps it: one decimal pid and a newline. Written atomically (a
 * temporary file in the same directory, then rename), so a reader never sees a half-written pid; read by
 * {@code -s} and by a start that must not run a second master beside a live one.
 */
public final class PidFile {
    /** What /proc/&lt;pid&gt;/cmdline shows for a masterwork master: the CLI's main class, or the title set later. */
    static final String MAIN_CLASS = "io.masterwork.master.cli.Masterwork";
    static final String MASTER_TITLE = "masterwork: master process";

    private static final int MODE = 0644;
    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private final Path path;
    private final Posix posix;

    public PidFile(Path path) {
        this(path, null);
    }

    /** With the native calls to make (a test stands a hostile directory between them); null: the process's own. */
    PidFile(Path path, Posix posix) {
        this.path = path.toAbsolutePath().normalize();
        this.posix = posix;
    }

    public Path path() {
        return path;
    }

    /**
     * Writes {@code pid}, creating missing directories; replaces any previous file atomically. The temporary
     * file is created exclusively (never through a link), given its final mode and filled through that one
     * descriptor: nothing is done by path to it afterwards but the rename, so someone who can write the
     * directory and swaps the file for a link gets no chmod or truncate of the link's target from root.
     */
    public void write(int pid) {
        Posix posix = this.posix != null ? this.posix : NativePosix.get();
        Path tmp;
        try {
            Path dir = path.getParent();
            Files.createDirectories(dir);
            tmp = dir.resolve("." + path.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write pid file " + path + ": " + e.getMessage(), e);
        }
        try {
            int fd = posix.open(tmp.toString(),
                    OpenFlags.WRONLY | OpenFlags.CREAT | OpenFlags.EXCL | OpenFlags.NOFOLLOW, MODE);
            try {
                posix.fchmod(fd, MODE); // the umask may have narrowed it
                ByteBuffer contents = ByteBuffer.wrap((pid + "\n").getBytes(StandardCharsets.US_ASCII));
                while (contents.hasRemaining()) {
                    posix.write(fd, contents);
                }
            } finally {
                posix.close(fd);
            }
            try {
                Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | PosixException e) {
            throw new UncheckedIOException("cannot write pid file " + path + ": " + e.getMessage(),
                    e instanceof IOException io ? io : new IOException(e));
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the rename took it, or it is gone
            }
        }
    }

    /**
     * The pid in the file; empty when there is no file. A file that does not hold a positive decimal pid
     * is an error naming the file (it is neither ours nor trustworthy).
     */
    public OptionalInt read() {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read pid file " + path + ": " + e.getMessage(), e);
        }
        String trimmed = text.trim();
        if (!trimmed.matches("\\d{1,10}") || Long.parseLong(trimmed) < 1 || Long.parseLong(trimmed) > Integer.MAX_VALUE) {
            throw new InvalidPidFileException(path, "does not hold a pid: \"" + abbreviate(trimmed) + "\"");
        }
        return OptionalInt.of(Integer.parseInt(trimmed));
    }

    /** Deletes the file if it exists. */
    public void remove() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove pid file " + path + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the file only while it still names {@code pid} (a successor may already have written its own). */
    public boolean removeIfOwnedBy(int pid) {
        try {
            OptionalInt current = read();
            if (current.isPresent() && current.getAsInt() == pid) {
                remove();
                return true;
            }
        } catch (InvalidPidFileException e) {
            return false;
        }
        return false;
    }

    /** What the pid file says about a running master. */
    public Status status() {
        OptionalInt pid;
        try {
            pid = read();
        } catch (InvalidPidFileException e) {
            return new Status(State.INVALID, 0, e.getMessage());
        }
        if (pid.isEmpty()) {
            return new Status(State.ABSENT, 0, "pid file " + path + " does not exist");
        }
        int p = pid.getAsInt();
        if (!ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false)) {
            return new Status(State.STALE, p, "pid file " + path + " names process " + p + ", which is not running");
        }
        if (!isMasterworkMaster(p)) {
            return new Status(State.STALE, p, "pid file " + path + " names process " + p + ", which is not a masterwork master");
        }
        return new Status(State.LIVE, p, "masterwork master " + p + " is running (pid file " + path + ")");
    }

    /** Whether process {@code pid} is a masterwork master, judged by its /proc/&lt;pid&gt;/cmdline. */
    public static boolean isMasterworkMaster(int pid) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
        } catch (IOException e) {
            return false;
        }
        // a zombie has an empty command line: it is not serving
        if (raw.length == 0) {
            return false;
        }
        String cmdline = new String(raw, StandardCharsets.UTF_8);
        if (cmdline.startsWith(MASTER_TITLE)) {
            return true;
        }
        for (String arg : cmdline.split("\0")) {
            if (arg.equals(MAIN_CLASS)) {
                return true;
            }
        }
        return false;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    @Override
    public String toString() {
        return path.toString();
    }

    public enum State { ABSENT, INVALID, STALE, LIVE }

    /** The pid file's verdict: {@code pid} is 0 for ABSENT and INVALID. */
    public record Status(State state, int pid, String description) {
        public boolean live() {
            return state == State.LIVE;
        }
    }
}
