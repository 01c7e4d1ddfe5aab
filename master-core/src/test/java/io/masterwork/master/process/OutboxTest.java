package io.masterwork.master.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.Received;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.OpenFlags;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Sibling news a channel cannot take now is kept, in order, and written when the reader catches up: a real
 * SOCK_SEQPACKET socketpair whose reader reads nothing until the writer's buffer is full.
 */
class OutboxTest {
    private static final Posix POSIX = NativePosix.get();
    private Channel master;
    private Channel worker;

    @BeforeEach
    void pair() {
        int[] pair = POSIX.socketpair(SocketType.SEQPACKET);
        master = new Channel(POSIX, pair[0]);
        worker = new Channel(POSIX, pair[1]);
    }

    @AfterEach
    void close() {
        master.close();
        worker.close();
    }

    @Test
    void whatAFullChannelCannotTakeIsWrittenInOrderOnceTheReaderCatchesUp() {
        int sent = 0;
        while (master.send(ChannelFrame.heartbeat(1, sent))) {
            sent++;
        }
        Outbox outbox = new Outbox();
        int devNull = POSIX.open("/dev/null", OpenFlags.RDONLY, 0);
        try {
            for (int slot = 0; slot < 5; slot++) {
                outbox.add(ChannelFrame.openChannel(100 + slot, slot, devNull), POSIX);
            }
            outbox.add(ChannelFrame.closeChannel(101, 1), POSIX);
            outbox.add(ChannelFrame.closeChannel(999, 9), POSIX);
        } finally {
            POSIX.close(devNull); // the outbox holds its own copies
        }
        assertThat(outbox.size()).as("OPEN_CHANNEL of slot 1 and its CLOSE_CHANNEL cancel out").isEqualTo(5);
        assertThat(outbox.flush(master, POSIX)).as("still full").isFalse();
        assertThat(outbox.size()).isEqualTo(5);

        List<ChannelFrame> read = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (read.size() < 5 && System.nanoTime() < deadline) {
            Received received = worker.receive();
            if (received.isFrame() && received.frame().command() != Command.HEARTBEAT) {
                read.add(received.frame());
            }
            outbox.flush(master, POSIX);
        }
        assertThat(outbox.isEmpty()).isTrue();
        assertThat(read).extracting(ChannelFrame::command).containsExactly(Command.OPEN_CHANNEL, Command.OPEN_CHANNEL,
                Command.OPEN_CHANNEL, Command.OPEN_CHANNEL, Command.CLOSE_CHANNEL);
        assertThat(read).extracting(ChannelFrame::pid).containsExactly(100, 102, 103, 104, 999);
        read.stream().filter(ChannelFrame::hasDescriptor).forEach(f -> POSIX.close(f.fd()));
        assertThat(sent).isGreaterThan(10);
    }
}
