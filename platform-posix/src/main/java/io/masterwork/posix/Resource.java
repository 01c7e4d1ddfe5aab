package io.masterwork.posix;

/** setrlimit resources masterwork sets. */
public enum Resource {
    CORE(4), NOFILE(7),
    /** RLIMIT_NICE: how far an unprivileged thread may lower its nice value, as 20 - nice (0: not at all). */
    NICE(13);

    public final int value;

    Resource(int value) {
        this.value = value;
    }
}
