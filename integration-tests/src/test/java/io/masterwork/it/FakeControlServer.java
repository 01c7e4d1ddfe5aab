package io.masterwork.it;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A listener that is not a master, put at a control socket's path by someone else (ControlAndSignalIT runs it as
 * nobody): it answers every command as a master would like the operator to believe — a reload that went well.
 * Exits after 60 s whatever happens.
 */
public final class FakeControlServer {
    private FakeControlServer() {
    }

    public static void main(String[] args) throws Exception {
        Thread exit = new Thread(() -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException ignored) {
                // exit now
            }
            System.exit(0);
        });
        exit.setDaemon(true);
        exit.start();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(Path.of(args[0])));
            System.out.println("listening");
            System.out.flush();
            for (;;) {
                try (SocketChannel client = server.accept()) {
                    client.read(ByteBuffer.allocate(4096));
                    client.write(ByteBuffer.wrap(("{\"ok\":true,\"generation\":9,\"message\":\"fake\",\"pid\":1}\n\n")
                            .getBytes(StandardCharsets.US_ASCII)));
                } catch (java.io.IOException clientLeft) {
                    // the next one
                }
            }
        }
    }
}
