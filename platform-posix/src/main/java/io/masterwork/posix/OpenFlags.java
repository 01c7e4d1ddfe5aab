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

    private OpenFlags() {
    }
}
