package io.masterwork.worker;

import io.masterwork.api.SiblingMessageException;
import io.masterwork.api.SiblingMessageException.Reason;
import io.masterwork.api.SiblingMessages;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * The write end of one sibling's inbox, and the messages waiting for it. A send writes at once when
 * nothing is queued and the inbox takes it; otherwise the frame joins a queue of at most
 * {@link SiblingMessages#QUEUE_LIMIT} (so order is kept), and the descriptor is watched for EPOLLOUT
 * on the event loop until the queue is empty again. Nothing here ever waits: a full queue fails the
 * send. Used on the event loop thread only.
 */
final class SiblingInbox implements EpollIoHandle {
    private static final Logger log = LoggerFactory.getLogger(SiblingInbox.class);

    private record Pending(ChannelFrame frame, CompletableFuture<Void> written) {
    }

    private final long slot;
    private final int pid;
    private final Channel channel;
    private final FileDescriptor fd;
    private final IoEventLoop loop;
    private final Runnable onGone;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private IoRegistration registration;
    private boolean registering;
    /** Set once nothing can be written any more: why. */
    private Reason unusable;
    private String unusableWhy;

    /** Takes ownership of {@code channel} (the sibling's inbox write end). */
    SiblingInbox(long slot, int pid, Channel channel, IoEventLoop loop, Runnable onGone) {
        this.slot = slot;
        this.pid = pid;
        this.channel = channel;
        // Only a number for Netty's epoll_ctl; the Channel owns and closes the descriptor.
        this.fd = new FileDescriptor(channel.fd());
        this.loop = loop;
        this.onGone = onGone;
    }

    long slot() {
        return slot;
    }

    int pid() {
        return pid;
    }

    /** False once the sibling is known to be gone (a write failed) or the inbox was closed here. */
    boolean usable() {
        return unusable == null;
    }

    int queued() {
        return queue.size();
    }

    /** Writes or queues {@code frame}; the stage completes when the frame is in the sibling's inbox. */
    CompletableFuture<Void> send(ChannelFrame frame) {
        CompletableFuture<Void> written = new CompletableFuture<>();
        if (unusable != null) {
            written.completeExceptionally(new SiblingMessageException(unusable, slot, unusableWhy));
            return written;
        }
        if (!queue.isEmpty()) {
            if (queue.size() >= SiblingMessages.QUEUE_LIMIT) {
                written.completeExceptionally(new SiblingMessageException(Reason.INBOX_FULL, slot,
                        "the inbox of sibling slot " + slot + " pid " + pid + " is full and "
                                + SiblingMessages.QUEUE_LIMIT + " messages already wait for it"));
            } else {
                queue.add(new Pending(frame, written));
            }
            return written;
        }
        try {
            if (channel.send(frame)) {
                written.complete(null);
                return written;
            }
        } catch (ChannelException e) {
            gone(e);
            written.completeExceptionally(new SiblingMessageException(unusable, slot, unusableWhy));
            return written;
        }
        queue.add(new Pending(frame, written));
        watchWritable();
        return written;
    }

    /**
     * Writes {@code frame} only if that can happen now and in order (nothing queued): true when the
     * sibling's inbox took it, false otherwise (full, gone, closed). Never queues.
     */
    boolean sendNow(ChannelFrame frame) {
        if (unusable != null || !queue.isEmpty()) {
            return false;
        }
        try {
            return channel.send(frame);
        } catch (ChannelException e) {
            gone(e);
            return false;
        }
    }

    private void watchWritable() {
        if (registration != null || registering) {
            return;
        }
        registering = true;
        loop.register(this).addListener((Future<IoRegistration> f) -> {
            registering = false;
            if (!f.isSuccess()) {
                // Without a watch the queue would wait forever: fail it rather than hang the senders.
                log.error("cannot watch the inbox of sibling slot {} pid {} for writability: {}", slot, pid,
                        f.cause().toString());
                failQueued(Reason.SIBLING_GONE, "cannot watch the inbox of sibling slot " + slot
                        + " for writability: " + f.cause());
                return;
            }
            IoRegistration registered = f.getNow();
            if (unusable != null || queue.isEmpty()) {
                registered.cancel();
                return;
            }
            registration = registered;
            registration.submit(EpollIoOps.EPOLLOUT);
        });
    }

    /** EPOLLOUT (or HUP/ERR: the write below then says EPIPE): write what waits, in order. */
    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        flush();
    }

    private void flush() {
        while (!queue.isEmpty() && unusable == null) {
            Pending head = queue.peek();
            boolean sent;
            try {
                sent = channel.send(head.frame());
            } catch (ChannelException e) {
                gone(e);
                return;
            }
            if (!sent) {
                return; // still full: EPOLLOUT stays armed
            }
            queue.poll();
            head.written().complete(null);
        }
        stopWatching();
    }

    private void gone(ChannelException e) {
        log.info("sibling slot {} pid {} is gone: {}", slot, pid, e.getMessage());
        markUnusable(Reason.SIBLING_GONE, "sibling slot " + slot + " pid " + pid + " is gone: " + e.getMessage());
        onGone.run();
    }

    private void markUnusable(Reason reason, String why) {
        if (unusable == null) {
            unusable = reason;
            unusableWhy = why;
        }
        failQueued(reason, why);
        stopWatching();
    }

    private void failQueued(Reason reason, String why) {
        Pending pending;
        while ((pending = queue.poll()) != null) {
            pending.written().completeExceptionally(new SiblingMessageException(reason, slot, why));
        }
    }

    private void stopWatching() {
        if (registration != null) {
            if (registration.isValid()) {
                registration.cancel();
            }
            registration = null;
        }
    }

    /**
     * The master withdrew or replaced this sibling, or this worker exits: every waiting message fails
     * with {@code reason}, the watch ends (before the descriptor closes: the socket is shared with
     * other processes, so closing our number would not take it out of our epoll set), the descriptor closes.
     */
    void close(Reason reason, String why) {
        markUnusable(reason, why);
        channel.close();
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void close() {
        // Netty's side of the handle (its event loop shutting down): only the watch ends here.
        stopWatching();
    }

    @Override
    public String toString() {
        return "SiblingInbox[slot " + slot + " pid " + pid + ", fd " + channel.fd() + ", " + queue.size() + " queued"
                + (unusable != null ? ", " + unusable : "") + "]";
    }
}
