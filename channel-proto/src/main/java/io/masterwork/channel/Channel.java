package io.masterwork.channel;

import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.ReceivedMessage;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One end of a channel socketpair ({@code SOCK_SEQPACKET}: one frame per message), non-blocking.
 *
 * <p>Descriptor ownership: the channel owns its socket from the constructor on and closes it in
 * {@link #close()}. A descriptor passed with {@link #send} stays the caller's (the kernel gives the
 * peer its own copy). A descriptor that arrives with a valid frame belongs to whoever took the
 * {@link Received}; one that arrives with a rejected frame is closed here before {@code receive}
 * returns. So every received descriptor has exactly one owner at every moment.
 *
 * <p>Threads: {@link #receive()} is meant for one reader thread (the event loop) and {@link #send}
 * for one sender thread; both are nevertheless serialised by their own locks, so several senders are
 * safe, and {@link #close()} takes both locks so it can never close a descriptor number under a
 * {@code sendmsg}/{@code recvmsg} in flight. Neither call blocks: a full socket buffer is
 * {@code send == false}, an empty one is {@link Received#WOULD_BLOCK}; wait for readiness elsewhere
 * (poll, epoll).
 *
 * <p>Each direction has its own direct buffer: the native call reads and writes it in place.
 */
public final class Channel implements Closeable {

    private final Posix posix;
    private final int fd;
    private final Object sendLock = new Object();
    private final Object receiveLock = new Object();
    private final ByteBuffer sendBuffer =
            ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    // One byte more than the longest frame: a longer message fills it and is then known to be oversized.
    private final ByteBuffer receiveBuffer =
            ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE + 1).order(ByteOrder.LITTLE_ENDIAN);
    private volatile boolean closed;

    /**
     * Takes ownership of {@code fd} (one end of a SEQPACKET socketpair) and makes it non-blocking.
     * If that fails the descriptor is closed and a {@link ChannelException} thrown.
     */
    public Channel(Posix posix, int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("channel descriptor must be >= 0, got " + fd);
        }
        this.posix = posix;
        this.fd = fd;
        try {
            posix.setNonBlocking(fd, true);
        } catch (PosixException e) {
            posix.closeQuietly(fd); // ours already: nobody else will close it
            throw new ChannelException("channel fd " + fd + ": cannot make it non-blocking: " + e.getMessage(), e);
        }
    }

    public int fd() {
        return fd;
    }

    /**
     * Sends one frame (with its descriptor as SCM_RIGHTS when {@link ChannelFrame#fd()} &gt;= 0).
     *
     * @return true when sent, false when the socket buffer is full (EAGAIN): nothing was sent, retry later
     * @throws ChannelException when the peer is gone (EPIPE, ECONNRESET), the descriptor to pass is
     *                          invalid, or this channel is closed
     */
    public boolean send(ChannelFrame frame) {
        synchronized (sendLock) {
            ensureOpen();
            sendBuffer.clear();
            int size = FrameCodec.encode(frame, sendBuffer);
            sendBuffer.flip();
            int sent;
            try {
                sent = posix.sendMessage(fd, sendBuffer, frame.fd());
            } catch (PosixException e) {
                throw new ChannelException("channel fd " + fd + ": cannot send " + frame + ": " + e.getMessage(), e);
            }
            if (sent < 0) {
                return false;
            }
            if (sent != size) {
                // SEQPACKET sends a message whole or not at all; anything else is a broken socket type.
                throw new ChannelException("channel fd " + fd + ": sent " + sent + " of " + size
                        + " bytes of " + frame + " (is it a SOCK_SEQPACKET socket?)", null);
            }
            return true;
        }
    }

    /** Reads at most one message; never blocks. See {@link Received} for the outcomes. */
    public Received receive() {
        synchronized (receiveLock) {
            ensureOpen();
            receiveBuffer.clear();
            ReceivedMessage message;
            try {
                message = posix.receiveMessage(fd, receiveBuffer);
            } catch (PosixException e) {
                throw new ChannelException("channel fd " + fd + ": cannot receive: " + e.getMessage(), e);
            }
            if (message == null) {
                return Received.WOULD_BLOCK;
            }
            if (message.isEof()) {
                return endOfFileOrEmptyMessage();
            }
            if (message.truncated()) {
                return reject(message.fd(), truncation(message));
            }
            receiveBuffer.flip();
            try {
                return Received.of(FrameCodec.decode(receiveBuffer, message.fd()));
            } catch (FrameException e) {
                return reject(message.fd(), e);
            }
        }
    }

    /**
     * recvmsg(2) returned 0 bytes and no descriptor: the peer closed its end, or it sent an empty message. Only
     * the socket's state tells them apart; an empty message is a malformed frame, and the channel stays open.
     */
    private Received endOfFileOrEmptyMessage() {
        boolean closed;
        try {
            closed = posix.peerClosed(fd);
        } catch (PosixException e) {
            throw new ChannelException("channel fd " + fd + ": cannot tell end of file from an empty message: "
                    + e.getMessage(), e);
        }
        if (closed) {
            return Received.EOF;
        }
        return reject(-1, new FrameException(FrameException.Reason.SHORT_FRAME,
                "an empty message (0 bytes); the peer's end is still open, so not end of file"));
    }

    private static FrameException truncation(ReceivedMessage message) {
        if (message.length() > FrameCodec.MAX_FRAME_SIZE) {
            return new FrameException(FrameException.Reason.OVERSIZED, "message longer than "
                    + FrameCodec.MAX_FRAME_SIZE + " bytes (cut by the kernel)");
        }
        return new FrameException(FrameException.Reason.TOO_MANY_DESCRIPTORS,
                "control data cut by the kernel: more than one descriptor came with a " + message.length()
                        + "-byte message; all were closed");
    }

    private Received reject(int receivedFd, FrameException error) {
        if (receivedFd >= 0) {
            posix.closeQuietly(receivedFd);
        }
        return Received.rejected(error);
    }

    private void ensureOpen() {
        if (closed) {
            throw new ChannelException("channel fd " + fd + " is closed", null);
        }
    }

    public boolean isOpen() {
        return !closed;
    }

    /** Closes the socket; idempotent. The peer then reads {@link Received#EOF}. */
    @Override
    public void close() {
        synchronized (sendLock) {
            synchronized (receiveLock) {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    posix.close(fd);
                } catch (PosixException e) {
                    throw new ChannelException("channel fd " + fd + ": close failed: " + e.getMessage(), e);
                }
            }
        }
    }

    @Override
    public String toString() {
        return "Channel[fd=" + fd + (closed ? ", closed" : "") + "]";
    }
}
