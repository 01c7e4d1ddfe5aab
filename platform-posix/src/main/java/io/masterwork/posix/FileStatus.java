package io.masterwork.posix;

/** What fstat(2) says about an open file: the fields masterwork decides on (x86_64 struct stat). */
public record FileStatus(long device, long inode, long links, int mode, int uid, int gid, long size) {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFIFO = 0010000;
    private static final int S_IFSOCK = 0140000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    public boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /** The permission bits, e.g. 0644. */
    public int permissions() {
        return mode & 07777;
    }

    /** "regular file", "FIFO", "directory", ...: for messages naming what was found instead of a file. */
    public String kind() {
        return switch (mode & S_IFMT) {
            case S_IFREG -> "regular file";
            case S_IFDIR -> "directory";
            case S_IFIFO -> "FIFO";
            case S_IFSOCK -> "socket";
            case S_IFLNK -> "symbolic link";
            case S_IFCHR -> "character device";
            case S_IFBLK -> "block device";
            default -> "file of type 0" + Integer.toOctalString(mode & S_IFMT);
        };
    }
}
