package io.masterwork.worker.http;

import io.masterwork.posix.LogTime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * nginx's access log in the {@code combined} format, one unbuffered append per request (nginx's
 * default without {@code buffer=}): a worker killed at any moment has logged every finished request.
 * Reopened by path on REOPEN, so a rotated file is left to the rotation and a new one starts.
 * Used on the event loop thread only.
 */
final class AccessLog implements AutoCloseable {
    /** stat(2)'s file type bits, and the type of a character device. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final Logger log = LoggerFactory.getLogger(AccessLog.class);

    private final Path path;
    private FileChannel file;
    private boolean failureLogged;

    private AccessLog(Path path, FileChannel file) {
        this.path = path;
        this.file = file;
    }

    /** Opens (creating) the file for appending; relative paths resolve against the prefix. */
    static AccessLog open(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !java.nio.file.Files.isDirectory(parent)) {
            // Like the master does for error_log and the pid file.
            java.nio.file.Files.createDirectories(parent);
        }
        return new AccessLog(path, openFile(path));
    }

    /**
     * A regular file or a character device (/dev/null: the spare's rehearsal writes there), never through a symbolic
     * link: the log directory may be writable by the worker user, and a FIFO put there would block the event loop in
     * open(2) (the JDK has no O_NONBLOCK to open with). A character device cannot be put there by the worker user
     * (mknod needs CAP_MKNOD), so one at the configured path was put there by its administrator.
     */
    private static FileChannel openFile(Path path) throws IOException {
        try {
            java.nio.file.attribute.BasicFileAttributes found = java.nio.file.Files.readAttributes(path,
                    java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (!found.isRegularFile() && !isCharacterDevice(path)) {
                throw new IOException(path + " is " + (found.isSymbolicLink() ? "a symbolic link" : found.isDirectory()
                        ? "a directory" : "a FIFO, socket or block device") + ", not a regular file");
            }
        } catch (java.nio.file.NoSuchFileException absent) {
            // created below
        }
        return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
                java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    private static boolean isCharacterDevice(Path path) throws IOException {
        int mode = (Integer) java.nio.file.Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return (mode & S_IFMT) == S_IFCHR;
    }

    Path path() {
        return path;
    }

    /**
     * {@code $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
     * "$http_referer" "$http_user_agent"}.
     */
    void write(SocketAddress remote, String request, int status, long bodyBytes, String referer, String userAgent) {
        String remoteAddr = remote instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : "-";
        StringBuilder line = new StringBuilder(160);
        line.append(remoteAddr).append(" - - [")
                .append(LogTime.accessLog(System.currentTimeMillis()))
                .append("] \"").append(escape(request)).append("\" ")
                .append(status).append(' ').append(bodyBytes)
                .append(" \"").append(referer == null ? "-" : escape(referer))
                .append("\" \"").append(userAgent == null ? "-" : escape(userAgent)).append("\"\n");
        ByteBuffer bytes = ByteBuffer.wrap(line.toString().getBytes(StandardCharsets.UTF_8));
        try {
            while (bytes.hasRemaining()) {
                file.write(bytes);
            }
        } catch (IOException e) {
            if (!failureLogged) {
                failureLogged = true;
                log.error("cannot write the access log {}: {}", path, e.toString());
            }
        }
    }

    /** USR1 on the master: open the path again (the old file was moved away), then close the old one. */
    void reopen() {
        FileChannel fresh;
        try {
            fresh = openFile(path);
        } catch (IOException e) {
            log.error("cannot reopen the access log {}: {}; still writing the old file", path, e.toString());
            return;
        }
        FileChannel old = file;
        file = fresh;
        failureLogged = false;
        try {
            old.close();
        } catch (IOException e) {
            log.debug("closing the old access log: {}", e.toString());
        }
    }

    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            log.debug("closing the access log: {}", e.toString());
        }
    }

    /** nginx's escaping of log variables: {@code "}, {@code \} and control bytes as {@code \xHH}. */
    static String escape(String value) {
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean special = c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
            if (special && out == null) {
                out = new StringBuilder(value.length() + 16).append(value, 0, i);
            }
            if (out != null) {
                if (special) {
                    out.append(String.format("\\x%02X", (int) c));
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? value : out.toString();
    }
}
