package io.masterwork.worker;

import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessage;
import io.masterwork.api.SiblingMessageException;
import io.masterwork.api.SiblingMessageException.Reason;
import io.masterwork.api.SiblingMessages;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameCodec;
import io.masterwork.channel.Successors;
import io.masterwork.posix.Posix;
import io.netty.channel.IoEventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * The inboxes of sibling workers this worker holds (nginx's {@code ngx_processes[s].channel[0]} in a
 * worker), opened by OPEN_CHANNEL and closed by CLOSE_CHANNEL, and the {@link SiblingMessages} the
 * application uses over them. Owns the descriptors. The table changes on the event loop thread only;
 * the SPI methods may be called from any thread and hop onto the loop.
 */
final class SiblingInboxes implements SiblingMessages {
    private static final Logger log = LoggerFactory.getLogger(SiblingInboxes.class);

    static {
        if (MAX_PAYLOAD != FrameCodec.MAX_PAYLOAD) {
            throw new IllegalStateException("SiblingMessages.MAX_PAYLOAD " + MAX_PAYLOAD
                    + " differs from the channel protocol's " + FrameCodec.MAX_PAYLOAD);
        }
    }

    /** Messages sent to and received from siblings, for the master's figures: on the event loop only, as every use
     *  of the inboxes is. */
    private long messagesSent;
    private long messagesReceived;
    private final Posix posix;
    private final IoEventLoop loop;
    private final int ownPid;
    private final long ownSlot;
    private final Map<Long, SiblingInbox> bySlot = new TreeMap<>();
    private volatile List<Sibling> snapshot = List.of();
    private volatile Consumer<SiblingMessage> handler;
    private boolean exiting;

    SiblingInboxes(Posix posix, IoEventLoop loop, int ownPid, long ownSlot) {
        this.posix = posix;
        this.loop = loop;
        this.ownPid = ownPid;
        this.ownSlot = ownSlot;
    }

    /** OPEN_CHANNEL: keeps {@code fd} (now owned here) as the inbox of the worker in {@code slot}. */
    void open(long slot, int pid, int fd) {
        Channel channel;
        try {
            channel = new Channel(posix, fd); // closes fd itself when it cannot be set up
        } catch (ChannelException e) {
            log.error("sibling slot {} pid {}: cannot use the inbox fd {}: {}", slot, pid, fd, e.getMessage());
            return;
        }
        if (exiting) {
            channel.close();
            return;
        }
        SiblingInbox previous = bySlot.put(slot, new SiblingInbox(slot, pid, channel, loop, this::publish));
        if (previous != null) {
            // A respawned sibling in the same slot: the old inbox is dead, and so is what waited for it.
            previous.close(Reason.SIBLING_GONE, "sibling slot " + slot + " pid " + previous.pid()
                    + " was replaced by pid " + pid);
        }
        log.debug("sibling slot {} pid {}: inbox fd {}", slot, pid, fd);
        publish();
    }

    /** CLOSE_CHANNEL: the sibling in {@code slot} is gone (pid 0: whichever is held there). */
    void close(long slot, int pid) {
        SiblingInbox held = bySlot.get(slot);
        if (held == null) {
            log.warn("CLOSE_CHANNEL for slot {} pid {}: no inbox held for that slot", slot, pid);
            return;
        }
        if (pid != 0 && held.pid() != pid) {
            log.warn("CLOSE_CHANNEL for slot {} pid {}: the inbox held there belongs to pid {}, kept",
                    slot, pid, held.pid());
            return;
        }
        bySlot.remove(slot);
        held.close(Reason.SIBLING_GONE, "sibling slot " + slot + " pid " + held.pid() + " is gone (CLOSE_CHANNEL)");
        log.debug("sibling slot {} pid {}: inbox closed", slot, pid);
        publish();
    }

    /** The worker exits: every queued message fails, every inbox closes, later sends fail. */
    void closeAll() {
        exiting = true;
        bySlot.values().forEach(inbox -> inbox.close(Reason.WORKER_EXITING, "this worker is exiting"));
        bySlot.clear();
        publish();
    }

    /** A MESSAGE frame from the inbox: hands it to the application's handler. On the event loop. */
    void deliver(ChannelFrame frame) {
        messagesReceived++;
        Consumer<SiblingMessage> current = handler;
        if (current == null) {
            log.debug("dropped a message from sibling slot {} pid {} ({} bytes): no handler is set",
                    frame.slot(), frame.pid(), frame.payloadLength());
            return;
        }
        try {
            current.accept(new SiblingMessage(frame.slot(), frame.pid(), frame.payload()));
        } catch (RuntimeException e) {
            log.error("the application's sibling message handler failed on a message from slot {} pid {}",
                    frame.slot(), frame.pid(), e);
        }
    }

    /** Whether the inbox of the worker {@code pid} in {@code slot} is held here and writable. */
    boolean holds(long slot, int pid) {
        SiblingInbox inbox = bySlot.get(slot);
        return inbox != null && inbox.pid() == pid && inbox.usable();
    }

    /**
     * Writes {@code frame} into the inbox of the worker {@code pid} in {@code slot} now, or not at all: a
     * frame that carries a descriptor (HANDOVER) is never queued. On the event loop.
     */
    boolean sendNow(long slot, int pid, ChannelFrame frame) {
        SiblingInbox inbox = bySlot.get(slot);
        return inbox != null && inbox.pid() == pid && inbox.sendNow(frame);
    }

    /** Messages handed to a sibling's inbox (sent or queued), for the master's figures. On the event loop. */
    long messagesSent() {
        return messagesSent;
    }

    /** Messages that arrived from siblings, for the master's figures. On the event loop. */
    long messagesReceived() {
        return messagesReceived;
    }

    List<Sibling> snapshot() {
        return snapshot;
    }

    @Override
    public List<Sibling> siblings() {
        return snapshot;
    }

    @Override
    public CompletionStage<Void> send(long slot, byte[] payload) {
        if (payload == null) {
            throw new NullPointerException("payload");
        }
        if (payload.length > MAX_PAYLOAD) {
            return CompletableFuture.failedFuture(new SiblingMessageException(Reason.PAYLOAD_TOO_LARGE, slot,
                    "a message to a sibling carries at most " + MAX_PAYLOAD + " bytes, got " + payload.length));
        }
        // The frame copies the payload: the caller may reuse its array at once.
        ChannelFrame frame = ChannelFrame.message(ownPid, ownSlot, payload);
        if (loop.inEventLoop()) {
            return sendOnLoop(slot, frame);
        }
        CompletableFuture<Void> result = new CompletableFuture<>();
        try {
            loop.execute(() -> sendOnLoop(slot, frame).whenComplete((ok, failure) -> {
                if (failure != null) {
                    result.completeExceptionally(failure);
                } else {
                    result.complete(null);
                }
            }));
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new SiblingMessageException(Reason.WORKER_EXITING, slot,
                    "this worker's event loop has stopped"));
        }
        return result;
    }

    private CompletableFuture<Void> sendOnLoop(long slot, ChannelFrame frame) {
        SiblingInbox inbox = bySlot.get(slot);
        if (inbox != null) {
            messagesSent++;
        }
        if (inbox == null) {
            return CompletableFuture.failedFuture(new SiblingMessageException(
                    exiting ? Reason.WORKER_EXITING : Reason.NO_SUCH_SIBLING, slot,
                    exiting ? "this worker is exiting" : "no sibling is held in slot " + slot
                            + " (siblings: " + snapshot + ")"));
        }
        return inbox.send(frame);
    }

    @Override
    public Map<Sibling, CompletionStage<Void>> broadcast(byte[] payload) {
        Map<Sibling, CompletionStage<Void>> sends = new LinkedHashMap<>();
        for (Sibling sibling : snapshot) {
            sends.put(sibling, send(sibling.slot(), payload));
        }
        return Collections.unmodifiableMap(sends);
    }

    @Override
    public void onMessage(Consumer<SiblingMessage> handler) {
        this.handler = handler;
    }

    /**
     * Lists the siblings that can still be written to. The other master's workers of a binary upgrade (held only
     * while this worker retires, to hand its connections to them) are no siblings of the application's: they serve
     * another master's configuration, and its messages are meant for this master's workers.
     */
    private void publish() {
        List<Sibling> list = new ArrayList<>(bySlot.size());
        bySlot.forEach((slot, inbox) -> {
            if (inbox.usable() && slot < Successors.PEER_MASTER_SLOT_BASE) {
                list.add(new Sibling(slot, inbox.pid()));
            }
        });
        snapshot = List.copyOf(list);
    }
}
