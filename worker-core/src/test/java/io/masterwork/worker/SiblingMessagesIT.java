package io.masterwork.worker;

import io.masterwork.api.SiblingMessages;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.Received;
import io.masterwork.posix.Signal;
import io.masterwork.posix.SocketType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Messages between real worker JVMs over their inboxes, wired as the master wires them: worker A in
 * slot 1 and worker B in slot 2 each get the other's inbox write end with OPEN_CHANNEL. Where the test
 * must control the reading side (a slow or never-reading sibling) it plays the sibling itself: it
 * makes an inbox socketpair, hands A the write end with OPEN_CHANNEL, and reads (or not) the other end.
 * Both workers run {@link MessagingProbeApplication}, driven over HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SiblingMessagesIT {
    static final Duration BOUND = Duration.ofSeconds(20);

    Path dir;
    MasterStandIn a;
    MasterStandIn b;

    @BeforeAll
    void startTwoSiblings() throws IOException {
        dir = Files.createTempDirectory("masterwork-siblings-it");
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        a = MasterStandIn.create(dir.resolve("a"));
        b = MasterStandIn.create(dir.resolve("b"));
        a.spawnInSlot(config(a), 1);
        b.spawnInSlot(config(b), 2);
        a.awaitReady(Duration.ofSeconds(60));
        b.awaitReady(Duration.ofSeconds(60));
        a.send(ChannelFrame.openChannel(b.pid, 2, b.inboxWriteFd));
        b.send(ChannelFrame.openChannel(a.pid, 1, a.inboxWriteFd));
        await().atMost(BOUND).until(() -> get(a, "/siblings").contains("slot=2")
                && get(b, "/siblings").contains("slot=1"));
    }

    private static String config(MasterStandIn master) {
        return "{\"modules\":{\"worker\":[\"" + MessagingProbeModule.class.getName() + "\"]},"
                + "\"worker_shutdown_timeout\":\"10s\",\"masterwork\":{\"prefix\":\"" + master.dir + "\"}}";
    }

    @AfterAll
    void stopSiblings() throws IOException {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static String get(MasterStandIn worker, String path) throws IOException {
        HttpProbe.Response r = HttpProbe.get(worker.address, path);
        assertThat(r.status()).as("GET %s", path).isEqualTo(200);
        return r.text();
    }

    /** {@code ok=1 pending=0 failed=0 reasons=[] error=} as a map (the error text is left out). */
    static Map<String, String> totals(MasterStandIn worker, String path) throws IOException {
        String text = get(worker, path);
        Map<String, String> totals = new HashMap<>();
        String head = text.substring(0, text.indexOf(" error="));
        for (String pair : head.split(" (?=[a-z]+=)")) {
            int eq = pair.indexOf('=');
            totals.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        totals.put("error", text.substring(text.indexOf(" error=") + 7));
        return totals;
    }

    /** The test as a sibling: it holds the read end of an inbox whose write end A gets with OPEN_CHANNEL. */
    final class TestSibling implements AutoCloseable {
        final long slot;
        final Channel reader;

        TestSibling(long slot) {
            this.slot = slot;
            int[] pair = MasterStandIn.POSIX.socketpair(SocketType.SEQPACKET);
            reader = new Channel(MasterStandIn.POSIX, pair[1]);
            try {
                // The worker gets its own copy of the write end; ours closes right after.
                a.send(ChannelFrame.openChannel(4242, slot, pair[0]));
            } finally {
                MasterStandIn.POSIX.close(pair[0]);
            }
        }

        ChannelFrame receive() {
            long end = System.nanoTime() + BOUND.toNanos();
            while (System.nanoTime() < end) {
                Received r = reader.receive();
                if (r.isFrame()) {
                    return r.frame();
                }
                assertThat(r.isEof()).as("EOF on the test sibling's inbox").isFalse();
                MasterStandIn.POSIX.pollReadable(new int[] {reader.fd()}, 200);
            }
            throw new AssertionError("no message within " + BOUND);
        }

        @Override
        public void close() {
            reader.close();
        }
    }

    @Test
    @Order(1)
    void aMessageFromOneWorkerReachesTheOtherWithTheSendersSlotAndPid() throws IOException {
        get(a, "/send?slot=2&count=3&size=10");
        await().atMost(BOUND).until(() -> get(b, "/received?from=1").equals("count=3 inOrder=true pid=" + a.pid));
        get(b, "/send?slot=1&count=1");
        await().atMost(BOUND).until(() -> get(a, "/received?from=2").equals("count=1 inOrder=true pid=" + b.pid));
    }

    @Test
    @Order(2)
    void aThousandMessagesArriveInOrderThroughAFullInbox() throws IOException {
        get(a, "/reset");
        try (TestSibling sibling = new TestSibling(9)) {
            await().atMost(BOUND).until(() -> get(a, "/siblings").contains("slot=9"));
            // 1000 messages of 1000 bytes do not fit the inbox's socket buffer: while the test does not read,
            // the rest waits in A's queue for that sibling.
            Map<String, String> atOnce = totals(a, "/send?slot=9&count=1000&size=1000");
            assertThat(Long.parseLong(atOnce.get("pending"))).isPositive();
            assertThat(atOnce.get("failed")).isEqualTo("0");
            for (int i = 0; i < 1000; i++) {
                ChannelFrame frame = sibling.receive();
                assertThat(frame.command()).isEqualTo(Command.MESSAGE);
                assertThat(frame.pid()).isEqualTo(a.pid);
                assertThat(frame.slot()).isEqualTo(1);
                String text = new String(frame.payload(), StandardCharsets.US_ASCII);
                assertThat(text).hasSize(1000).startsWith(i + ".");
            }
            await().atMost(BOUND).until(() -> totals(a, "/sent").get("ok").equals("1000"));
            assertThat(totals(a, "/sent")).containsEntry("pending", "0").containsEntry("failed", "0");
            a.send(ChannelFrame.closeChannel(4242, 9));
            await().atMost(BOUND).until(() -> !get(a, "/siblings").contains("slot=9"));
        }
    }

    @Test
    @Order(3)
    void anOversizedPayloadIsRefusedAndTheLargestAllowedOneArrives() throws IOException {
        get(a, "/reset");
        Map<String, String> refused = totals(a, "/send?slot=2&size=" + (SiblingMessages.MAX_PAYLOAD + 1));
        assertThat(refused).containsEntry("failed", "1").containsEntry("reasons", "[PAYLOAD_TOO_LARGE]");
        assertThat(refused.get("error")).contains("at most 4096 bytes");
        long before = receivedFromA();
        get(a, "/send?slot=2&size=" + SiblingMessages.MAX_PAYLOAD);
        await().atMost(BOUND).until(() -> receivedFromA() == before + 1);
    }

    private long receivedFromA() throws IOException {
        String text = get(b, "/received?from=1");
        return Long.parseLong(text.substring("count=".length(), text.indexOf(' ')));
    }

    @Test
    @Order(4)
    void aFloodToASiblingThatNeverReadsNeitherBlocksHttpNorHangsItsSenders() throws IOException {
        get(a, "/reset");
        TestSibling sibling = new TestSibling(8);
        try {
            await().atMost(BOUND).until(() -> get(a, "/siblings").contains("slot=8"));
            // The answer comes although most of the 3000 messages can go nowhere: the inbox fills, the
            // queue holds QUEUE_LIMIT, and the rest fails at once with INBOX_FULL.
            Map<String, String> flood = totals(a, "/send?slot=8&count=3000&size=4096");
            assertThat(flood.get("pending")).isEqualTo(String.valueOf(SiblingMessages.QUEUE_LIMIT));
            assertThat(flood.get("reasons")).isEqualTo("[INBOX_FULL]");
            long ok = Long.parseLong(flood.get("ok"));
            long failed = Long.parseLong(flood.get("failed"));
            assertThat(ok + failed + SiblingMessages.QUEUE_LIMIT).isEqualTo(3000);
            assertThat(ok).isPositive();
            // The event loop still serves HTTP and still delivers to the other sibling.
            assertThat(get(a, "/ping")).isEqualTo("pong");
            long before = receivedFromA();
            get(a, "/send?slot=2&count=1");
            await().atMost(BOUND).until(() -> receivedFromA() == before + 1);
            // The never-reading sibling goes away: what waited for it fails visibly.
            sibling.close();
            await().atMost(BOUND).until(() -> totals(a, "/sent").get("pending").equals("0"));
            Map<String, String> after = totals(a, "/sent");
            assertThat(after.get("reasons")).isEqualTo("[INBOX_FULL, SIBLING_GONE]");
            assertThat(Long.parseLong(after.get("failed"))).isEqualTo(failed + SiblingMessages.QUEUE_LIMIT);
            assertThat(get(a, "/siblings")).doesNotContain("slot=8");
        } finally {
            if (sibling.reader.isOpen()) {
                sibling.close();
            }
        }
    }

    @Test
    @Order(5)
    void aMessageThatArrivedWhileTheWorkerWasStartingReachesItsApplication() throws IOException {
        Files.createDirectories(dir.resolve("c"));
        try (MasterStandIn c = MasterStandIn.create(dir.resolve("c"))) {
            c.spawnInSlot(config(c), 3);
            // As a sibling would, the moment the master announced the new worker: before it is READY.
            c.sendToInbox(ChannelFrame.message(4242, 7, "0".getBytes(StandardCharsets.US_ASCII)));
            c.awaitReady(Duration.ofSeconds(60));
            await().atMost(BOUND).until(() -> get(c, "/received?from=7").equals("count=1 inOrder=true pid=4242"));
        }
    }

    @Test
    @Order(6)
    void aSendToASiblingThatDiedFailsAndAfterCloseChannelItIsNoSibling() throws IOException {
        get(a, "/reset");
        MasterStandIn.POSIX.kill(b.pid, Signal.KILL);
        assertThat(b.awaitExit(BOUND)).isNotNull();
        Map<String, String> toTheDead = totals(a, "/send?slot=2");
        assertThat(toTheDead).containsEntry("failed", "1").containsEntry("reasons", "[SIBLING_GONE]");
        assertThat(get(a, "/siblings")).doesNotContain("slot=2");

        a.send(ChannelFrame.closeChannel(b.pid, 2));
        await().atMost(BOUND).until(() -> {
            get(a, "/reset");
            return totals(a, "/send?slot=2").get("reasons").equals("[NO_SUCH_SIBLING]");
        });
        assertThat(totals(a, "/sent").get("error")).contains("no sibling is held in slot 2");
    }
}
