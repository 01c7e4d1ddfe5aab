package io.masterwork.posix;

/** A user from the password database with every group it belongs to (primary first). */
public record UserInfo(String name, int uid, int gid, String home, int[] groups) {
}
