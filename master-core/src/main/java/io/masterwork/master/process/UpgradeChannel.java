package io.masterwork.master.process;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Received;
import io.masterwork.channel.Successors;
import io.masterwork.channel.Successors.Successor;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel between the two masters of a binary upgrade: a SEQPACKET socketpair the old master creates on USR2, whose
 * other end the new master inherits beside the listeners ({@code channel=} in {@code MASTERWORK_UPGRADE}). Over it each
 * master names its serving, READY workers to the other — OPEN_CHANNEL with the worker's inbox write end, CLOSE_CHANNEL
 * when it retires or dies — as a master names siblings to its workers, one level up. A master whose workers retire
 * with no successor of its own (WINCH, QUIT) hands their connections to the other master's workers instead.
 *
 * <p>Owns its end of the socketpair and the inbox descriptors the other master sent, until CLOSE_CHANNEL, a
 * replacement in the same slot, or {@link #close}. Used on the master loop's thread only.
 */
final class UpgradeChannel {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /**
     * How long after USR2 an old master holds back its workers' retirement (WINCH, QUIT) for the new master's workers:
     * a new master JVM of this build names them once they are READY (a few seconds under load); one of a build without
     * this channel never does, and the connections then end gracefully as they did before it.
     */
    static final long SILENCE_BOUND_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** A worker of the other master, as it named it; {@code inboxWriteFd} is owned here. */
    record PeerWorker(long slot, int pid, int inboxWriteFd) {
        /** The slot this master's workers know it by, above their own siblings'. */
        long slotHere() {
            return Successors.PEER_MASTER_SLOT_BASE + slot;
        }
    }

    /** What changed in the other master's workers on one read: frames to pass on to retiring workers, in order. */
    record News(List<ChannelFrame> frames, boolean closed) {
    }

    private final Posix posix;
    private final Channel channel;
    /** Who is at the other end, for the log: "the new master 1234" or "the old master 1234". */
    private String peer;
    private final boolean towardsNewMaster;
    private final long openedAtNanos;
    private final Map<Long, PeerWorker> peerWorkers = new TreeMap<>();
    /** This master's workers as last named to the other one: slot → pid. */
    private final Map<Integer, Integer> named = new TreeMap<>();
    private boolean spoke;
    private boolean closed;

    private UpgradeChannel(Posix posix, Channel channel, String peer, boolean towardsNewMaster) {
        this.posix = posix;
        this.channel = channel;
        this.peer = peer;
        this.towardsNewMaster = towardsNewMaster;
        this.openedAtNanos = System.nanoTime();
    }

    /** The old master's side, made before the new master is spawned: {@code pair[1]} is for the child, then closed. */
    static UpgradeChannel towardsNewMaster(Posix posix, int[] pair) {
        return new UpgradeChannel(posix, new Channel(posix, pair[0]), "the new master", true);
    }

    /** A socketpair for {@link #towardsNewMaster}: both ends close-on-exec, so no worker inherits one. */
    static int[] pair(Posix posix) {
        return posix.socketpair(SocketType.SEQPACKET);
    }

    /** The new master's side: the descriptor the old master mapped for it, close-on-exec from now on. */
    static UpgradeChannel inherited(Posix posix, int fd, int oldMasterPid) {
        posix.setCloseOnExec(fd, true);
        return new UpgradeChannel(posix, new Channel(posix, fd), "the old master " + oldMasterPid, false);
    }

    /** The new master's pid, once spawned. */
    void peerPid(int pid) {
        peer = "the new master " + pid;
    }

    int fd() {
        return channel.fd();
    }

    /** The other master's workers this master's retiring workers may hand their connections to now. */
    List<PeerWorker> peerWorkers() {
        return List.copyOf(peerWorkers.values());
    }

    List<Successor> successors() {
        List<Successor> out = new ArrayList<>();
        peerWorkers.values().forEach(w -> out.add(new Successor(w.slotHere(), w.pid())));
        return out;
    }

    /**
     * True while an old master should hold back its workers' retirement for the new master's workers: the channel is
     * open, the new master has named none yet, and it is still within {@link #SILENCE_BOUND_NANOS} of USR2.
     */
    boolean awaitingPeerWorkers(long nowNanos) {
        return towardsNewMaster && !closed && !spoke && nowNanos - (openedAtNanos + SILENCE_BOUND_NANOS) < 0;
    }

    /** When {@link #awaitingPeerWorkers} ends at the latest, System.nanoTime(). */
    long silenceDeadlineNanos() {
        return openedAtNanos + SILENCE_BOUND_NANOS;
    }

    /** Why retiring workers have no successor in the other master: for the log line of a graceful close. */
    String whyNoPeerWorkers() {
        if (closed) {
            return "the upgrade channel to " + peer + " is closed";
        }
        if (!spoke) {
            return peer + " named no workers over the upgrade channel"
                    + (towardsNewMaster ? " within " + TimeUnit.NANOSECONDS.toSeconds(SILENCE_BOUND_NANOS)
                    + " s of USR2 (a build without connection hand-over across masters?)" : "");
        }
        return peer + " has no serving worker now";
    }

    /**
     * Names this master's serving workers to the other master: OPEN_CHANNEL for each one not named yet (or replaced),
     * CLOSE_CHANNEL for each one named before that no longer serves. What the channel does not take now is tried again
     * at the next call.
     */
    void name(List<WorkerSlot> serving) {
        if (closed) {
            return;
        }
        Map<Integer, Worker> now = new TreeMap<>();
        for (WorkerSlot slot : serving) {
            Worker worker = slot.worker();
            if (worker != null && slot.hasSaidReady() && worker.channelOpen()) {
                now.put(slot.slot, worker);
            }
        }
        try {
            for (Map.Entry<Integer, Integer> was : List.copyOf(named.entrySet())) {
                Worker current = now.get(was.getKey());
                if (current == null || current.pid != was.getValue()) {
                    if (!channel.send(ChannelFrame.closeChannel(was.getValue(), was.getKey()))) {
                        return;
                    }
                    named.remove(was.getKey());
                }
            }
            for (Map.Entry<Integer, Worker> is : now.entrySet()) {
                if (!named.containsKey(is.getKey())) {
                    Worker worker = is.getValue();
                    if (!channel.send(ChannelFrame.openChannel(worker.pid, is.getKey(), worker.inboxWriteFd))) {
                        return;
                    }
                    named.put(is.getKey(), worker.pid);
                    log.debug("named worker process {} (slot {}) to {}", worker.pid, is.getKey(), peer);
                }
            }
        } catch (ChannelException e) {
            log.warn("the upgrade channel to {} failed: {}", peer, e.getMessage());
            close();
        }
    }

    /**
     * Reads what the other master said: its workers named and gone. Returns the frames to pass on to this master's
     * retiring workers, with the slots they know the other master's workers by (each OPEN_CHANNEL's descriptor is
     * still owned here), and whether the channel is now closed (the other master exited).
     */
    News read() {
        List<ChannelFrame> news = new ArrayList<>();
        for (int i = 0; i < 64 && !closed; i++) {
            Received received;
            try {
                received = channel.receive();
            } catch (ChannelException e) {
                log.info("the upgrade channel to {}: {}", peer, e.getMessage());
                closeWith(news);
                break;
            }
            if (received.wouldBlock()) {
                break;
            }
            if (received.isEof()) {
                log.info("the upgrade channel to {} is closed: that master exited", peer);
                closeWith(news);
                break;
            }
            if (!received.isFrame()) {
                log.warn("{} sent a malformed frame over the upgrade channel, dropped: {}", peer, received.error().getMessage());
                continue;
            }
            ChannelFrame frame = received.frame();
            switch (frame.command()) {
                case OPEN_CHANNEL -> {
                    spoke = true;
                    PeerWorker worker = new PeerWorker(frame.slot(), frame.pid(), frame.fd());
                    PeerWorker replaced = peerWorkers.put(frame.slot(), worker);
                    if (replaced != null) {
                        forget(replaced, news);
                    }
                    log.info("{} names its worker process {} (slot {}) as a successor for connections", peer,
                            frame.pid(), frame.slot());
                    news.add(ChannelFrame.openChannel(worker.pid(), worker.slotHere(), worker.inboxWriteFd()));
                }
                case CLOSE_CHANNEL -> {
                    spoke = true;
                    PeerWorker gone = peerWorkers.get(frame.slot());
                    if (gone != null && gone.pid() == frame.pid()) {
                        peerWorkers.remove(frame.slot());
                        forget(gone, news);
                        log.info("{} no longer names its worker process {} (slot {})", peer, frame.pid(), frame.slot());
                    }
                }
                default -> {
                    log.warn("{} sent {} over the upgrade channel: dropped", peer, frame.command());
                    if (frame.fd() >= 0) {
                        posix.closeQuietly(frame.fd());
                    }
                }
            }
        }
        return new News(news, closed);
    }

    /**
     * A worker of the other master is gone from here: its descriptor is closed, and the news about it says so — an
     * OPEN_CHANNEL of this same read not yet passed on is taken back (its descriptor would be closed before it is
     * sent), else a CLOSE_CHANNEL follows.
     */
    private void forget(PeerWorker worker, List<ChannelFrame> news) {
        boolean unsent = news.removeIf(f -> f.fd() == worker.inboxWriteFd());
        posix.closeQuietly(worker.inboxWriteFd());
        if (!unsent) {
            news.add(ChannelFrame.closeChannel(worker.pid(), worker.slotHere()));
        }
    }

    private void closeWith(List<ChannelFrame> news) {
        for (PeerWorker worker : List.copyOf(peerWorkers.values())) {
            forget(worker, news);
        }
        peerWorkers.clear();
        close();
    }

    /** The channel and every inbox descriptor the other master sent; returns the CLOSE_CHANNEL news for them. */
    List<ChannelFrame> close() {
        List<ChannelFrame> gone = new ArrayList<>();
        if (closed) {
            return gone;
        }
        closed = true;
        try {
            channel.close();
        } catch (ChannelException e) {
            // the descriptor is released either way
        }
        for (PeerWorker worker : peerWorkers.values()) {
            posix.closeQuietly(worker.inboxWriteFd());
            gone.add(ChannelFrame.closeChannel(worker.pid(), worker.slotHere()));
        }
        peerWorkers.clear();
        named.clear();
        return gone;
    }
}
