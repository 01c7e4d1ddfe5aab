package io.masterwork.posix;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The child half of DescriptorPassingIT, in its own JVM: receives a frame and a descriptor on fd 3,
 * writes what it got into that descriptor, and answers with a frame carrying a memfd of its own.
 */
public final class PeerMain {
    private PeerMain() {
    }

    public static void main(String[] args) {
        int channel = Integer.parseInt(args[0]);
        Posix posix = NativePosix.get();
        ByteBuffer in = ByteBuffer.allocateDirect(256);
        ReceivedMessage m = posix.receiveMessage(channel, in);
        if (m == null || m.fd() < 0 || m.truncated()) {
            System.err.println("peer: expected a frame with a descriptor, got " + m);
            System.exit(2);
        }
        in.flip();
        byte[] frame = new byte[in.remaining()];
        in.get(frame);
        String text = new String(frame, StandardCharsets.UTF_8);
        posix.write(m.fd(), ByteBuffer.wrap(("got:" + text + ":cloexec=" + posix.isCloseOnExec(m.fd()))
                .getBytes(StandardCharsets.UTF_8)));
        posix.close(m.fd());

        int memfd = posix.memfd("peer-reply", ("from child " + posix.getpid()).getBytes(StandardCharsets.UTF_8));
        posix.sendMessage(channel, ByteBuffer.wrap("REPLY".getBytes(StandardCharsets.UTF_8)), memfd);
        posix.close(memfd);

        // Stay until the parent closes its end: EOF is the signal to leave.
        ReceivedMessage last = posix.receiveMessage(channel, ByteBuffer.allocate(16));
        System.exit(last != null && last.isEof() ? 0 : 3);
    }
}
