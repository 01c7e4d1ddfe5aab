package io.masterwork.channel;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The child process of {@link ChannelBetweenProcessesIT}: a stand-in worker on fd 3. It answers READY,
 * writes a greeting through every descriptor an OPEN_CHANNEL brings (then closes it), echoes MESSAGE
 * frames back, and exits 0 at EOF (its "master" is gone). A rejected frame is reported as a STATUS
 * whose payload is the rejection reason.
 */
public final class EchoWorker {
    private EchoWorker() {
    }

    public static void main(String[] args) {
        Posix posix = NativePosix.get();
        int pid = posix.getpid();
        long slot = Long.parseLong(args[0]);
        try (Channel channel = new Channel(posix, 3)) {
            send(channel, ChannelFrame.ready(pid, slot));
            while (true) {
                Received received = channel.receive();
                if (received.wouldBlock()) {
                    posix.pollReadable(new int[] {3}, 10_000);
                } else if (received.isEof()) {
                    System.exit(0);
                } else if (received.isRejected()) {
                    send(channel, ChannelFrame.status(pid, slot,
                            received.error().reason().name().getBytes(StandardCharsets.US_ASCII)));
                } else {
                    ChannelFrame frame = received.frame();
                    switch (frame.command()) {
                        case OPEN_CHANNEL -> {
                            byte[] text = ("hello from " + pid + " to slot " + frame.slot())
                                    .getBytes(StandardCharsets.US_ASCII);
                            ByteBuffer out = ByteBuffer.allocateDirect(text.length).put(text).flip();
                            posix.write(frame.fd(), out);
                            posix.close(frame.fd());
                            send(channel, ChannelFrame.heartbeat(pid, slot));
                        }
                        case MESSAGE -> send(channel, ChannelFrame.message(pid, slot, frame.payload()));
                        case QUIT -> System.exit(3);
                        default -> send(channel, ChannelFrame.status(pid, slot,
                                frame.command().name().getBytes(StandardCharsets.US_ASCII)));
                    }
                }
            }
        }
    }

    private static void send(Channel channel, ChannelFrame frame) {
        if (!channel.send(frame)) {
            throw new IllegalStateException("channel to the parent is full");
        }
    }
}
