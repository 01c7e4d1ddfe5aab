package io.masterwork.master.process;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.posix.Posix;

/**
 * A worker process as the master holds it: nginx's {@code ngx_process_t} without the slot. The master owns both
 * descriptors from the spawn until it reaps the process: the master's end of the command channel ({@code ch[0]},
 * never passed on) and the write end of the worker's sibling inbox ({@code in[0]}, whose copies go to its
 * siblings with OPEN_CHANNEL). The same process moves from the spares into a slot when it is promoted.
 */
final class Worker {
    final int pid;
    final Channel channel;
    final int inboxWriteFd;
    /** When this process took its place, System.nanoTime(): its spawn, or for a promoted spare its promotion. */
    final long startedAtNanos;
    /** Sibling news its channel could not take yet (a JVM that reads nothing for a while), in order. */
    final Outbox outbox;
    /** What the worker said before it exited with status 2 (INIT_FAILED): why it could not start; null until then. */
    String initFailure;
    /** Figures that did not decode were logged once: a worker flooding its channel with them fills no log. */
    boolean badFiguresLogged;
    /** A spare started at SCHED_IDLE and raised at its promotion: its READY in the slot is the moment to look again. */
    boolean raisedFromIdle;

    Worker(int pid, Channel channel, int inboxWriteFd, long startedAtNanos) {
        this(pid, channel, inboxWriteFd, startedAtNanos, new Outbox());
    }

    private Worker(int pid, Channel channel, int inboxWriteFd, long startedAtNanos, Outbox outbox) {
        this.pid = pid;
        this.channel = channel;
        this.inboxWriteFd = inboxWriteFd;
        this.startedAtNanos = startedAtNanos;
        this.outbox = outbox;
    }

    /** The same process, in a slot since {@code nowNanos}: a promoted spare's uptime counts from its promotion. */
    Worker promoted(long nowNanos) {
        Worker promoted = new Worker(pid, channel, inboxWriteFd, nowNanos, outbox);
        promoted.initFailure = initFailure;
        return promoted;
    }

    /** False once the channel reached end of file: the worker is gone or going, and its status will be reaped. */
    boolean channelOpen() {
        return channel.isOpen();
    }

    /** End of file (or a reset) on the channel: the master's end is closed now; the pid is reaped on its CHLD. */
    void channelClosed() {
        try {
            channel.close();
        } catch (ChannelException e) {
            // the descriptor is released either way
        }
    }

    /** Reaped: the channel, the inbox's write end and any news still queued for it. */
    void close(Posix posix) {
        channelClosed();
        posix.closeQuietly(inboxWriteFd);
        outbox.discard(posix);
    }

    @Override
    public String toString() {
        return "worker process " + pid;
    }
}
