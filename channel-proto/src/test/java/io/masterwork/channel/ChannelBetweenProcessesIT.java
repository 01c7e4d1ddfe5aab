package io.masterwork.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.SpawnRequest;
import io.masterwork.posix.WaitStatus;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A Channel between this JVM and a real child JVM ({@link EchoWorker}) spawned with posix_spawn. */
class ChannelBetweenProcessesIT {

    private static final Duration BOUND = Duration.ofSeconds(30);

    private final Posix posix = NativePosix.get();
    private final List<Integer> toClose = new ArrayList<>();
    private int childPid = -1;
    private Channel channel;

    @AfterEach
    void stopChild() {
        if (channel != null) {
            channel.close();
        }
        toClose.forEach(posix::closeQuietly);
        if (childPid > 0 && posix.waitpid(childPid, true) == null) {
            posix.kill(childPid, io.masterwork.posix.Signal.KILL);
            posix.waitpid(childPid, false);
        }
    }

    @Test
    void framesAndADescriptorTravelBetweenTwoJvmsAndEofEndsTheChild() throws Exception {
        startChild(7);
        ChannelFrame ready = next();
        assertThat(ready.command()).isEqualTo(Command.READY);
        assertThat(ready.pid()).isEqualTo(childPid);
        assertThat(ready.slot()).isEqualTo(7);

        // A pipe's write end crosses the process boundary; the child writes through its copy.
        int[] pipe = posix.pipe();
        toClose.add(pipe[0]);
        toClose.add(pipe[1]);
        assertThat(channel.send(ChannelFrame.openChannel(4242, 1, pipe[1]))).isTrue();
        assertThat(next().command()).isEqualTo(Command.HEARTBEAT);
        posix.close(pipe[1]);
        toClose.remove(Integer.valueOf(pipe[1]));
        assertThat(readAll(pipe[0])).isEqualTo("hello from " + childPid + " to slot 1");

        byte[] payload = new byte[FrameCodec.MAX_PAYLOAD];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31);
        }
        assertThat(channel.send(ChannelFrame.message(posix.getpid(), 0, payload))).isTrue();
        ChannelFrame echoed = next();
        assertThat(echoed.command()).isEqualTo(Command.MESSAGE);
        assertThat(echoed.payload()).isEqualTo(payload);

        channel.close();
        channel = null;
        AtomicReference<WaitStatus> status = new AtomicReference<>();
        await().atMost(BOUND).until(() -> {
            status.set(posix.waitpid(childPid, true));
            return status.get() != null;
        });
        childPid = -1;
        assertThat(status.get().exited()).isTrue();
        assertThat(status.get().exitCode()).isZero();
    }

    @Test
    void aForgedFrameIsRejectedInTheChildAndItsDescriptorClosedThere() throws Exception {
        startChild(2);
        assertThat(next().command()).isEqualTo(Command.READY);
        int[] pipe = posix.pipe();
        toClose.add(pipe[0]);
        toClose.add(pipe[1]);
        // QUIT with a descriptor attached: the child must refuse it, not obey it, and close the descriptor.
        ByteBuffer quit = ByteBuffer.allocateDirect(FrameCodec.CORE_SIZE);
        FrameCodec.encode(ChannelFrame.quit(), quit);
        quit.flip();
        assertThat(posix.sendMessage(channel.fd(), quit, pipe[1])).isEqualTo(FrameCodec.CORE_SIZE);
        ChannelFrame report = next();
        assertThat(report.command()).isEqualTo(Command.STATUS);
        assertThat(new String(report.payload(), StandardCharsets.US_ASCII)).isEqualTo("UNEXPECTED_DESCRIPTOR");
        // Only our copy of the write end is left: closing it gives the read end EOF.
        posix.close(pipe[1]);
        toClose.remove(Integer.valueOf(pipe[1]));
        assertThat(readAll(pipe[0])).isEmpty();
        assertThat(posix.isAlive(childPid)).as("the child did not obey the forged QUIT").isTrue();
    }

    private void startChild(long slot) {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> environment = new ArrayList<>();
        System.getenv().forEach((name, value) -> environment.add(name + "=" + value));
        SpawnRequest request = new SpawnRequest(java)
                .argv(List.of("channel-echo-worker", "-cp", System.getProperty("java.class.path"),
                        EchoWorker.class.getName(), Long.toString(slot)))
                .environment(environment)
                .mapFd(1, 1).mapFd(2, 2).mapFd(pair[1], 3);
        try {
            childPid = posix.spawn(request);
        } finally {
            posix.close(pair[1]);
        }
        channel = new Channel(posix, pair[0]);
    }

    private ChannelFrame next() {
        AtomicReference<Received> got = new AtomicReference<>();
        await().atMost(BOUND).until(() -> {
            Received r = channel.receive();
            if (r.wouldBlock()) {
                posix.pollReadable(new int[] {channel.fd()}, 100);
                return false;
            }
            got.set(r);
            return true;
        });
        assertThat(got.get().isFrame()).as(got.get().toString()).isTrue();
        return got.get().frame();
    }

    /** Everything until EOF (every write end closed), failing after the bound instead of hanging. */
    private String readAll(int fd) {
        posix.setNonBlocking(fd, true);
        ByteBuffer in = ByteBuffer.allocateDirect(4096);
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            posix.pollReadable(new int[] {fd}, 100);
            int n = posix.read(fd, in);
            if (n == 0) {
                byte[] bytes = new byte[in.flip().remaining()];
                in.get(bytes);
                return new String(bytes, StandardCharsets.US_ASCII);
            }
        }
        throw new AssertionError("fd " + fd + ": no EOF within " + BOUND + ": a write end is still open somewhere");
    }
}
