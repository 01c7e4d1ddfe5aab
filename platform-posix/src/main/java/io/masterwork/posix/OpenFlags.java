package io.masterwork.posix;

/** open(2) flag bits on Linux x86_64. */
public final class OpenFlags {
    public static final int RDONLY = 0;
    public static final int WRONLY = 1;
    public static final int RDWR = 2;
    public static final int CREAT = 0100;
    public static final int EXCL = 0200;
    public static final int NOCTTY = 0400;
    public static final int TRUNC = 01000;
    public static final int APPEND = 02000;
    public static final int NONBLOCK = 04000;
    public static final int DIRECTORY = 0200000;
    /** The last component of the path must not be a symbolic link (ELOOP). */
    public static final int NOFOLLOW = 0400000;
    /** Added by {@link Posix#open} to every open anyway. */
    public static final int CLOEXEC = 02000000;

    private OpenFlags() {
    }
}
