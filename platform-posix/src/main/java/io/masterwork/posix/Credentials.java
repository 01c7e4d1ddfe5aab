package io.masterwork.posix;

/** The peer of a Unix socket, as the kernel reports it (SO_PEERCRED). */
public record Credentials(int pid, int uid, int gid) {
}
