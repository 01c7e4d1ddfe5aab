package io.masterwork.posix;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The title {@code ps} shows, like nginx's {@code ngx_setproctitle}: a JVM cannot touch its own argv
 * memory, but Linux lets a process write that area through /proc/self/mem. The area can be rewritten,
 * not grown, so a title longer than the original command line is cut.
 *
 * <p>The last byte of the area is left non-NUL: Linux then reads the title as one string up to its
 * first NUL (the setproctitle convention), so /proc/&lt;pid&gt;/cmdline is exactly the title.
 */
public final class ProcessTitle {
    private ProcessTitle() {
    }

    /** This process's argv, from /proc/self/cmdline. */
    public static List<String> commandLine() {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            if (start < raw.length) {
                args.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
            }
            return args;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/cmdline", e);
        }
    }

    /**
     * The argv area held open for a later title: /proc/self/mem is checked when it is opened, so a process that
     * will drop its privileges (setuid from root makes it non-dumpable) opens it first and can still retitle
     * itself afterwards — a spare worker does, when it is promoted. Null where Linux does not allow it.
     */
    public static Rewriter rewriter() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            long argStart = Long.parseLong(fields[48 - 3]);
            long argEnd = Long.parseLong(fields[49 - 3]);
            if (argEnd - argStart < 2) {
                return null;
            }
            return new Rewriter(new RandomAccessFile("/proc/self/mem", "rw"), argStart, (int) (argEnd - argStart));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** An open argv area: {@link #set} rewrites the title in place (cut to the area), {@link #close} lets it go. */
    public static final class Rewriter implements java.io.Closeable {
        private final RandomAccessFile mem;
        private final long argStart;
        private final int size;

        private Rewriter(RandomAccessFile mem, long argStart, int size) {
            this.mem = mem;
            this.argStart = argStart;
            this.size = size;
        }

        /** As {@link ProcessTitle#set}; false when the write failed. */
        public boolean set(String title) {
            byte[] area = new byte[size];
            byte[] text = title.getBytes(StandardCharsets.UTF_8);
            int n = Math.min(text.length, size - 2);
            System.arraycopy(text, 0, area, 0, n);
            Arrays.fill(area, n, size - 1, (byte) 0);
            area[size - 1] = ' ';
            try {
                mem.seek(argStart);
                mem.write(area);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        @Override
        public void close() {
            try {
                mem.close();
            } catch (IOException ignored) {
                // nothing was written through it that a close could lose
            }
        }
    }

    /** Replaces the process title; returns false (and changes nothing) where Linux does not allow it. */
    public static boolean set(String title) {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // Fields after the command name, which is in parentheses and may itself hold spaces.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // arg_start and arg_end are fields 48 and 49 of stat; fields[0] here is field 3.
            long argStart = Long.parseLong(fields[48 - 3]);
            long argEnd = Long.parseLong(fields[49 - 3]);
            int size = (int) (argEnd - argStart);
            if (size < 2) {
                return false;
            }
            byte[] area = new byte[size];
            byte[] text = title.getBytes(StandardCharsets.UTF_8);
            int n = Math.min(text.length, size - 2);
            System.arraycopy(text, 0, area, 0, n);
            Arrays.fill(area, n, size - 1, (byte) 0);
            area[size - 1] = ' ';
            try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "rw")) {
                mem.seek(argStart);
                mem.write(area);
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
