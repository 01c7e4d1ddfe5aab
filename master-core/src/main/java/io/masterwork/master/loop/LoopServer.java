package io.masterwork.master.loop;

import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A listening socket served on the master's loop, the plumbing the control socket and the status page share: the
 * listener and every client are polled descriptors, accepts, reads and writes never block, and what a full socket
 * did not take waits in the client's queue for the next turn. What the bytes mean, who is admitted and when a
 * client is done stay with the owner. Used only on the master's loop thread.
 *
 * @param <C> the owner's client
 */
public final class LoopServer<C extends LoopClient> {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /** Without POLLOUT from the master's poll, a client whose socket was full is retried this often. */
    private static final long FLUSH_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final Posix posix;
    private final int listener;
    private final String name;
    private final Map<Integer, C> clients = new LinkedHashMap<>();

    /**
     * Serves {@code listener}.
     *
     * @param posix    the calls the sockets are served with
     * @param listener a listening, non-blocking socket the server owns from here; -1 for none (the server is off)
     * @param name     what the log calls the socket, e.g. {@code control socket /run/masterwork.sock}
     */
    public LoopServer(Posix posix, int listener, String name) {
        this.posix = posix;
        this.listener = listener;
        this.name = name;
    }

    /** The listening socket, or -1 when the server is off. */
    public int listener() {
        return listener;
    }

    /** The listener and the clients that want input: what the master polls for reading. */
    public int[] descriptors() {
        if (listener < 0) {
            return new int[0];
        }
        int[] fds = new int[1 + clients.size()];
        int n = 0;
        fds[n++] = listener;
        for (C c : clients.values()) {
            if (c.wantsInput()) {
                fds[n++] = c.fd();
            }
        }
        return n == fds.length ? fds : Arrays.copyOf(fds, n);
    }

    /** The clients now, a copy: closing one while going through it is safe. */
    public List<C> clients() {
        return new ArrayList<>(clients.values());
    }

    public int clientCount() {
        return clients.size();
    }

    /** Polls {@code client} from now on; the owner calls it when it admits a connection it was handed. */
    public void add(C client) {
        clients.put(client.fd(), client);
    }

    /**
     * The master's poll found {@code fd} readable: the listener's waiting connections go to {@code accepted} (see
     * {@link #acceptAll}), a client's input to {@code received}; a descriptor closed meanwhile is ignored.
     */
    public void readable(int fd, IntConsumer accepted, Consumer<C> received) {
        if (fd == listener) {
            acceptAll(accepted);
            return;
        }
        C client = clients.get(fd);
        if (client != null) {
            received.accept(client);
        }
    }

    /**
     * Accepts every connection waiting on the listener and hands each descriptor to {@code accepted}, which owns it
     * from then on. A failing accept (EMFILE and the like) is logged and ends this turn: the pending client stays
     * queued and the next turn tries again.
     */
    private void acceptAll(IntConsumer accepted) {
        for (;;) {
            int fd;
            try {
                fd = posix.accept(listener);
            } catch (PosixException e) {
                log.error("{}: {}", name, e.getMessage());
                return;
            }
            if (fd < 0) {
                return;
            }
            accepted.accept(fd);
        }
    }

    /**
     * Reads what the client's socket holds now into its {@linkplain LoopClient#input() input}, until the socket has
     * no more or the input is full.
     *
     * @return false when the peer has shut down its side (end of file)
     * @throws PosixException when the read fails (the peer reset the connection, say); the owner closes the client
     */
    public boolean readAvailable(C client) {
        ByteBuffer in = client.input();
        while (in.hasRemaining()) {
            int n = posix.read(client.fd(), in);
            if (n < 0) {
                break;
            }
            if (n == 0) {
                return false;
            }
        }
        return true;
    }

    /** Queues {@code bytes} behind what waits for the client already; {@link #flush} writes them. */
    public void queue(C client, byte[] bytes) {
        client.output().add(ByteBuffer.wrap(bytes));
        client.queued(bytes.length);
    }

    /**
     * Writes what the client's socket takes now, in order; what it does not take waits for the next call, and
     * the time it started waiting is what {@link LoopClient#writeStalled} measures.
     *
     * @return true when nothing is left to write; false for a client closed already
     * @throws PosixException when the write fails (EPIPE, ECONNRESET: the client left before its answer); the owner
     *                        closes the client
     */
    public boolean flush(C client) {
        if (client.closed()) {
            return false;
        }
        while (!client.output().isEmpty()) {
            ByteBuffer head = client.output().peek();
            int n = posix.sendMessage(client.fd(), head, -1);
            if (n < 0) {
                client.blocked(System.nanoTime());
                return false;
            }
            client.queued(-n);
            if (!head.hasRemaining()) {
                client.output().poll();
            }
        }
        client.unblocked();
        return true;
    }

    /**
     * When the master's timer should call next: soon for a client whose answer waits for room (the master's poll
     * does not watch for POLLOUT), at the read deadline of a client that is expected to send.
     */
    public long nextTimerNanos() {
        long next = Long.MAX_VALUE;
        long now = System.nanoTime();
        for (C c : clients.values()) {
            if (c.hasOutput()) {
                next = Math.min(next, now + FLUSH_RETRY_NANOS);
            }
            if (c.wantsInput()) {
                next = Math.min(next, c.readDeadlineNanos());
            }
        }
        return next;
    }

    /**
     * Forgets the client and closes its socket.
     *
     * @return false when it was closed already
     */
    public boolean close(C client) {
        if (!client.markClosed()) {
            return false;
        }
        clients.remove(client.fd());
        posix.closeQuietly(client.fd());
        return true;
    }

    /** Closes the listener (the clients are the owner's to close first). */
    public void closeListener() {
        if (listener >= 0) {
            posix.closeQuietly(listener);
        }
    }
}
