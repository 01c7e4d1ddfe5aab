package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Two real JVMs pass frames and descriptors both ways over a SEQPACKET socketpair. */
class DescriptorPassingIT {
    private final Posix posix = NativePosix.get();
    private int childPid = -1;

    @AfterEach
    void stopChild() {
        if (childPid > 0 && posix.isAlive(childPid)) {
            posix.kill(childPid, Signal.KILL);
            posix.waitpid(childPid, false);
        }
    }

    @Test
    void frameAndDescriptorCrossBetweenTwoJvms() {
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        int[] pipe = posix.pipe();
        try {
            childPid = posix.spawn(new SpawnRequest(ChildJvm.java())
                    .argv(ChildJvm.command(PeerMain.class, "3"))
                    .environment(ChildJvm.environment())
                    .mapFd(pair[1], 3));
            posix.close(pair[1]);
            pair[1] = -1;

            // Parent -> child: a frame with the pipe's write end attached; the parent then drops its
            // own copy, so EOF on the read end means the child closed the copy it received.
            assertThat(posix.sendMessage(pair[0], ByteBuffer.wrap("PING".getBytes(StandardCharsets.UTF_8)), pipe[1]))
                    .isEqualTo(4);
            posix.close(pipe[1]);
            pipe[1] = -1;
            assertThat(Pipes.readToEof(posix, pipe[0], Duration.ofSeconds(60))).isEqualTo("got:PING:cloexec=true");

            // Child -> parent: a frame with a memfd the child made.
            posix.setNonBlocking(pair[0], true);
            AtomicReference<ReceivedMessage> reply = new AtomicReference<>();
            ByteBuffer frame = ByteBuffer.allocateDirect(64);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                posix.pollReadable(new int[] {pair[0]}, 200);
                ReceivedMessage m = posix.receiveMessage(pair[0], frame);
                reply.set(m);
                return m != null;
            });
            ReceivedMessage m = reply.get();
            assertThat(m.truncated()).isFalse();
            assertThat(m.fd()).isGreaterThanOrEqualTo(0);
            byte[] text = new byte[m.length()];
            frame.flip().get(text);
            assertThat(new String(text, StandardCharsets.UTF_8)).isEqualTo("REPLY");
            assertThat(posix.isCloseOnExec(m.fd())).isTrue();
            assertThat(Pipes.readToEof(posix, m.fd(), Duration.ofSeconds(60))).isEqualTo("from child " + childPid);
            posix.close(m.fd());

            // Closing our end is EOF for the child, which then exits 0.
            posix.close(pair[0]);
            pair[0] = -1;
            AtomicReference<WaitStatus> status = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                status.set(posix.waitpid(childPid, true));
                return status.get() != null;
            });
            assertThat(status.get().exited()).as(status.get().toString()).isTrue();
            assertThat(status.get().exitCode()).isZero();
            childPid = -1;
        } finally {
            for (int fd : new int[] {pair[0], pair[1], pipe[0], pipe[1]}) {
                posix.closeQuietly(fd);
            }
        }
    }

}
