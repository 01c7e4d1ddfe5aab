package io.masterwork.master.control;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import java.time.Duration;

/**
 * The other end of the control socket, for the command line and for tests: plain JDK Unix-domain
 * channels, one command, one answer (up to the empty line that ends it).
 */
public final class ControlClient implements Closeable {
    private final Path path;
    private final SocketChannel channel;
    private final Selector selector;
    /** Bytes read past the end of the previous answer. */
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    private ControlClient(Path path, SocketChannel channel, Selector selector) {
        this.path = path;
        this.channel = channel;
        this.selector = selector;
    }

    /** Why no master could be reached, in words for a person. */
    public static final class Unreachable extends IOException {
        private final boolean stale;

        Unreachable(String message, boolean stale, Throwable cause) {
            super(message, cause);
            this.stale = stale;
        }

        /** The socket file exists but nothing listens on it: the master that made it is gone. */
        public boolean stale() {
            return stale;
        }
    }

    public static ControlClient connect(Path path) throws IOException {
        if (!Files.exists(path)) {
            throw new Unreachable("control socket " + path + " does not exist (is masterwork running?)", false, null);
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            channel.close();
            String reason = String.valueOf(e.getMessage());
            if (reason.contains("refused")) {
                throw new Unreachable("nothing listens on control socket " + path
                        + " (a master that is gone left it behind; is masterwork running?)", true, e);
            }
            throw new Unreachable("cannot connect to control socket " + path + ": " + reason, false, e);
        }
        try {
            checkServer(path, channel);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        channel.configureBlocking(false);
        Selector selector = Selector.open();
        channel.register(selector, SelectionKey.OP_READ);
        return new ControlClient(path, channel, selector);
    }

    /** Thrown when the process behind the socket is neither root nor this user: its answers are not believed. */
    public static final class UntrustedServer extends IOException {
        UntrustedServer(String message) {
            super(message);
        }
    }

    /**
     * The master's user is root or the operator's own: a socket served by anyone else (someone who could write
     * the directory and put a listener of their own at the path, a worker user among them) is not talked to.
     * The kernel's SO_PEERCRED names the process that listens, whatever the file's owner says.
     */
    private static void checkServer(Path path, SocketChannel channel) throws IOException {
        UnixDomainPrincipal server = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        UserPrincipal self = Files.getOwner(Path.of("/proc/self"));
        UserPrincipal root = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root");
        if (!server.user().equals(self) && !server.user().equals(root)) {
            throw new UntrustedServer("control socket " + path + " is served by user " + server.user().getName()
                    + ", neither root nor " + self.getName() + ": not a master of yours, its answers are not believed");
        }
    }

    /**
     * Sends one command and returns its answer without the empty line that ends it. {@code timeout}
     * bounds the wait for the whole answer; null waits as long as the master keeps the connection.
     */
    public String ask(String command, Duration timeout) throws IOException {
        ByteBuffer request = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
        IOException writeFailure = null;
        try {
            while (request.hasRemaining()) {
                // A fresh Unix socket takes a short line at once; this only loops if the master stopped reading.
                if (channel.write(request) == 0) {
                    Thread.onSpinWait();
                }
            }
        } catch (IOException e) {
            // A master that refuses a client writes why and closes before the command arrives: read its line.
            writeFailure = e;
        }
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        ByteBuffer buffer = ByteBuffer.allocate(16384);
        for (;;) {
            String answer = takeAnswer();
            if (answer != null) {
                return answer;
            }
            long left = deadline == Long.MAX_VALUE ? 0 : deadline - System.nanoTime();
            if (deadline != Long.MAX_VALUE && left <= 0) {
                throw new IOException("no answer to \"" + command + "\" on control socket " + path + " within "
                        + timeout.toSeconds() + " s");
            }
            selector.select(deadline == Long.MAX_VALUE ? 0 : Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
            buffer.clear();
            int n;
            try {
                n = channel.read(buffer);
            } catch (IOException e) {
                // Linux reports ECONNRESET after the data when the master closed with our command unread.
                n = -1;
                if (pending.size() == 0) {
                    throw writeFailure != null ? writeFailure : e;
                }
            }
            if (n < 0) {
                String partial = pending.toString(StandardCharsets.UTF_8).strip();
                if (!partial.isEmpty()) {
                    // A refusal closes the connection right after its line.
                    pending.reset();
                    return partial;
                }
                if (writeFailure != null) {
                    throw writeFailure;
                }
                throw new IOException("the master closed control socket " + path + " without answering \"" + command + "\"");
            }
            pending.write(buffer.array(), 0, n);
        }
    }

    private String takeAnswer() {
        byte[] bytes = pending.toByteArray();
        for (int i = 0; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\n' && bytes[i + 1] == '\n') {
                pending.reset();
                pending.write(bytes, i + 2, bytes.length - i - 2);
                return new String(bytes, 0, i, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
