package io.masterwork.posix;

import java.nio.ByteBuffer;
import java.util.List;

/** Uses what a worker uses (and, with "lookup", a user lookup) so a class-loading log can be checked. */
public final class LazyLoadMain {
    private LazyLoadMain() {
    }

    public static void main(String[] args) {
        Posix posix = NativePosix.get();
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        posix.setNonBlocking(pair[0], true);
        posix.sendMessage(pair[1], ByteBuffer.wrap(new byte[] {1}), pair[1]);
        ReceivedMessage m = posix.receiveMessage(pair[0], ByteBuffer.allocate(8));
        posix.close(m.fd());
        int pid = posix.spawn(new SpawnRequest("/bin/true").argv(List.of("true")).environment(List.of()));
        posix.waitpid(pid, false);
        if (args.length > 0 && args[0].equals("lookup")) {
            System.out.println("USER " + posix.lookupUser("root").uid());
        }
        System.out.println("DONE");
    }
}
