package io.masterwork.posix;

/** A soft and hard limit; {@link #INFINITY} is RLIM_INFINITY. */
public record Rlimit(long soft, long hard) {
    public static final long INFINITY = -1L;
}
