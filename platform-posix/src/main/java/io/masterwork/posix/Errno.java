package io.masterwork.posix;

/**
 * Linux errno numbers (x86_64) and their symbolic names. Only the names are ours; the human message
 * comes from the C library's strerror so that it matches what every other tool prints.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int E2BIG = 7;
    public static final int ENOEXEC = 8;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int ENOTTY = 25;
    public static final int ETXTBSY = 26;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int EMLINK = 31;
    public static final int EPIPE = 32;
    public static final int ERANGE = 34;
    public static final int EDEADLK = 35;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENOTSOCK = 88;
    public static final int EDESTADDRREQ = 89;
    public static final int EMSGSIZE = 90;
    public static final int EPROTOTYPE = 91;
    public static final int ENOPROTOOPT = 92;
    public static final int EPROTONOSUPPORT = 93;
    public static final int EOPNOTSUPP = 95;
    public static final int EAFNOSUPPORT = 97;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENETDOWN = 100;
    public static final int ENETUNREACH = 101;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int EISCONN = 106;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EHOSTUNREACH = 113;
    public static final int EALREADY = 114;
    public static final int EINPROGRESS = 115;

    private static final String[] NAMES = new String[134];

    static {
        name(EPERM, "EPERM");
        name(ENOENT, "ENOENT");
        name(ESRCH, "ESRCH");
        name(EINTR, "EINTR");
        name(EIO, "EIO");
        name(ENXIO, "ENXIO");
        name(E2BIG, "E2BIG");
        name(ENOEXEC, "ENOEXEC");
        name(EBADF, "EBADF");
        name(ECHILD, "ECHILD");
        name(EAGAIN, "EAGAIN");
        name(ENOMEM, "ENOMEM");
        name(EACCES, "EACCES");
        name(EFAULT, "EFAULT");
        name(EBUSY, "EBUSY");
        name(EEXIST, "EEXIST");
        name(EXDEV, "EXDEV");
        name(ENODEV, "ENODEV");
        name(ENOTDIR, "ENOTDIR");
        name(EISDIR, "EISDIR");
        name(EINVAL, "EINVAL");
        name(ENFILE, "ENFILE");
        name(EMFILE, "EMFILE");
        name(ENOTTY, "ENOTTY");
        name(ETXTBSY, "ETXTBSY");
        name(EFBIG, "EFBIG");
        name(ENOSPC, "ENOSPC");
        name(ESPIPE, "ESPIPE");
        name(EROFS, "EROFS");
        name(EMLINK, "EMLINK");
        name(EPIPE, "EPIPE");
        name(ERANGE, "ERANGE");
        name(EDEADLK, "EDEADLK");
        name(ENAMETOOLONG, "ENAMETOOLONG");
        name(ENOSYS, "ENOSYS");
        name(ENOTEMPTY, "ENOTEMPTY");
        name(ELOOP, "ELOOP");
        name(ENOTSOCK, "ENOTSOCK");
        name(EDESTADDRREQ, "EDESTADDRREQ");
        name(EMSGSIZE, "EMSGSIZE");
        name(EPROTOTYPE, "EPROTOTYPE");
        name(ENOPROTOOPT, "ENOPROTOOPT");
        name(EPROTONOSUPPORT, "EPROTONOSUPPORT");
        name(EOPNOTSUPP, "EOPNOTSUPP");
        name(EAFNOSUPPORT, "EAFNOSUPPORT");
        name(EADDRINUSE, "EADDRINUSE");
        name(EADDRNOTAVAIL, "EADDRNOTAVAIL");
        name(ENETDOWN, "ENETDOWN");
        name(ENETUNREACH, "ENETUNREACH");
        name(ECONNABORTED, "ECONNABORTED");
        name(ECONNRESET, "ECONNRESET");
        name(ENOBUFS, "ENOBUFS");
        name(EISCONN, "EISCONN");
        name(ENOTCONN, "ENOTCONN");
        name(ETIMEDOUT, "ETIMEDOUT");
        name(ECONNREFUSED, "ECONNREFUSED");
        name(EHOSTUNREACH, "EHOSTUNREACH");
        name(EALREADY, "EALREADY");
        name(EINPROGRESS, "EINPROGRESS");
    }

    private Errno() {
    }

    private static void name(int errno, String name) {
        NAMES[errno] = name;
    }

    /** "EAGAIN" for 11; "errno 200" for a number this table does not know. */
    public static String name(int errno) {
        if (errno > 0 && errno < NAMES.length && NAMES[errno] != null) {
            return NAMES[errno];
        }
        return "errno " + errno;
    }
}
