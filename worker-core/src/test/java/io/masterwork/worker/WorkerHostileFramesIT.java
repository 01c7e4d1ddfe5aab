package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.FrameCodec;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.WaitStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, "Malformed input wherever it can enter": thousands of random, truncated and mutated frames (a
 * quarter of them carrying a descriptor) on a real worker's command channel and on its inbox. The worker
 * logs and drops each, obeys none, leaks no descriptor, keeps serving, and still obeys a real command after.
 *
 * <p>Empty messages are among them: recvmsg returns 0 for those as for end of file, and the channel tells them
 * apart by the peer's state (PROTOCOL.md section 4), so neither channel's watch ends. Never sent on the command
 * channel: a frame that happens to decode as QUIT, TERMINATE or OPEN_CHANNEL (a valid command is obeyed there, by
 * design: only the master holds that channel's other end). On the inbox, where only siblings write, those are sent
 * well formed on purpose (an OPEN_CHANNEL with a real socketpair end) and must be ignored; OPEN_CHANNEL frames spoiled
 * one way each go to both channels and must be dropped with their descriptors.
 */
class WorkerHostileFramesIT extends WorkerProcessTest {
    static final int FRAMES = 3000;

    @Test
    void randomTruncatedAndMutatedFramesOnTheCommandChannelAndTheInboxAreDroppedAndLeakNothing() throws Exception {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"access_log\":\"off\""));
        master.awaitReady(WorkerLifecycleIT.START);
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
        long fdsBefore = openDescriptors(master.pid);
        Random random = new Random(15);
        int devNull = MasterStandIn.POSIX.open("/dev/null", OpenFlags.RDONLY, 0);
        int inbox = MasterStandIn.POSIX.dup(master.inboxWriteFd);
        int sentCommand;
        int sentInbox;
        try {
            sentCommand = flood(master.command.fd(), random, devNull, true);
            sentInbox = flood(inbox, random, devNull, false);
        } finally {
            MasterStandIn.POSIX.close(devNull);
            MasterStandIn.POSIX.close(inbox);
        }
        assertThat(master.exitStatus()).as("the worker is alive\n%s", tail(master)).isNull();

        // Well-formed commands where only siblings write, the inbox: none obeyed. An OPEN_CHANNEL there carries a
        // real socketpair end, which an obeyed one would keep as a sibling's inbox.
        int[] bait = MasterStandIn.POSIX.socketpair(io.masterwork.posix.SocketType.SEQPACKET);
        int forgedEach = 20;
        int inboxFd = MasterStandIn.POSIX.dup(master.inboxWriteFd);
        try {
            for (int i = 0; i < forgedEach; i++) {
                sendRaw(inboxFd, FrameCodec.encode(ChannelFrame.quit()), -1);
                sendRaw(inboxFd, FrameCodec.encode(ChannelFrame.terminate()), -1);
                sendRaw(inboxFd, FrameCodec.encode(ChannelFrame.openChannel(4242, 7, bait[0])), bait[0]);
            }
            // OPEN_CHANNEL frames that are not well formed, on both channels: each dropped, its descriptor closed.
            for (int channel : new int[] {master.command.fd(), inboxFd}) {
                for (BadOpenChannel bad : BadOpenChannel.values()) {
                    sendRaw(channel, bad.spoiled(ChannelFrame.openChannel(4242, 7, bait[0])), bad.withDescriptor ? bait[0] : -1);
                }
            }
        } finally {
            MasterStandIn.POSIX.close(inboxFd);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(List.of(
                        count(master.errorLogText(), "ignored QUIT from pid"),
                        count(master.errorLogText(), "ignored TERMINATE from pid"),
                        count(master.errorLogText(), "ignored OPEN_CHANNEL from pid 4242 on the inbox")))
                .as("forged QUIT, TERMINATE, OPEN_CHANNEL on the inbox, each logged as ignored").containsOnly((long) forgedEach));
        List<String> drops = new ArrayList<>();
        for (String where : new String[] {"the command channel", "the inbox"}) {
            for (BadOpenChannel bad : BadOpenChannel.values()) {
                drops.add("dropped a malformed frame on " + where + ": " + bad.reason);
            }
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(drops)
                .as("the spoiled OPEN_CHANNELs dropped; the log's OPEN_CHANNEL lines:%n%s", master.errorLogText().lines()
                        .filter(l -> l.contains("OPEN_CHANNEL") || l.contains("31 bytes") || l.contains("bytes 12..15"))
                        .collect(java.util.stream.Collectors.joining("\n")))
                .allMatch(line -> master.errorLogText().contains(line)));
        assertThat(master.exitStatus()).as("the worker is alive\n%s", tail(master)).isNull();
        assertThat(HttpProbe.get(master.address, "/_worker").text()).as("no sibling was introduced from the inbox")
                .contains("\"siblings\":[]");
        MasterStandIn.POSIX.close(bait[0]);
        MasterStandIn.POSIX.close(bait[1]);

        // The channel is still in step: after the answers to the flood's own heartbeats, a heartbeat is answered.
        while (master.receive(Duration.ofMillis(500)) != null) {
            // answers to heartbeats that were in the flood
        }
        master.send(ChannelFrame.heartbeat(MasterStandIn.POSIX.getpid(), 0));
        ChannelFrame answer = master.receive(Duration.ofSeconds(10));
        assertThat(answer).as("heartbeat answer\n%s", tail(master)).isNotNull();
        assertThat(answer.command()).isEqualTo(Command.HEARTBEAT);
        assertThat(master.exitStatus()).as("the worker is alive").isNull();
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
        // Every descriptor that came with a rejected frame was closed by the worker.
        await().atMost(Duration.ofSeconds(10)).until(() -> openDescriptors(master.pid) == fdsBefore);
        String log = master.errorLogText();
        long droppedCommand = count(log, "dropped a malformed frame on the command channel");
        long droppedInbox = count(log, "dropped a malformed frame on the inbox");
        System.out.printf("hostile frames: %d on the command channel (%d dropped as malformed), %d on the inbox"
                + " (%d dropped as malformed); worker fds %d before and after%n",
                sentCommand, droppedCommand, sentInbox, droppedInbox, fdsBefore);
        assertThat(droppedCommand).isGreaterThan(FRAMES / 2);
        assertThat(droppedInbox).isGreaterThan(FRAMES / 2);
        assertThat(log).doesNotContain("Exception in thread");
        // Both channels are still watched by the event loop: no hostile message (an empty one included) ended a watch.
        assertThat(epollWatches(master.pid, 3)).as("the command channel is in the worker's epoll set").isTrue();
        assertThat(epollWatches(master.pid, 4)).as("the inbox is in the worker's epoll set").isTrue();

        master.send(ChannelFrame.quit());
        WaitStatus status = master.awaitExit(Duration.ofSeconds(30));
        assertThat(status).isNotNull();
        assertThat(status.exited() && status.exitCode() == 0).as("%s", status).isTrue();
    }

    /** OPEN_CHANNEL spoiled one way each: the codec's reason, as the worker logs it. */
    private enum BadOpenChannel {
        NO_DESCRIPTOR(false, "MISSING_DESCRIPTOR: OPEN_CHANNEL arrived without a descriptor"),
        TRAILING_BYTES(true, "TRAILING_BYTES: OPEN_CHANNEL: 8 bytes after the 32-byte frame"),
        FD_FIELD_MINUS_ONE(true, "BAD_FD_FIELD: OPEN_CHANNEL: fd field -1, must name the sender's descriptor"),
        NEGATIVE_SLOT(true, "BAD_FIELD: OPEN_CHANNEL: slot -1 is negative"),
        NEGATIVE_PID(true, "BAD_FIELD: OPEN_CHANNEL: pid -5 is negative"),
        PID_PADDING(true, "BAD_PADDING: bytes 12..15 (after pid) are 0x1, must be zero"),
        CUT_SHORT(true, "SHORT_FRAME: 31 bytes, a frame has at least 32");

        final boolean withDescriptor;
        final String reason;

        BadOpenChannel(boolean withDescriptor, String reason) {
            this.withDescriptor = withDescriptor;
            this.reason = reason;
        }

        /** A valid OPEN_CHANNEL spoiled this way. ngx_channel_t: command 0..7, pid 8..11 (+ padding), slot 16..23, fd 24..27 (+ padding). */
        ByteBuffer spoiled(ChannelFrame valid) {
            ByteBuffer frame = ByteBuffer.allocateDirect(FrameCodec.CORE_SIZE + 8).order(ByteOrder.LITTLE_ENDIAN);
            frame.put(FrameCodec.encode(valid));
            switch (this) {
                case TRAILING_BYTES -> frame.putLong(0x0102030405060708L);
                case FD_FIELD_MINUS_ONE -> frame.putInt(24, -1);
                case NEGATIVE_SLOT -> frame.putLong(16, -1);
                case NEGATIVE_PID -> frame.putInt(8, -5);
                case PID_PADDING -> frame.putInt(12, 1);
                case CUT_SHORT -> frame.position(31);
                default -> {
                }
            }
            return frame.flip();
        }
    }

    /** One message with raw sendmsg, retried while the worker's socket buffer is full. */
    private static void sendRaw(int fd, ByteBuffer message, int passFd) {
        ByteBuffer direct = ByteBuffer.allocateDirect(message.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        direct.put(message.duplicate()).flip();
        while (MasterStandIn.POSIX.sendMessage(fd, direct, passFd) < 0) {
            MasterStandIn.sleep(2);
        }
    }

    /** Sends FRAMES hostile messages; returns how many were sent. */
    private static int flood(int fd, Random random, int passFd, boolean commandChannel) {
        ByteBuffer out = ByteBuffer.allocateDirect(FrameCodec.MAX_FRAME_SIZE + 64).order(ByteOrder.LITTLE_ENDIAN);
        int sent = 0;
        while (sent < FRAMES) {
            out.clear();
            switch (random.nextInt(5)) {
                case 4 -> { // an empty message
                }
                case 0 -> { // random bytes, any length up to a little beyond the largest frame
                    int n = 1 + random.nextInt(FrameCodec.MAX_FRAME_SIZE + 32);
                    for (int i = 0; i < n; i++) {
                        out.put((byte) random.nextInt(256));
                    }
                }
                case 1 -> { // a valid frame cut short
                    ByteBuffer valid = FrameCodec.encode(sample(random));
                    int n = 1 + random.nextInt(valid.remaining() - 1);
                    valid.limit(valid.position() + n);
                    out.put(valid);
                }
                default -> { // a valid frame with one to three bytes changed
                    ByteBuffer valid = FrameCodec.encode(sample(random));
                    out.put(valid);
                    for (int k = 1 + random.nextInt(3); k > 0; k--) {
                        int at = random.nextInt(out.position());
                        out.put(at, (byte) random.nextInt(256));
                    }
                }
            }
            out.flip();
            if (commandChannel && out.remaining() >= 8) {
                long command = out.getLong(0);
                if (command == Command.QUIT.code() || command == Command.TERMINATE.code()
                        || command == Command.OPEN_CHANNEL.code()) {
                    continue;
                }
            }
            int withFd = random.nextInt(4) == 0 ? passFd : -1;
            while (MasterStandIn.POSIX.sendMessage(fd, out, withFd) < 0) {
                MasterStandIn.sleep(2); // the worker's socket buffer is full: it reads at its own pace
            }
            sent++;
        }
        return sent;
    }

    private static ChannelFrame sample(Random random) {
        byte[] payload = new byte[random.nextInt(64)];
        random.nextBytes(payload);
        return switch (random.nextInt(4)) {
            case 0 -> ChannelFrame.heartbeat(4242, 1);
            case 1 -> ChannelFrame.message(4242, 1, payload);
            case 2 -> ChannelFrame.status(4242, 1, "requests? 7".getBytes(StandardCharsets.US_ASCII));
            default -> ChannelFrame.reopen();
        };
    }

    /** {@code pid}'s descriptors, read until two readings 20 ms apart agree (one can land mid-open, mid-close). */
    private static long openDescriptors(int pid) throws Exception {
        long previous = -1;
        for (int i = 0; i < 250; i++) {
            long now;
            try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                now = s.count();
            }
            if (now == previous) {
                return now;
            }
            previous = now;
            Thread.sleep(20);
        }
        throw new AssertionError("the descriptor count of " + pid + " did not settle within 5 s");
    }

    /** Whether an epoll instance of {@code pid} watches its descriptor {@code fd} ("tfd:" lines of /proc fdinfo). */
    private static boolean epollWatches(int pid, int fd) throws Exception {
        java.util.regex.Pattern target = java.util.regex.Pattern.compile("(?m)^tfd:\\s+" + fd + "\\s");
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path link : (Iterable<Path>) s::iterator) {
                try {
                    if (Files.readSymbolicLink(link).toString().equals("anon_inode:[eventpoll]")
                            && target.matcher(Files.readString(Path.of("/proc/" + pid + "/fdinfo/" + link.getFileName())))
                                    .find()) {
                        return true;
                    }
                } catch (java.nio.file.NoSuchFileException closedMeanwhile) {
                    // a descriptor closed between the listing and the read: not an epoll set of interest
                }
            }
        }
        return false;
    }

    private static String tail(MasterStandIn master) {
        String log = master.errorLogText();
        return log.substring(Math.max(0, log.length() - 3000));
    }

    private static long count(String text, String needle) {
        return text.split(java.util.regex.Pattern.quote(needle), -1).length - 1L;
    }
}
