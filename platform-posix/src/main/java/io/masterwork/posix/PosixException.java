package io.masterwork.posix;

/** A failed native call: names the call, the errno and its message. */
public class PosixException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;
    private final String errnoName;

    public PosixException(String call, int errno, String errnoName, String message) {
        super(call + ": " + errnoName + " (" + errno + "): " + message);
        this.call = call;
        this.errno = errno;
        this.errnoName = errnoName;
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    /** "EAGAIN", "EPIPE", ... */
    public String errnoName() {
        return errnoName;
    }
}
