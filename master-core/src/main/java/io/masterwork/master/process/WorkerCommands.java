package io.masterwork.master.process;

import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.Successors;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes to workers over their command channels: nginx's {@code ngx_signal_worker_processes},
 * {@code ngx_pass_open_channel} and {@code ngx_close_channel}. When a channel write fails, QUIT, TERMINATE and REOPEN
 * fall back to a signal the worker JVM handles (QUIT itself stays the JVM's thread dump, useful on a hung worker):
 *
 * <table>
 *   <tr><th>command</th><th>fallback signal</th><th>why that one</th></tr>
 *   <tr><td>QUIT</td><td>SIGTERM</td><td>a JVM's orderly shutdown; the worker drains gracefully on it</td></tr>
 *   <tr><td>TERMINATE</td><td>SIGINT</td><td>the worker exits at once on it</td></tr>
 *   <tr><td>REOPEN</td><td>SIGUSR1</td><td>as nginx; harmless to HotSpot</td></tr>
 * </table>
 *
 * Sibling news (OPEN_CHANNEL, CLOSE_CHANNEL) has no signal to fall back to: what a full channel cannot take now
 * waits in the worker's {@link Outbox} and is written in order as soon as it can be.
 */
final class WorkerCommands {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private final Posix posix;

    WorkerCommands(Posix posix) {
        this.posix = posix;
    }

    static Signal fallbackSignal(Command command) {
        return switch (command) {
            case QUIT -> Signal.TERM;
            case TERMINATE -> Signal.INT;
            case REOPEN -> Signal.USR1;
            default -> null;
        };
    }

    boolean send(WorkerSlot slot, ChannelFrame frame) {
        return send(slot.worker(), "slot " + slot.slot, frame);
    }

    boolean send(SpareWorker spare, ChannelFrame frame) {
        return send(spare.worker, "spare " + spare.number, frame);
    }

    /** Sends; on a failed write falls back to the command's signal. Returns whether the command reached the worker. */
    private boolean send(Worker worker, String where, ChannelFrame frame) {
        String failure = null;
        if (worker == null || !worker.channelOpen()) {
            failure = "its channel is closed";
        } else {
            try {
                if (worker.channel.send(frame)) {
                    return true;
                }
                failure = "its channel is full (EAGAIN)";
            } catch (ChannelException e) {
                failure = e.getMessage();
            }
        }
        int pid = worker == null ? -1 : worker.pid;
        Signal fallback = fallbackSignal(frame.command());
        if (fallback == null || worker == null) {
            log.warn("{} to worker process {} ({}) not sent: {}", frame.command(), pid, where, failure);
            return false;
        }
        log.warn("{} to worker process {} not sent over the channel ({}); sending {} instead",
                frame.command(), pid, failure, fallback.fullName());
        try {
            posix.kill(pid, fallback);
            return true;
        } catch (PosixException e) {
            log.warn("kill({}, {}) failed: {}", pid, fallback.fullName(), e.getMessage());
            return false;
        }
    }

    /**
     * QUIT to a worker being replaced, preceded by RETIRE naming its successors when {@code handover} (the
     * serving configuration's {@code connection_handover}): the worker then moves its idle connections to them
     * instead of closing them. Both go over the same channel, so RETIRE arrives first; a worker reached only by the
     * signal fallback drains as before.
     */
    void retire(WorkerSlot retiring, List<WorkerSlot> successors, boolean handover, UpgradeChannel peer) {
        if (handover) {
            List<Successors.Successor> named = new ArrayList<>();
            for (WorkerSlot successor : successors) {
                Worker worker = successor.worker();
                if (successor != retiring && successor.hasSaidReady() && worker.channelOpen()) {
                    named.add(new Successors.Successor(successor.slot, worker.pid));
                }
            }
            if (!named.isEmpty()) {
                send(retiring, ChannelFrame.retire(Successors.encode(named)));
            } else if (peer != null) {
                handToPeer(retiring, peer);
            }
        }
        sendAfterNews(retiring, ChannelFrame.quit());
    }

    /**
     * A worker that retires with no successor of this master's (WINCH, QUIT, every worker of this master retiring
     * during a binary upgrade) gets the other master's workers instead: their inboxes (OPEN_CHANNEL, at the slots above
     * {@link Successors#PEER_MASTER_SLOT_BASE}), then RETIRE naming them, in that order on its channel. With none
     * named over there, the worker drains as before, and the log says why once per retirement.
     */
    void handToPeer(WorkerSlot retiring, UpgradeChannel peer) {
        List<UpgradeChannel.PeerWorker> others = peer.peerWorkers();
        if (others.isEmpty() || retiring.worker() == null || !retiring.worker().channelOpen()) {
            log.info("worker process {} (slot {}) retires without successors: {}; its connections end gracefully",
                    retiring.pid(), retiring.slot, peer.whyNoPeerWorkers());
            return;
        }
        for (UpgradeChannel.PeerWorker other : others) {
            tell(retiring, ChannelFrame.openChannel(other.pid(), other.slotHere(), other.inboxWriteFd()));
        }
        tell(retiring, ChannelFrame.retire(Successors.encode(peer.successors())));
        retiring.handsToPeer = true;
        log.info("worker process {} (slot {}) hands its connections to the other master's workers {}", retiring.pid(),
                retiring.slot, others.stream().map(UpgradeChannel.PeerWorker::pid).toList());
    }

    /**
     * The other master's workers changed: each worker draining towards them gets the news (in the order it came) and
     * a RETIRE naming them as they are now, so that one that died is replaced in its view.
     */
    void passPeerNews(List<ChannelFrame> news, UpgradeChannel peer, List<WorkerSlot> all) {
        if (news.isEmpty()) {
            return;
        }
        byte[] successors = Successors.encode(peer == null ? List.of() : peer.successors());
        for (WorkerSlot slot : all) {
            Worker worker = slot.worker();
            if (slot.handsToPeer && worker != null && worker.channelOpen()) {
                news.forEach(frame -> tell(slot, frame));
                tell(slot, ChannelFrame.retire(successors));
            }
        }
    }

    /** Written after whatever sibling news still waits in the worker's outbox, so that it arrives after that news. */
    void sendAfterNews(WorkerSlot slot, ChannelFrame frame) {
        Worker worker = slot.worker();
        if (worker == null || worker.outbox.isEmpty()) {
            send(slot, frame);
        } else {
            tell(slot, frame);
        }
    }

    /**
     * The seed's "a new brother is born, his port is xxx": every sibling that stays gets the write end of the new
     * worker's inbox, and the new worker gets each sibling's — never a command channel. A draining worker needs no
     * news of its siblings (and its channel may already be gone).
     */
    void passOpenChannel(WorkerSlot born, List<WorkerSlot> all) {
        Worker newborn = born.worker();
        for (WorkerSlot sibling : all) {
            Worker worker = sibling.worker();
            if (sibling == born || worker == null || !worker.channelOpen() || sibling.isExiting()) {
                continue;
            }
            tell(sibling, ChannelFrame.openChannel(newborn.pid, born.slot, newborn.inboxWriteFd));
            tell(born, ChannelFrame.openChannel(worker.pid, sibling.slot, worker.inboxWriteFd));
        }
    }

    /** nginx's CLOSE_CHANNEL: the worker {@code pid} of {@code gone} is no more; its siblings drop its inbox. */
    void passCloseChannel(WorkerSlot gone, int pid, List<WorkerSlot> all) {
        for (WorkerSlot sibling : all) {
            Worker worker = sibling.worker();
            if (sibling != gone && worker != null && worker.channelOpen() && !sibling.isExiting()) {
                tell(sibling, ChannelFrame.closeChannel(pid, gone.slot));
            }
        }
    }

    /** Sibling news: written now if nothing is queued before it and the channel takes it, else queued. */
    private void tell(WorkerSlot slot, ChannelFrame news) {
        Worker worker = slot.worker();
        try {
            if (worker.outbox.isEmpty() && worker.channel.send(news)) {
                return;
            }
            worker.outbox.add(news, posix);
            log.debug("{} to worker process {} queued ({} waiting): its channel is full", news.command(), worker.pid,
                    worker.outbox.size());
        } catch (ChannelException | PosixException e) {
            // EPIPE, ECONNRESET: the worker is gone, and its exit will be reaped; nobody is left to tell.
            log.warn("{} to worker process {} (slot {}) not sent: {}", news.command(), worker.pid, slot.slot, e.getMessage());
        }
    }

    /** Writes the queued news of every worker whose retry is due. */
    void flushQueuedNews(List<WorkerSlot> slots, long nowNanos) {
        for (WorkerSlot slot : slots) {
            Worker worker = slot.worker();
            if (worker == null || worker.outbox.isEmpty() || nowNanos - worker.outbox.retryAtNanos() < 0) {
                continue;
            }
            if (!worker.channelOpen()) {
                worker.outbox.discard(posix);
                continue;
            }
            try {
                if (worker.outbox.flush(worker.channel, posix)) {
                    log.debug("worker process {} took its queued sibling news", worker.pid);
                }
            } catch (ChannelException e) {
                log.warn("queued sibling news to worker process {} (slot {}) not sent: {}", worker.pid, slot.slot,
                        e.getMessage());
                worker.outbox.discard(posix);
            }
        }
    }

    /** The earliest retry of queued news, System.nanoTime(); Long.MAX_VALUE when nothing waits. */
    static long nextNewsRetryNanos(List<WorkerSlot> slots) {
        long next = Long.MAX_VALUE;
        for (WorkerSlot slot : slots) {
            Worker worker = slot.worker();
            if (worker != null && !worker.outbox.isEmpty()) {
                long at = worker.outbox.retryAtNanos();
                next = next == Long.MAX_VALUE || at - next < 0 ? at : next;
            }
        }
        return next;
    }
}
