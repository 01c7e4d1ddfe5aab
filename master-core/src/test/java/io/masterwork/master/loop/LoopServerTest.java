package io.masterwork.master.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared loop plumbing with a real TCP listener; the test thread plays the master's loop. */
class LoopServerTest {
    private final Posix posix = NativePosix.get();
    private final List<SocketChannel> peers = new ArrayList<>();
    private LoopServer<Client> server;
    private InetSocketAddress address;

    private static final class Client extends LoopClient {
        boolean done;

        Client(int fd) {
            super(fd, 16, System.nanoTime() + 60_000_000_000L);
        }

        @Override
        public boolean wantsInput() {
            return !closed() && !done;
        }
    }

    @BeforeEach
    void listen() {
        int listener = posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        posix.setNonBlocking(listener, true);
        address = posix.localAddress(listener);
        server = new LoopServer<>(posix, listener, "test listener");
    }

    @AfterEach
    void close() throws IOException {
        for (SocketChannel peer : peers) {
            peer.close();
        }
        for (Client c : server.clients()) {
            server.close(c);
        }
        server.closeListener();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel peer = SocketChannel.open(address);
        peers.add(peer);
        return peer;
    }

    private List<Client> acceptPending() {
        List<Client> accepted = new ArrayList<>();
        server.readable(server.listener(), fd -> {
            Client c = new Client(fd);
            server.add(c);
            accepted.add(c);
        }, c -> {
            throw new AssertionError("not the listener");
        });
        return accepted;
    }

    @Test
    void acceptsEveryWaitingConnectionAndPollsThoseThatWantInput() throws IOException {
        connect();
        connect();
        List<Client> accepted = acceptPending();

        assertThat(accepted).hasSize(2);
        assertThat(server.clientCount()).isEqualTo(2);
        assertThat(server.descriptors()).containsExactly(server.listener(), accepted.get(0).fd(), accepted.get(1).fd());
        accepted.get(0).done = true;
        assertThat(server.descriptors()).containsExactly(server.listener(), accepted.get(1).fd());
    }

    @Test
    void readsWhatArrivedAndSeesTheEndOfInput() throws Exception {
        SocketChannel peer = connect();
        Client c = acceptPending().get(0);
        peer.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (c.input().position() < 5 && System.nanoTime() < deadline) {
            assertThat(server.readAvailable(c)).isTrue();
            Thread.sleep(5);
        }
        assertThat(new String(c.input().array(), 0, c.input().position(), StandardCharsets.US_ASCII)).isEqualTo("hello");

        peer.shutdownOutput();
        boolean open = true;
        while (open && System.nanoTime() < deadline) {
            open = server.readAvailable(c);
            Thread.sleep(5);
        }
        assertThat(open).as("end of input seen").isFalse();
    }

    @Test
    void writesWhatIsQueuedInOrderAndCountsWhatWaits() throws IOException {
        SocketChannel peer = connect();
        Client c = acceptPending().get(0);
        server.queue(c, "one ".getBytes(StandardCharsets.US_ASCII));
        server.queue(c, "two".getBytes(StandardCharsets.US_ASCII));
        assertThat(c.queuedBytes()).isEqualTo(7);
        assertThat(c.hasOutput()).isTrue();

        assertThat(server.flush(c)).isTrue();

        assertThat(c.queuedBytes()).isZero();
        assertThat(c.hasOutput()).isFalse();
        assertThat(c.writeStalled(System.nanoTime(), 0)).isFalse();
        ByteBuffer received = ByteBuffer.allocate(7);
        while (received.hasRemaining()) {
            peer.read(received);
        }
        assertThat(new String(received.array(), StandardCharsets.US_ASCII)).isEqualTo("one two");
    }

    @Test
    void closingForgetsTheClientOnce() throws IOException {
        connect();
        Client c = acceptPending().get(0);

        assertThat(server.close(c)).isTrue();
        assertThat(server.close(c)).isFalse();
        assertThat(c.closed()).isTrue();
        assertThat(server.clientCount()).isZero();
        assertThat(server.flush(c)).isFalse();
        assertThat(server.descriptors()).containsExactly(server.listener());
    }

    @Test
    void anOffServerPollsNothing() {
        LoopServer<Client> off = new LoopServer<>(posix, -1, "off");
        assertThat(off.descriptors()).isEmpty();
        assertThat(off.nextTimerNanos()).isEqualTo(Long.MAX_VALUE);
    }
}
