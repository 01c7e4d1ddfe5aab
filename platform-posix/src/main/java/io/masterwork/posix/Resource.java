package io.masterwork.posix;

/** setrlimit resources masterwork sets. */
public enum Resource {
    CORE(4), NOFILE(7);

    public final int value;

    Resource(int value) {
        this.value = value;
    }
}
