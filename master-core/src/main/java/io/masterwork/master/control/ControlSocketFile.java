package io.masterwork.master.control;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The socket file's life outside the socket: before binding, a file left by a master that died is
 * removed (nobody accepts on it), while a socket someone still listens on means another master and is
 * refused; at exit the file is removed only if it is still the one this master created.
 */
final class ControlSocketFile {
    private ControlSocketFile() {
    }

    /** What a bind at {@code path} needs first; returns a line for the log when a stale socket was removed. */
    static String clearStale(Path path) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("control socket " + path + ": cannot inspect the existing file: " + e, e);
        }
        // A socket is neither a regular file, a directory nor a link: Java calls it "other".
        if (!attributes.isOther()) {
            throw new IllegalStateException("control socket " + path + " exists and is not a socket; remove it or set"
                    + " control_socket to another path");
        }
        if (acceptsConnections(path)) {
            throw new IllegalStateException("control socket " + path + " is in use: another master (or another"
                    + " program) listens on it; stop that master first, or give this one another control_socket");
        }
        try {
            Files.delete(path);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new IllegalStateException("control socket " + path + ": cannot remove the stale socket: " + e, e);
        }
        return "removed the stale control socket " + path + " (nothing listened on it)";
    }

    /** A connect that is not refused means a live listener (ECONNREFUSED is what a dead master's file gives). */
    static boolean acceptsConnections(Path path) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // Non-blocking: a listener with a full backlog must not hang the master's start-up.
            probe.configureBlocking(false);
            probe.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (ConnectException e) {
            return false;
        } catch (IOException e) {
            String message = String.valueOf(e.getMessage());
            if (message.contains("Connection refused")) {
                return false;
            }
            // EACCES and the like: someone else's socket; do not take it over.
            return true;
        }
    }

    /** The file's identity (device and inode), to recognise it at exit. */
    static Object identity(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Removes the file if it is still the one with this identity (a newer master may have replaced it). */
    static boolean removeIfSame(Path path, Object identity) {
        if (identity == null || !Objects.equals(identity(path), identity)) {
            return false;
        }
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            return false;
        }
    }
}
