package io.masterwork.master.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The directories that hold what a root master trusts by path (its logs, its pid file, its control socket), and
 * everyone else who could write into them: whoever can, can replace those files (a worker user that owns the
 * log directory, as some nginx packages set up, is the classic case). The master does not follow such files any
 * more, but says so loudly, as the way to make the question moot is to fix the directory.
 */
public final class WritableDirectories {
    private WritableDirectories() {
    }

    /**
     * One warning per directory (and per ancestor up to /) that a user other than {@code masterUid} and root can
     * write: owned by another user, or group- or world-writable without the sticky bit (a sticky /tmp lets no one
     * replace another user's entry).
     */
    public static List<String> warnings(Collection<Path> directories, int masterUid) {
        Set<Path> seen = new LinkedHashSet<>();
        for (Path dir : directories) {
            for (Path d = dir; d != null; d = d.getParent()) {
                seen.add(d);
            }
        }
        List<String> out = new ArrayList<>();
        for (Path dir : seen) {
            String why = whoElseWrites(dir, masterUid);
            if (why != null) {
                out.add("directory " + dir + " " + why + ": whoever can write it can replace the logs, the pid file or"
                        + " the control socket the master keeps there; make it writable by the master's user only");
            }
        }
        return out;
    }

    private static int gid(Path dir) {
        try {
            return (Integer) Files.getAttribute(dir, "unix:gid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String whoElseWrites(Path dir, int masterUid) {
        PosixFileAttributes attributes;
        int uid;
        try {
            attributes = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            uid = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 01000) != 0) {
                return null; // sticky: entries can be replaced only by their owners
            }
        } catch (IOException | UnsupportedOperationException e) {
            return null; // not there yet (the master creates it) or not a POSIX file system
        }
        if (!attributes.isDirectory()) {
            return null;
        }
        Set<PosixFilePermission> permissions = attributes.permissions();
        if (uid != masterUid && uid != 0) {
            return "is owned by " + attributes.owner().getName() + " (uid " + uid + ")";
        }
        if (permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
            return "is writable by everyone";
        }
        if (permissions.contains(PosixFilePermission.GROUP_WRITE) && gid(dir) != 0) {
            return "is writable by group " + attributes.group().getName();
        }
        return null;
    }
}
