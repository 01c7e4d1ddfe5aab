package io.masterwork.worker;

import io.masterwork.api.ConnectionAdopter;
import io.masterwork.api.ConnectionHandover;
import io.masterwork.api.MovedConnection;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Successors.Successor;
import io.masterwork.posix.Posix;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.UnixChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * This worker's side of live connection handover (issue 16): the successors the master named in RETIRE,
 * moving a connection to one of them through its inbox (HANDOVER: the socket as SCM_RIGHTS and a
 * {@link ConnectionRecord}), and adopting the connections a retiring sibling moves here. Used on the event
 * loop thread only.
 *
 * <p>Descriptor ownership: a moving connection's socket stays the Netty channel's until the successor's
 * inbox took the frame (the kernel then holds the successor's copy); the channel is closed right after in
 * the same task, which takes it out of this worker's epoll set before close(2) and sends nothing to the
 * client, because the successor's copy keeps the socket open. An arriving descriptor is this class's until
 * a Netty channel is built on it, then that channel's.
 */
final class Handovers implements ConnectionHandover {
    private static final Logger log = LoggerFactory.getLogger(Handovers.class);

    private final Posix posix;
    private final IoEventLoop loop;
    private final SiblingInboxes siblings;
    private final int ownPid;
    private final long ownSlot;
    private List<Successor> successors = List.of();
    private int next;
    private volatile ConnectionAdopter adopter;

    Handovers(Posix posix, IoEventLoop loop, SiblingInboxes siblings, int ownPid, long ownSlot) {
        this.posix = posix;
        this.loop = loop;
        this.siblings = siblings;
        this.ownPid = ownPid;
        this.ownSlot = ownSlot;
    }

    /** RETIRE: the workers that take over from this one. */
    void retire(List<Successor> named) {
        successors = List.copyOf(named);
        // Start each retiring worker at another successor, so two of them do not pile onto the first one.
        next = named.isEmpty() ? 0 : (int) (ownSlot % named.size());
        log.info("retiring: {} successor(s) for live connections: {}", named.size(), named);
    }

    @Override
    public boolean available() {
        for (Successor successor : successors) {
            if (siblings.holds(successor.slot(), successor.pid())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean moveAway(Channel channel, MovedConnection state) {
        if (!loop.inEventLoop()) {
            throw new IllegalStateException("moveAway is for the event loop thread");
        }
        if (successors.isEmpty() || !(channel instanceof UnixChannel unix) || !channel.isActive()
                || state.size() > MovedConnection.MAX_SIZE) {
            return false;
        }
        ChannelFrame frame = ChannelFrame.handover(ownPid, ownSlot, unix.fd().intValue(), ConnectionRecord.encode(state));
        for (int tried = 0; tried < successors.size(); tried++) {
            Successor successor = successors.get(next);
            next = (next + 1) % successors.size();
            // Never queued: a descriptor waiting in a queue would be a connection nobody serves.
            if (siblings.sendNow(successor.slot(), successor.pid(), frame)) {
                channel.close();
                log.debug("moved {} ({}) to slot {} pid {}", channel.remoteAddress(), state, successor.slot(),
                        successor.pid());
                return true;
            }
        }
        log.debug("could not move {}: no successor's inbox took it", channel.remoteAddress());
        return false;
    }

    @Override
    public void onAdopt(ConnectionAdopter adopter) {
        this.adopter = adopter;
    }

    /** A HANDOVER frame from the inbox: the descriptor in it is ours now. */
    void adopt(ChannelFrame frame) {
        int fd = frame.fd();
        MovedConnection moving;
        try {
            moving = ConnectionRecord.decode(frame.payload());
        } catch (IllegalArgumentException e) {
            refuse(fd, "from slot " + frame.slot() + " pid " + frame.pid() + ": " + e.getMessage());
            return;
        }
        ConnectionAdopter current = adopter;
        if (current == null) {
            refuse(fd, "from slot " + frame.slot() + ": the application adopts no connections");
            return;
        }
        EpollSocketChannel channel;
        try {
            channel = new EpollSocketChannel(fd);
        } catch (RuntimeException e) {
            refuse(fd, "from slot " + frame.slot() + ": not a TCP socket: " + e);
            return;
        }
        channel.config().setAutoRead(false);
        loop.register(channel).addListener(registered -> {
            if (!registered.isSuccess()) {
                log.error("cannot register a connection moved from slot {}: {}", frame.slot(), registered.cause().toString());
                channel.unsafe().closeForcibly(); // never registered: no pipeline, no event loop to close it on
                return;
            }
            // After channelActive, which follows the registration in the same task.
            loop.execute(() -> handTo(current, channel, moving, frame));
        });
    }

    /** The channel is registered, autoRead off: the application takes it (or not), then reading starts. */
    private void handTo(ConnectionAdopter current, EpollSocketChannel channel, MovedConnection moving, ChannelFrame frame) {
        boolean taken;
        try {
            taken = channel.isOpen() && current.adopt(channel, moving);
        } catch (RuntimeException e) {
            log.error("the application's adopter failed on a connection from slot {}", frame.slot(), e);
            taken = false;
        }
        if (!taken) {
            log.info("declined a {} connection from slot {} pid {}: closed", moving.protocol(), frame.slot(), frame.pid());
            channel.close();
            return;
        }
        log.debug("adopted a {} connection {} from slot {} pid {}", moving.protocol(), channel.remoteAddress(),
                frame.slot(), frame.pid());
        byte[] unread = moving.unread();
        // The bytes the old owner read first, then the socket's own, in order.
        if (unread.length > 0) {
            channel.pipeline().fireChannelRead(Unpooled.wrappedBuffer(unread));
            channel.pipeline().fireChannelReadComplete();
        }
        if (channel.isOpen()) {
            channel.config().setAutoRead(true);
        }
    }

    private void refuse(int fd, String why) {
        log.warn("closed a moved connection {}", why);
        posix.closeQuietly(fd);
    }
}
