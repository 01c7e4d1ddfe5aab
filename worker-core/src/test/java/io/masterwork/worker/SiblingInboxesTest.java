package io.masterwork.worker;

import io.masterwork.api.Sibling;
import io.masterwork.api.SiblingMessage;
import io.masterwork.api.SiblingMessageException;
import io.masterwork.api.SiblingMessageException.Reason;
import io.masterwork.api.SiblingMessages;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.FrameCodec;
import io.masterwork.channel.Received;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link SiblingInboxes} on a real epoll event loop with real SEQPACKET socketpairs standing for the
 * siblings' inboxes: the test holds each read end and reads (or does not).
 */
class SiblingInboxesTest {
    static final Posix POSIX = NativePosix.get();
    static final int OWN_PID = 777;
    static final long OWN_SLOT = 5;
    static final Duration BOUND = Duration.ofSeconds(10);

    MultiThreadIoEventLoopGroup group;
    IoEventLoop loop;
    SiblingInboxes inboxes;
    final List<Channel> readers = new ArrayList<>();

    @BeforeEach
    void startLoop() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        loop = (IoEventLoop) group.next();
        inboxes = new SiblingInboxes(POSIX, loop, OWN_PID, OWN_SLOT);
    }

    @AfterEach
    void stopLoop() throws Exception {
        onLoop(() -> {
            inboxes.closeAll();
            return null;
        });
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        readers.stream().filter(Channel::isOpen).forEach(Channel::close);
    }

    <T> T onLoop(Callable<T> work) throws Exception {
        return loop.submit(work).get(10, TimeUnit.SECONDS);
    }

    /** A sibling in {@code slot}: the inboxes get the write end as OPEN_CHANNEL would hand it; the test reads. */
    Channel sibling(long slot, int pid) throws Exception {
        int[] pair = POSIX.socketpair(SocketType.SEQPACKET);
        Channel reader = new Channel(POSIX, pair[1]);
        readers.add(reader);
        onLoop(() -> {
            inboxes.open(slot, pid, pair[0]);
            return null;
        });
        return reader;
    }

    static ChannelFrame read(Channel reader) {
        long end = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < end) {
            Received r = reader.receive();
            if (r.isFrame()) {
                return r.frame();
            }
            POSIX.pollReadable(new int[] {reader.fd()}, 100);
        }
        throw new AssertionError("nothing to read within " + BOUND);
    }

    static Reason failure(CompletionStage<Void> stage) {
        CompletableFuture<Void> future = stage.toCompletableFuture();
        await().atMost(BOUND).until(future::isDone);
        assertThat(future).isCompletedExceptionally();
        try {
            future.join();
            throw new AssertionError("not failed");
        } catch (java.util.concurrent.CompletionException e) {
            assertThat(e.getCause()).isInstanceOf(SiblingMessageException.class);
            return ((SiblingMessageException) e.getCause()).reason();
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theLimitIsTheChannelProtocols() {
        assertThat(SiblingMessages.MAX_PAYLOAD).isEqualTo(FrameCodec.MAX_PAYLOAD);
    }

    @Test
    void aMessageArrivesAsOneMessageFrameCarryingThisWorkersSlotAndPid() throws Exception {
        Channel reader = sibling(2, 1002);
        CompletionStage<Void> sent = inboxes.send(2, bytes("hello, sibling"));
        sent.toCompletableFuture().get(10, TimeUnit.SECONDS);
        ChannelFrame frame = read(reader);
        assertThat(frame.command()).isEqualTo(Command.MESSAGE);
        assertThat(frame.pid()).isEqualTo(OWN_PID);
        assertThat(frame.slot()).isEqualTo(OWN_SLOT);
        assertThat(frame.fd()).isEqualTo(-1);
        assertThat(new String(frame.payload(), StandardCharsets.US_ASCII)).isEqualTo("hello, sibling");
    }

    @Test
    void theSiblingsAreListedBySlotAndABroadcastReachesEach() throws Exception {
        Channel three = sibling(3, 1003);
        Channel one = sibling(1, 1001);
        assertThat(inboxes.siblings()).containsExactly(new Sibling(1, 1001), new Sibling(3, 1003));
        Map<Sibling, CompletionStage<Void>> sends = inboxes.broadcast(bytes("all"));
        assertThat(sends).containsOnlyKeys(new Sibling(1, 1001), new Sibling(3, 1003));
        for (CompletionStage<Void> s : sends.values()) {
            s.toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        assertThat(new String(read(one).payload(), StandardCharsets.US_ASCII)).isEqualTo("all");
        assertThat(new String(read(three).payload(), StandardCharsets.US_ASCII)).isEqualTo("all");
    }

    /**
     * Issue 29: the other master's worker of a binary upgrade, held above PEER_MASTER_SLOT_BASE while this worker
     * retires, takes a handover but is no sibling of the application's: not listed, not broadcast to.
     */
    @Test
    void theOtherMastersWorkerIsHeldForHandoverButIsNoSibling() throws Exception {
        Channel one = sibling(1, 1001);
        long peerSlot = io.masterwork.channel.Successors.PEER_MASTER_SLOT_BASE + 1;
        Channel peer = sibling(peerSlot, 2001);
        assertThat(inboxes.siblings()).containsExactly(new Sibling(1, 1001));
        assertThat(inboxes.broadcast(bytes("ours only"))).containsOnlyKeys(new Sibling(1, 1001));
        assertThat(new String(read(one).payload(), StandardCharsets.US_ASCII)).isEqualTo("ours only");
        assertThat(onLoop(() -> inboxes.holds(peerSlot, 2001))).isTrue();
        assertThat(onLoop(() -> inboxes.sendNow(peerSlot, 2001, ChannelFrame.message(OWN_PID, OWN_SLOT, bytes("to the peer")))))
                .isTrue();
        assertThat(new String(read(peer).payload(), StandardCharsets.US_ASCII)).isEqualTo("to the peer");
    }

    @Test
    void aFullInboxQueuesAndTheQueueIsWrittenInOrderOnceTheSiblingReads() throws Exception {
        Channel reader = sibling(2, 1002);
        int count = 1000;
        List<CompletionStage<Void>> sends = onLoop(() -> {
            List<CompletionStage<Void>> all = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                all.add(inboxes.send(2, bytes(i + ".".repeat(1000))));
            }
            return all;
        });
        // 1000 frames of ~1 KB do not fit a socket buffer: the tail waits, nothing failed.
        assertThat(sends.get(count - 1).toCompletableFuture()).isNotDone();
        assertThat(sends).noneMatch(s -> s.toCompletableFuture().isCompletedExceptionally());
        for (int i = 0; i < count; i++) {
            assertThat(new String(read(reader).payload(), StandardCharsets.US_ASCII)).startsWith(i + ".");
        }
        CompletableFuture.allOf(sends.stream().map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aMessageSentWhileOthersWaitGoesBehindThemEvenWhenTheInboxHasRoomAgain() throws Exception {
        Channel reader = sibling(2, 1002);
        int queuedAndSent = onLoop(() -> {
            int n = 0;
            while (n < 500) {
                inboxes.send(2, bytes(n + ".".repeat(1000)));
                n++;
            }
            // Room again in the inbox, but the loop has not yet run the EPOLLOUT flush: the next message
            // must still go behind the waiting ones.
            for (int i = 0; i < 10; i++) {
                assertThat(reader.receive().isFrame()).isTrue();
            }
            inboxes.send(2, bytes(n + ""));
            return n + 1;
        });
        for (int i = 10; i < queuedAndSent; i++) {
            assertThat(new String(read(reader).payload(), StandardCharsets.US_ASCII)).startsWith(Integer.toString(i));
        }
    }

    @Test
    void beyondTheQueueLimitASendFailsAtOnceWithInboxFullAndTheLoopGoesOn() throws Exception {
        sibling(2, 1002);
        List<CompletionStage<Void>> sends = onLoop(() -> {
            List<CompletionStage<Void>> all = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                all.add(inboxes.send(2, new byte[4096]));
            }
            return all;
        });
        long waiting = sends.stream().filter(s -> !s.toCompletableFuture().isDone()).count();
        long full = sends.stream().filter(s -> s.toCompletableFuture().isCompletedExceptionally()).count();
        assertThat(waiting).isEqualTo(SiblingMessages.QUEUE_LIMIT);
        assertThat(full).isPositive();
        assertThat(failure(sends.get(sends.size() - 1))).isEqualTo(Reason.INBOX_FULL);
        assertThat(onLoop(() -> "still running")).isEqualTo("still running");
    }

    @Test
    void whenTheSiblingGoesAwayItsQueuedMessagesFailAndLaterSendsToo() throws Exception {
        Channel reader = sibling(2, 1002);
        List<CompletionStage<Void>> sends = onLoop(() -> {
            List<CompletionStage<Void>> all = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                all.add(inboxes.send(2, new byte[4096]));
            }
            return all;
        });
        CompletionStage<Void> last = sends.get(sends.size() - 1);
        assertThat(last.toCompletableFuture()).isNotDone();
        reader.close(); // the sibling died: its inbox's read end is gone
        assertThat(failure(last)).isEqualTo(Reason.SIBLING_GONE);
        assertThat(failure(inboxes.send(2, bytes("late")))).isEqualTo(Reason.SIBLING_GONE);
        await().atMost(BOUND).until(() -> inboxes.siblings().isEmpty());
    }

    @Test
    void aSendToADeadSiblingWithNothingQueuedFailsWithSiblingGone() throws Exception {
        Channel reader = sibling(2, 1002);
        reader.close();
        assertThat(failure(inboxes.send(2, bytes("anyone?")))).isEqualTo(Reason.SIBLING_GONE);
    }

    @Test
    void afterCloseChannelQueuedMessagesFailAndTheSlotIsNoSibling() throws Exception {
        sibling(2, 1002);
        List<CompletionStage<Void>> sends = onLoop(() -> {
            List<CompletionStage<Void>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                all.add(inboxes.send(2, new byte[4096]));
            }
            return all;
        });
        onLoop(() -> {
            inboxes.close(2, 1002);
            return null;
        });
        assertThat(failure(sends.get(sends.size() - 1))).isEqualTo(Reason.SIBLING_GONE);
        assertThat(failure(inboxes.send(2, bytes("x")))).isEqualTo(Reason.NO_SUCH_SIBLING);
        assertThat(inboxes.siblings()).isEmpty();
    }

    @Test
    void aCloseChannelForAnotherPidInTheSlotKeepsTheInbox() throws Exception {
        Channel reader = sibling(2, 1002);
        onLoop(() -> {
            inboxes.close(2, 9999);
            return null;
        });
        inboxes.send(2, bytes("still there")).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(new String(read(reader).payload(), StandardCharsets.US_ASCII)).isEqualTo("still there");
    }

    @Test
    void aRespawnInTheSameSlotFailsWhatWaitedForTheOldWorkerAndTakesNewMessages() throws Exception {
        sibling(2, 1002);
        List<CompletionStage<Void>> old = onLoop(() -> {
            List<CompletionStage<Void>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                all.add(inboxes.send(2, new byte[4096]));
            }
            return all;
        });
        Channel respawned = sibling(2, 2002);
        assertThat(failure(old.get(old.size() - 1))).isEqualTo(Reason.SIBLING_GONE);
        assertThat(inboxes.siblings()).containsExactly(new Sibling(2, 2002));
        inboxes.send(2, bytes("new")).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(new String(read(respawned).payload(), StandardCharsets.US_ASCII)).isEqualTo("new");
    }

    @Test
    void anOversizedPayloadIsRefusedAndTheLargestAllowedOneIsSent() throws Exception {
        Channel reader = sibling(2, 1002);
        assertThat(failure(inboxes.send(2, new byte[SiblingMessages.MAX_PAYLOAD + 1])))
                .isEqualTo(Reason.PAYLOAD_TOO_LARGE);
        inboxes.send(2, new byte[SiblingMessages.MAX_PAYLOAD]).toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(read(reader).payloadLength()).isEqualTo(SiblingMessages.MAX_PAYLOAD);
    }

    @Test
    void aSendToAnUnknownSlotFailsWithNoSuchSibling() {
        assertThat(failure(inboxes.send(42, bytes("x")))).isEqualTo(Reason.NO_SUCH_SIBLING);
    }

    @Test
    void messagesFromAnyThreadKeepThatThreadsOrder() throws Exception {
        Channel reader = sibling(2, 1002);
        List<CompletionStage<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            sends.add(inboxes.send(2, bytes(Integer.toString(i))));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(new String(read(reader).payload(), StandardCharsets.US_ASCII)).isEqualTo(Integer.toString(i));
        }
        CompletableFuture.allOf(sends.stream().map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void anArrivingMessageGoesToTheHandlerWithTheSendersSlotAndPidAndAFailingHandlerDoesNotStopTheNext()
            throws Exception {
        List<SiblingMessage> seen = new ArrayList<>();
        inboxes.onMessage(m -> {
            seen.add(m);
            if (seen.size() == 1) {
                throw new IllegalStateException("handler bug");
            }
        });
        onLoop(() -> {
            inboxes.deliver(ChannelFrame.message(1001, 1, bytes("first")));
            inboxes.deliver(ChannelFrame.message(1003, 3, bytes("second")));
            return null;
        });
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).senderSlot()).isEqualTo(1);
        assertThat(seen.get(0).senderPid()).isEqualTo(1001);
        assertThat(seen.get(1).senderSlot()).isEqualTo(3);
        assertThat(new String(seen.get(1).payload(), StandardCharsets.US_ASCII)).isEqualTo("second");
    }

    @Test
    void whenTheWorkerExitsWhatWaitsFailsAndNewSendsFail() throws Exception {
        sibling(2, 1002);
        List<CompletionStage<Void>> sends = onLoop(() -> {
            List<CompletionStage<Void>> all = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                all.add(inboxes.send(2, new byte[4096]));
            }
            inboxes.closeAll();
            return all;
        });
        assertThat(failure(sends.get(sends.size() - 1))).isEqualTo(Reason.WORKER_EXITING);
        assertThat(failure(inboxes.send(2, bytes("x")))).isEqualTo(Reason.WORKER_EXITING);
    }
}
