package io.masterwork.master.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/**
 * Whether a master (usually root) may execute a file on USR2: the file and every directory on its way from {@code /}
 * belong to root or to the master's own user, and none of them is writable by group or others — so that no worker (which
 * runs as another user) and nobody else could have put something else there. Each component is looked at with
 * lstat(2), never through a link: a symbolic link is followed only when the directory holding it passed (so nobody else
 * could have placed or replaced it), and its target is checked the same way, component by component. A world-writable
 * directory with the sticky bit ({@code /tmp}) is passed through only towards an entry of root or the master's user,
 * which nobody else may rename or remove there.
 */
final class TrustedExecutable {
    /** As the kernel's own limit on links followed while resolving one path. */
    private static final int MAX_LINKS = 40;
    private static final Set<PosixFilePermission> OTHERS_MAY_WRITE =
            Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

    private TrustedExecutable() {
    }

    /** Null when {@code path} may be executed by a master of uid {@code masterUid}; otherwise why not. */
    static String refusal(Path path, int masterUid) {
        if (!path.isAbsolute()) {
            return "not an absolute path";
        }
        Deque<String> remaining = new ArrayDeque<>();
        for (Path name : path) {
            remaining.add(name.toString()); // not normalised: ".." after a link is physical
        }
        Path current = path.getRoot();
        String rootProblem = untrusted(current, masterUid, true);
        if (rootProblem != null) {
            return current + " " + rootProblem;
        }
        boolean parentSticky = false;
        int links = 0;
        while (!remaining.isEmpty()) {
            String name = remaining.removeFirst();
            if (name.equals(".") || name.isEmpty()) {
                continue;
            }
            if (name.equals("..")) {
                current = current.getParent() == null ? current : current.getParent();
                continue;
            }
            Path next = current.resolve(name);
            PosixFileAttributes attributes;
            try {
                attributes = Files.readAttributes(next, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                return next + " cannot be looked at: " + e;
            }
            if (attributes.isSymbolicLink()) {
                if (parentSticky && !ownedByTrusted(next, masterUid)) {
                    return next + " is a link of another user in the world-writable directory " + current;
                }
                if (++links > MAX_LINKS) {
                    return path + " goes through more than " + MAX_LINKS + " links";
                }
                Path target;
                try {
                    target = Files.readSymbolicLink(next);
                } catch (IOException e) {
                    return next + " cannot be read: " + e;
                }
                Deque<String> rest = new ArrayDeque<>();
                for (Path n : target) {
                    rest.add(n.toString());
                }
                rest.addAll(remaining);
                remaining = rest;
                if (target.isAbsolute()) {
                    current = target.getRoot();
                    parentSticky = false;
                }
                continue;
            }
            boolean last = remaining.isEmpty();
            String problem = untrusted(next, masterUid, !last);
            if (problem != null) {
                return next + " " + problem;
            }
            if (!last && !attributes.isDirectory()) {
                return next + " is not a directory";
            }
            if (last && !attributes.isRegularFile()) {
                return next + " is not a regular file";
            }
            if (last && !Files.isExecutable(next)) {
                return next + " is not executable";
            }
            parentSticky = attributes.isDirectory() && sticky(next) && othersMayWrite(attributes);
            current = next;
        }
        return null;
    }

    /** Why {@code p} (already known not to be a link) cannot be trusted, or null. */
    private static String untrusted(Path p, int masterUid, boolean directory) {
        int owner;
        PosixFileAttributes attributes;
        try {
            owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            attributes = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return "cannot be looked at: " + e;
        }
        if (owner != 0 && owner != masterUid) {
            return "belongs to uid " + owner + ", neither root nor the master's user (uid " + masterUid + ")";
        }
        if (othersMayWrite(attributes) && !(directory && sticky(p))) {
            return "is writable by " + (attributes.permissions().contains(PosixFilePermission.OTHERS_WRITE) ? "others" : "its group")
                    + " (mode " + java.nio.file.attribute.PosixFilePermissions.toString(attributes.permissions()) + ")";
        }
        return null;
    }

    private static boolean ownedByTrusted(Path p, int masterUid) {
        try {
            int owner = (Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            return owner == 0 || owner == masterUid;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean othersMayWrite(PosixFileAttributes attributes) {
        return attributes.permissions().stream().anyMatch(OTHERS_MAY_WRITE::contains);
    }

    private static boolean sticky(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 01000) != 0;
        } catch (IOException e) {
            return false;
        }
    }
}
