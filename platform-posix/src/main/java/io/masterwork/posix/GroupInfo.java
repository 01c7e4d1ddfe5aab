package io.masterwork.posix;

/** A group from the group database. */
public record GroupInfo(String name, int gid) {
}
