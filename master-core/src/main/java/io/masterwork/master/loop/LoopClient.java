package io.masterwork.master.loop;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One accepted connection of a {@link LoopServer}: its descriptor, the bytes received so far, the answers that
 * wait for room in its socket, and its two deadlines. Touched only on the master's loop thread.
 */
public abstract class LoopClient {
    private final int fd;
    private final ByteBuffer in;
    private final Deque<ByteBuffer> out = new ArrayDeque<>();
    private int queuedBytes;
    private long readDeadlineNanos;
    private long blockedSinceNanos;
    private boolean closed;

    /**
     * A client just accepted.
     *
     * @param fd                the accepted, non-blocking socket; the client owns it from here
     * @param inputBytes        the most it holds of what the peer sent and was not consumed yet
     * @param readDeadlineNanos by when ({@link System#nanoTime()}) the peer must have sent what is awaited
     */
    protected LoopClient(int fd, int inputBytes, long readDeadlineNanos) {
        this.fd = fd;
        this.in = ByteBuffer.allocate(inputBytes);
        this.readDeadlineNanos = readDeadlineNanos;
    }

    /** Whether the master should poll this client's descriptor for reading now. */
    public abstract boolean wantsInput();

    public final int fd() {
        return fd;
    }

    /** What the peer sent and the owner has not consumed yet, in write mode (position = bytes held). */
    public final ByteBuffer input() {
        return in;
    }

    public final boolean closed() {
        return closed;
    }

    /** Answers queued and not yet wholly written. */
    public final boolean hasOutput() {
        return !out.isEmpty();
    }

    public final int queuedBytes() {
        return queuedBytes;
    }

    public final long readDeadlineNanos() {
        return readDeadlineNanos;
    }

    public final void readDeadlineNanos(long deadline) {
        this.readDeadlineNanos = deadline;
    }

    /** Output has waited for room in the socket for {@code timeoutNanos} or longer. */
    public final boolean writeStalled(long nowNanos, long timeoutNanos) {
        return !out.isEmpty() && nowNanos - blockedSinceNanos >= timeoutNanos;
    }

    /** The client is still expected to send, and its read deadline has passed. */
    public final boolean readOverdue(long nowNanos) {
        return wantsInput() && nowNanos - readDeadlineNanos >= 0;
    }

    // ---- for LoopServer ----------------------------------------------------------------------------------

    final Deque<ByteBuffer> output() {
        return out;
    }

    final void queued(int bytes) {
        queuedBytes += bytes;
    }

    final void blocked(long nowNanos) {
        if (blockedSinceNanos == 0) {
            blockedSinceNanos = nowNanos;
        }
    }

    final void unblocked() {
        blockedSinceNanos = 0;
    }

    final boolean markClosed() {
        boolean wasOpen = !closed;
        closed = true;
        return wasOpen;
    }
}
