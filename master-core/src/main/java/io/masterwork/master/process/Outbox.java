package io.masterwork.master.process;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.posix.Posix;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * OPEN_CHANNEL and CLOSE_CHANNEL frames for one worker that its channel could not take when they were sent (EAGAIN:
 * a worker JVM that is starting reads nothing for hundreds of milliseconds while its siblings' news queues up).
 * They are kept in order and written as soon as the channel takes them, never dropped: siblings' views of each other
 * (messages, handover successors) depend on every one of them. A queued frame owns a copy of its descriptor.
 *
 * <p>Bounded by the worker's live siblings: a CLOSE_CHANNEL whose OPEN_CHANNEL is still queued takes both out, as
 * the worker then never needed to hear of that sibling.
 */
final class Outbox {
    static final long FIRST_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    static final long MAX_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ArrayDeque<ChannelFrame> frames = new ArrayDeque<>();
    private long retryAtNanos;
    private long retryDelayNanos = FIRST_RETRY_NANOS;

    boolean isEmpty() {
        return frames.isEmpty();
    }

    int size() {
        return frames.size();
    }

    /** When the next write is due (System.nanoTime()); meaningful while not empty. */
    long retryAtNanos() {
        return retryAtNanos;
    }

    /** Queues {@code frame}, keeping a copy of its descriptor (the sender's own may be closed before it is written). */
    void add(ChannelFrame frame, Posix posix) {
        if (frame.command() == Command.CLOSE_CHANNEL && cancelQueuedOpen(frame, posix)) {
            return;
        }
        if (frames.isEmpty()) {
            retryDelayNanos = FIRST_RETRY_NANOS;
            retryAtNanos = System.nanoTime() + retryDelayNanos;
        }
        frames.addLast(frame.hasDescriptor() ? frame.withFd(posix.dup(frame.fd())) : frame);
    }

    private boolean cancelQueuedOpen(ChannelFrame close, Posix posix) {
        for (Iterator<ChannelFrame> it = frames.iterator(); it.hasNext(); ) {
            ChannelFrame queued = it.next();
            if (queued.command() == Command.OPEN_CHANNEL && queued.pid() == close.pid() && queued.slot() == close.slot()) {
                it.remove();
                posix.closeQuietly(queued.fd());
                return true;
            }
        }
        return false;
    }

    /**
     * Writes what the channel takes now, oldest first; true when nothing is left. A full channel leaves the rest for
     * the next try, later each time up to {@link #MAX_RETRY_NANOS}; a broken one throws (the worker is gone).
     */
    boolean flush(Channel channel, Posix posix) {
        while (!frames.isEmpty()) {
            ChannelFrame next = frames.peekFirst();
            if (!channel.send(next)) {
                retryDelayNanos = Math.min(retryDelayNanos * 2, MAX_RETRY_NANOS);
                retryAtNanos = System.nanoTime() + retryDelayNanos;
                return false;
            }
            frames.removeFirst();
            if (next.hasDescriptor()) {
                posix.closeQuietly(next.fd());
            }
        }
        return true;
    }

    /** The worker is gone: nothing is left to deliver, and the copies of descriptors are closed. */
    void discard(Posix posix) {
        for (ChannelFrame frame : frames) {
            if (frame.hasDescriptor()) {
                posix.closeQuietly(frame.fd());
            }
        }
        frames.clear();
    }
}
